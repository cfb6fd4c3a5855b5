#pragma once
// The key ring's wrapped keys kept in the deployment database (tables key_ring_master and
// data_keys). Destroying a key overwrites its wrapped bytes and scrubs the database files (when
// not inside a transaction; otherwise call Database::scrub() after commit), keeping a tombstone,
// so the deletion record survives and the key does not. Copies made earlier (backups) still hold
// the wrapped key under the same master key: rotate the master key after an erase to retire them.
//
// New keys and master-key rotation are refused inside a caller's transaction: a rollback would
// leave the key ring in memory ahead of the database.

#include "tokumei/crypto/key_ring.h"
#include "tokumei/store/database.h"
#include "tokumei/store/migration.h"

namespace tokumei::store {

class DatabaseKeyRingStorage final : public crypto::KeyRingStorage {
 public:
  // `db` must outlive this object and be migrated with schema().
  explicit DatabaseKeyRingStorage(Database& db) : db_(&db) {}

  static SchemaModule schema();

  Result<std::optional<crypto::MasterRecord>> load_master() override;
  Result<std::vector<crypto::WrappedKey>> load_keys() override;
  Status create(const crypto::MasterRecord& master) override;
  Status add_key(const crypto::WrappedKey& key) override;
  Status rewrap(const crypto::MasterRecord& master,
                const std::vector<crypto::WrappedKey>& keys) override;
  Result<int> destroy(const std::string& purpose, std::int64_t destroyed_ms) override;

 private:
  Status refuse_inside_transaction() const;
  Database* db_;
};

}  // namespace tokumei::store
