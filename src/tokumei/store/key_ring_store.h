#pragma once
// The key ring's wrapped keys kept in the deployment database (tables key_ring_master and
// data_keys). Destroying a key overwrites its wrapped bytes (secure_delete) and keeps a tombstone,
// so the deletion record survives and the key does not.

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
  Status destroy(std::uint32_t id, std::int64_t destroyed_ms) override;

 private:
  Status write_master(const crypto::MasterRecord& master);
  Database* db_;
};

}  // namespace tokumei::store
