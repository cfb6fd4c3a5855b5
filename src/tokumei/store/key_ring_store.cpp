#include "tokumei/store/key_ring_store.h"

namespace tokumei::store {

SchemaModule DatabaseKeyRingStorage::schema() {
  return {"keyring", {{1, "key ring master record and wrapped data keys", R"sql(
CREATE TABLE key_ring_master (
  singleton        INTEGER PRIMARY KEY CHECK (singleton = 1),
  generation       INTEGER NOT NULL,
  kdf              TEXT NOT NULL CHECK (kdf IN ('key-file', 'argon2id')),
  salt             BLOB,
  argon2_memory    INTEGER,
  argon2_iterations INTEGER,
  argon2_lanes     INTEGER,
  check_value      BLOB NOT NULL,
  created_at       INTEGER NOT NULL
);
CREATE TABLE data_keys (
  id           INTEGER PRIMARY KEY,
  purpose      TEXT NOT NULL,
  version      INTEGER NOT NULL,
  wrapped      BLOB,
  created_at   INTEGER NOT NULL,
  destroyed_at INTEGER,
  UNIQUE (purpose, version),
  CHECK ((wrapped IS NULL) = (destroyed_at IS NOT NULL))
);
)sql"}}};
}

Result<std::optional<crypto::MasterRecord>> DatabaseKeyRingStorage::load_master() {
  TKM_ASSIGN_OR_RETURN(Rows rows,
                       db_->query("SELECT generation, kdf, salt, argon2_memory, argon2_iterations, "
                                  "argon2_lanes, check_value, created_at FROM key_ring_master"));
  if (rows.empty()) return std::optional<crypto::MasterRecord>();
  const Row& r = rows[0];
  crypto::MasterRecord m;
  m.generation = static_cast<std::uint32_t>(r.integer(0));
  m.kdf = r.text(1);
  if (!r.is_null(2)) m.salt = r.blob(2);
  if (!r.is_null(3)) {
    m.params = {static_cast<std::uint32_t>(r.integer(3)), static_cast<std::uint32_t>(r.integer(4)),
                static_cast<std::uint32_t>(r.integer(5))};
  }
  m.check = r.blob(6);
  m.created_ms = r.integer(7);
  return std::optional(std::move(m));
}

Result<std::vector<crypto::WrappedKey>> DatabaseKeyRingStorage::load_keys() {
  TKM_ASSIGN_OR_RETURN(Rows rows,
                       db_->query("SELECT id, purpose, version, wrapped, created_at, destroyed_at "
                                  "FROM data_keys ORDER BY id"));
  std::vector<crypto::WrappedKey> out;
  for (const auto& r : rows) {
    crypto::WrappedKey k;
    k.id = static_cast<std::uint32_t>(r.integer(0));
    k.purpose = r.text(1);
    k.version = static_cast<std::uint32_t>(r.integer(2));
    if (!r.is_null(3)) k.wrapped = r.blob(3);
    k.created_ms = r.integer(4);
    k.destroyed_ms = r.optional_integer(5);
    out.push_back(std::move(k));
  }
  return out;
}

Status DatabaseKeyRingStorage::refuse_inside_transaction() const {
  if (db_->transaction_depth() == 0) return ok();
  return fail(
      Errc::internal,
      {"データ鍵の作成やマスター鍵の更新はトランザクションの外で行ってください（ensure_key "
       "を先に）",
       "create data keys and rotate the master key outside a transaction (call ensure_key first)"});
}

namespace {
std::vector<Value> master_values(const crypto::MasterRecord& m) {
  bool kdf = m.kdf == "argon2id";
  Value none = nullptr;
  return {std::int64_t{m.generation},
          m.kdf,
          kdf ? Value(m.salt) : none,
          kdf ? Value(std::int64_t{m.params.memory_kib}) : none,
          kdf ? Value(std::int64_t{m.params.iterations}) : none,
          kdf ? Value(std::int64_t{m.params.parallelism}) : none,
          m.check,
          m.created_ms};
}
}  // namespace

Status DatabaseKeyRingStorage::create(const crypto::MasterRecord& master) {
  TKM_ASSIGN_OR_RETURN(Transaction tx, db_->begin());
  TKM_ASSIGN_OR_RETURN(auto existing, load_master());
  if (existing)
    return fail(Errc::already_exists, {"鍵リングは既にあります", "key ring already exists"});
  TKM_RETURN_IF_ERROR(
      db_->execute("INSERT INTO key_ring_master (singleton, generation, kdf, salt, argon2_memory, "
                   "argon2_iterations, argon2_lanes, check_value, created_at) "
                   "VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?)",
                   master_values(master)));
  return tx.commit();
}

Status DatabaseKeyRingStorage::add_key(const crypto::WrappedKey& k) {
  TKM_RETURN_IF_ERROR(refuse_inside_transaction());
  return status_of(db_->execute(
      "INSERT INTO data_keys (id, purpose, version, wrapped, created_at) VALUES (?, ?, ?, ?, ?)",
      {std::int64_t{k.id}, k.purpose, std::int64_t{k.version}, k.wrapped, k.created_ms}));
}

Status DatabaseKeyRingStorage::rewrap(const crypto::MasterRecord& master,
                                      const std::vector<crypto::WrappedKey>& keys) {
  TKM_RETURN_IF_ERROR(refuse_inside_transaction());
  TKM_ASSIGN_OR_RETURN(Transaction tx, db_->begin());
  std::vector<Value> values = master_values(master);
  TKM_RETURN_IF_ERROR(db_->execute(
      "UPDATE key_ring_master SET generation = ?, kdf = ?, salt = ?, argon2_memory = ?, "
      "argon2_iterations = ?, argon2_lanes = ?, check_value = ?, created_at = ? "
      "WHERE singleton = 1",
      values));
  for (const auto& k : keys) {
    TKM_ASSIGN_OR_RETURN(
        std::int64_t n,
        db_->execute("UPDATE data_keys SET wrapped = ? WHERE id = ? AND destroyed_at IS NULL",
                     {k.wrapped, std::int64_t{k.id}}));
    if (n != 1) {
      return fail(Errc::integrity,
                  {"再ラップするデータ鍵 " + std::to_string(k.id) + " がデータベースにありません",
                   "data key " + std::to_string(k.id) + " to re-wrap is missing"});
    }
  }
  return tx.commit();
}

Result<int> DatabaseKeyRingStorage::destroy(const std::string& purpose, std::int64_t destroyed_ms) {
  TKM_ASSIGN_OR_RETURN(std::int64_t n,
                       db_->execute("UPDATE data_keys SET wrapped = NULL, destroyed_at = ? "
                                    "WHERE purpose = ? AND destroyed_at IS NULL",
                                    {destroyed_ms, purpose}));
  if (n > 0 && db_->transaction_depth() == 0) TKM_RETURN_IF_ERROR(db_->scrub());
  return static_cast<int>(n);
}

}  // namespace tokumei::store
