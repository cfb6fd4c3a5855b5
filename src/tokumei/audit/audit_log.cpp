#include "tokumei/audit/audit_log.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "tokumei/base/files.h"

namespace tokumei::audit {
namespace {

void put_u64(Bytes& out, std::uint64_t v) {
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
void put_field(Bytes& out, std::string_view s) {
  put_u64(out, s.size());
  out.insert(out.end(), s.begin(), s.end());
}

Result<Outcome> parse_outcome(std::string_view s) {
  if (s == "success") return Outcome::success;
  if (s == "failure") return Outcome::failure;
  if (s == "denied") return Outcome::denied;
  return fail(Errc::integrity, {"監査ログの結果欄が不正です: " + std::string(s),
                                "bad audit outcome: " + std::string(s)});
}

crypto::Digest chain(const crypto::Digest& prev, const crypto::Digest& leaf) {
  return crypto::sha256({ByteView(prev), ByteView(leaf)});
}

crypto::Digest to_digest(const Bytes& b) {
  crypto::Digest d{};
  if (b.size() == d.size()) std::copy(b.begin(), b.end(), d.begin());
  return d;
}

constexpr const char* kSelect =
    "SELECT seq, at, actor, terminal, action, object, outcome, detail, subjects, leaf_hash, "
    "chain_hash "
    "FROM audit_entries";

// Reads a stored row back into an entry. Every column is checked, because a row altered behind
// the log's back must be reported as tampering, not crash the verifier.
Result<StoredEntry> from_row(const store::Row& r) {
  std::int64_t seq = r.integer(0);  // INTEGER PRIMARY KEY: always an integer
  auto bad = [&](std::string_view what) {
    return fail(Errc::integrity, {"監査エントリ " + std::to_string(seq) + " の" +
                                      std::string(what) + "が不正です（改ざんの疑い）",
                                  "audit entry " + std::to_string(seq) + " has a malformed " +
                                      std::string(what) + " (altered?)"});
  };
  auto is = [&]<class T>(std::size_t i) { return std::holds_alternative<T>(r[i]); };
  if (!is.operator()<std::int64_t>(1)) return bad("at");
  for (std::size_t i = 2; i <= 8; ++i) {
    if (!is.operator()<std::string>(i)) return bad("text column");
  }
  if (!is.operator()<Bytes>(9) || !is.operator()<Bytes>(10) || r.blob(9).size() != 32 ||
      r.blob(10).size() != 32) {
    return bad("hash");
  }
  StoredEntry s;
  s.seq = seq;
  s.at = from_unix_ms(r.integer(1));
  s.entry.actor = {r.text(2), r.text(3)};
  s.entry.action = r.text(4);
  s.entry.object = r.text(5);
  auto outcome = parse_outcome(r.text(6));
  if (!outcome) return bad("outcome");
  s.entry.outcome = *outcome;
  s.entry.detail = r.text(7);
  s.leaf_hash = to_digest(r.blob(9));
  s.chain_hash = to_digest(r.blob(10));
  // The hash covers the subjects as a list, so the stored text must be exactly that list's form.
  if (r.text(8) == "[]") return s;
  auto subjects = nlohmann::json::parse(r.text(8), nullptr, false);
  if (!subjects.is_array() || subjects.dump() != r.text(8)) return bad("subjects");
  for (const auto& v : subjects) {
    if (!v.is_string()) return bad("subjects");
    s.entry.subjects.push_back(v.get<std::string>());
  }
  return s;
}

// An entry whose content no longer gives its stored hash.
Text altered(std::int64_t seq) {
  return {"監査エントリ " + std::to_string(seq) + " の内容がハッシュと一致しません（改ざんの疑い）",
          "audit entry " + std::to_string(seq) + " does not match its hash (altered?)"};
}

}  // namespace

bool is_subject_reference(std::string_view s) {
  return s.size() >= 6 && s.size() <= 128 && std::ranges::all_of(s, [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

std::string_view outcome_name(Outcome o) {
  switch (o) {
    case Outcome::success:
      return "success";
    case Outcome::failure:
      return "failure";
    case Outcome::denied:
      return "denied";
  }
  return "failure";
}

store::SchemaModule AuditLog::schema() {
  return {"audit",
          {{1, "append-only hash-chained audit entries", R"sql(
CREATE TABLE audit_entries (
  seq        INTEGER PRIMARY KEY,
  at         INTEGER NOT NULL,
  actor      TEXT NOT NULL,
  terminal   TEXT NOT NULL,
  action     TEXT NOT NULL,
  object     TEXT NOT NULL,
  outcome    TEXT NOT NULL CHECK (outcome IN ('success', 'failure', 'denied')),
  detail     TEXT NOT NULL,
  subjects   TEXT NOT NULL,
  leaf_hash  BLOB NOT NULL,
  chain_hash BLOB NOT NULL
);
CREATE INDEX audit_entries_at ON audit_entries (at);
CREATE INDEX audit_entries_actor ON audit_entries (actor, at);
CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries
BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;
CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries
BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;
)sql"},
           // INSERT OR REPLACE deletes without firing DELETE triggers; requiring each new row to
           // take exactly the next number closes that and any insertion out of sequence.
           {2, "audit entries only take the next sequence number", R"sql(
CREATE TRIGGER audit_entries_next_seq BEFORE INSERT ON audit_entries
WHEN NEW.seq IS NOT (SELECT COALESCE(MAX(seq), 0) + 1 FROM audit_entries)
BEGIN SELECT RAISE(ABORT, 'audit entries are append-only: only the next sequence number can be added'); END;
)sql"},
           // Level >= 1 only: the leaves are the entries' own leaf_hash. Filled for an older log
           // by its first append after the upgrade.
           {3, "Merkle tree nodes and signed checkpoints (AUDIT-05)", R"sql(
CREATE TABLE audit_nodes (
  level INTEGER NOT NULL CHECK (level >= 1),
  idx   INTEGER NOT NULL CHECK (idx >= 0),
  hash  BLOB NOT NULL,
  PRIMARY KEY (level, idx)
) WITHOUT ROWID;
CREATE TRIGGER audit_nodes_no_update BEFORE UPDATE ON audit_nodes
BEGIN SELECT RAISE(ABORT, 'audit tree nodes are append-only'); END;
CREATE TRIGGER audit_nodes_no_delete BEFORE DELETE ON audit_nodes
BEGIN SELECT RAISE(ABORT, 'audit tree nodes are append-only'); END;
CREATE TABLE audit_checkpoints (
  id         INTEGER PRIMARY KEY,
  tree_size  INTEGER NOT NULL,
  root       BLOB NOT NULL,
  at         INTEGER NOT NULL,
  public_key BLOB NOT NULL,
  signature  BLOB NOT NULL
);
CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END;
CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END;
CREATE TRIGGER audit_checkpoints_next_id BEFORE INSERT ON audit_checkpoints
WHEN NEW.id IS NOT (SELECT COALESCE(MAX(id), 0) + 1 FROM audit_checkpoints)
BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only: only the next number can be added'); END;
)sql"}}};
}

crypto::Digest AuditLog::leaf_hash(std::int64_t seq, TimePoint at, const Entry& e) {
  Bytes canonical{0x00};  // RFC 6962 leaf prefix
  put_u64(canonical, static_cast<std::uint64_t>(seq));
  put_u64(canonical, static_cast<std::uint64_t>(to_unix_ms(at)));
  for (std::string_view f : {std::string_view(e.actor.user), std::string_view(e.actor.terminal),
                             std::string_view(e.action), std::string_view(e.object),
                             outcome_name(e.outcome), std::string_view(e.detail)}) {
    put_field(canonical, f);
  }
  put_u64(canonical, e.subjects.size());
  for (const auto& s : e.subjects) put_field(canonical, s);
  return crypto::sha256(canonical);
}

namespace {

// Checks an entry and returns it as it will be stored and hashed.
Result<Entry> normalized(const Entry& entry) {
  if (entry.actor.user.empty() || entry.action.empty()) {
    return fail(Errc::invalid_argument, {"監査エントリには操作者と操作が必要です",
                                         "audit entry needs an actor and an action"});
  }
  for (const auto& subject : entry.subjects) {
    if (!is_subject_reference(subject)) {
      return fail(Errc::invalid_argument,
                  {"監査エントリの subjects は患者の HMAC 参照（16進）だけにしてください",
                   "audit entry subjects must be patient HMAC references (lower-case hex)"});
    }
  }
  // What is hashed is exactly what is stored: an empty detail is the empty object.
  Entry stored = entry;
  if (stored.detail.empty()) stored.detail = "{}";
  if (!nlohmann::json::parse(stored.detail, nullptr, false).is_object()) {
    return fail(Errc::invalid_argument, {"監査エントリの detail は JSON オブジェクトにしてください",
                                         "audit entry detail must be a JSON object"});
  }
  return stored;
}

// Inserts `rows` of `width` values each with multi-row INSERTs of up to 64 rows: under group
// commit, one statement (and one statement journal) per 64 entries instead of per entry.
Status insert_rows(store::Database& db, std::string_view head, std::size_t width,
                   const std::vector<store::Value>& values) {
  constexpr std::size_t kRowsPerStatement = 64;
  std::size_t rows = values.size() / width;
  std::string tuple = "(";
  for (std::size_t i = 0; i < width; ++i) tuple += i == 0 ? "?" : ", ?";
  tuple += ")";
  for (std::size_t done = 0; done < rows;) {
    std::size_t n = std::min(kRowsPerStatement, rows - done);
    std::string sql(head);
    for (std::size_t i = 0; i < n; ++i) sql += (i ? ", " : " VALUES ") + tuple;
    std::vector<store::Value> chunk(
        values.begin() + static_cast<std::ptrdiff_t>(done * width),
        values.begin() + static_cast<std::ptrdiff_t>((done + n) * width));
    TKM_RETURN_IF_ERROR(db.execute(sql, chunk));
    done += n;
  }
  return ok();
}

}  // namespace

Result<std::int64_t> AuditLog::append(store::Transaction& tx, const Entry& entry) {
  TKM_ASSIGN_OR_RETURN(auto results, append_all(tx, std::span(&entry, 1)));
  return std::move(results[0]);
}

Result<std::vector<Result<std::int64_t>>> AuditLog::append_all(store::Transaction& tx,
                                                               std::span<const Entry> entries) {
  store::Database& db = tx.db();
  if (&db != db_) {
    return fail(Errc::internal, {"監査ログと別のデータベースのトランザクションです",
                                 "transaction belongs to another database than the audit log"});
  }
  if (!tx.is_open()) {
    return fail(Errc::internal, {"終了したトランザクションには監査エントリを書けません",
                                 "cannot append an audit entry through a finished transaction"});
  }
  std::vector<Result<std::int64_t>> out;
  std::vector<Entry> accepted;
  out.reserve(entries.size());
  for (const auto& e : entries) {
    auto n = normalized(e);
    if (!n) {
      out.push_back(std::unexpected(n.error()));
      continue;
    }
    out.push_back(0);  // its number, below
    accepted.push_back(std::move(*n));
  }
  if (accepted.empty()) return out;
  TKM_ASSIGN_OR_RETURN(
      store::Rows last,
      db.query("SELECT seq, chain_hash FROM audit_entries ORDER BY seq DESC LIMIT 1"));
  std::int64_t seq = last.empty() ? 0 : last[0].integer(0);
  const std::int64_t first = seq + 1;  // accepted entries take first, first + 1, …
  crypto::Digest link = last.empty() ? crypto::Digest{} : to_digest(last[0].blob(1));
  TKM_ASSIGN_OR_RETURN(merkle::Frontier * tree, frontier(seq, link));
  std::vector<store::Value> rows;
  std::vector<store::Value> nodes;
  rows.reserve(accepted.size() * 11);
  for (const Entry& e : accepted) {
    ++seq;
    TimePoint at = clock_->now();
    crypto::Digest leaf = leaf_hash(seq, at, e);
    link = chain(link, leaf);
    nlohmann::json subjects = e.subjects;
    for (store::Value v :
         {store::Value(seq), store::Value(to_unix_ms(at)), store::Value(e.actor.user),
          store::Value(e.actor.terminal), store::Value(e.action), store::Value(e.object),
          store::Value(std::string(outcome_name(e.outcome))), store::Value(e.detail),
          store::Value(subjects.dump()), store::Value(Bytes(leaf.begin(), leaf.end())),
          store::Value(Bytes(link.begin(), link.end()))}) {
      rows.push_back(std::move(v));
    }
    tree->append(leaf, [&](int level, std::uint64_t index, const crypto::Digest& h) {
      nodes.emplace_back(std::int64_t{level});
      nodes.emplace_back(static_cast<std::int64_t>(index));
      nodes.emplace_back(Bytes(h.begin(), h.end()));
    });
  }
  Status written = insert_rows(db,
                               "INSERT INTO audit_entries (seq, at, actor, terminal, action, "
                               "object, outcome, detail, subjects, leaf_hash, chain_hash)",
                               11, rows);
  if (written) written = insert_rows(db, "INSERT INTO audit_nodes (level, idx, hash)", 3, nodes);
  if (!written) {
    cache_.reset();  // the frontier moved on with entries that are not there
    return std::unexpected(written.error());
  }
  cache_->seq = seq;
  cache_->chain = link;
  std::int64_t next = first;
  for (auto& r : out) {
    if (r) r = next++;
  }
  return out;
}

merkle::NodeSource AuditLog::stored_nodes() {
  return [db = db_](int level, std::uint64_t index) -> Result<crypto::Digest> {
    auto n = static_cast<std::int64_t>(index);
    TKM_ASSIGN_OR_RETURN(
        store::Rows rows,
        level == 0 ? db->query("SELECT leaf_hash FROM audit_entries WHERE seq = ?", {n + 1})
                   : db->query("SELECT hash FROM audit_nodes WHERE level = ? AND idx = ?",
                               {std::int64_t{level}, n}));
    if (rows.empty() || !std::holds_alternative<Bytes>(rows[0][0]) ||
        rows[0].blob(0).size() != 32) {
      return fail(Errc::not_found, {"監査ログの木の節 (レベル " + std::to_string(level) +
                                        "、番号 " + std::to_string(index) + ") がありません",
                                    "audit tree node (level " + std::to_string(level) + ", index " +
                                        std::to_string(index) + ") is missing"});
    }
    return to_digest(rows[0].blob(0));
  };
}

Result<merkle::Frontier*> AuditLog::frontier(std::int64_t seq, const crypto::Digest& chain) {
  if (cache_ && cache_->seq == seq && cache_->chain == chain) return &cache_->frontier;
  cache_.reset();
  auto loaded = merkle::Frontier::load(stored_nodes(), static_cast<std::uint64_t>(seq));
  if (!loaded) {
    // A log from before the tree: build its nodes once from the stored leaf hashes.
    TKM_ASSIGN_OR_RETURN(store::Row count, db_->query_one("SELECT COUNT(*) FROM audit_nodes"));
    if (count.integer(0) != 0) return std::unexpected(loaded.error());
    merkle::Frontier built;
    for (std::int64_t from = 1; from <= seq; from += 10000) {
      TKM_ASSIGN_OR_RETURN(
          store::Rows rows,
          db_->query("SELECT leaf_hash FROM audit_entries WHERE seq >= ? AND seq < ? ORDER BY seq",
                     {from, std::min(from + 10000, seq + 1)}));
      std::vector<store::Value> nodes;
      for (const auto& r : rows) {
        built.append(to_digest(r.blob(0)),
                     [&](int level, std::uint64_t index, const crypto::Digest& h) {
                       nodes.emplace_back(std::int64_t{level});
                       nodes.emplace_back(static_cast<std::int64_t>(index));
                       nodes.emplace_back(Bytes(h.begin(), h.end()));
                     });
      }
      TKM_RETURN_IF_ERROR(
          insert_rows(*db_, "INSERT INTO audit_nodes (level, idx, hash)", 3, nodes));
    }
    loaded = std::move(built);
  }
  cache_ = Cached{seq, chain, std::move(*loaded)};
  return &cache_->frontier;
}

Result<std::int64_t> AuditLog::record(const Entry& entry) {
  TKM_ASSIGN_OR_RETURN(store::Transaction tx, db_->begin());
  TKM_ASSIGN_OR_RETURN(std::int64_t seq, append(tx, entry));
  TKM_RETURN_IF_ERROR(tx.commit());
  return seq;
}

Result<std::vector<StoredEntry>> AuditLog::read(std::int64_t from, std::int64_t limit) {
  TKM_ASSIGN_OR_RETURN(
      store::Rows rows,
      db_->query(std::string(kSelect) + " WHERE seq >= ? ORDER BY seq LIMIT ?", {from, limit}));
  std::vector<StoredEntry> out;
  for (const auto& r : rows) {
    TKM_ASSIGN_OR_RETURN(StoredEntry s, from_row(r));
    out.push_back(std::move(s));
  }
  return out;
}

Result<std::int64_t> AuditLog::record_all(std::span<const Entry> entries) {
  TKM_ASSIGN_OR_RETURN(store::Transaction tx, db_->begin());
  TKM_ASSIGN_OR_RETURN(auto results, append_all(tx, entries));
  for (auto& r : results) {
    if (!r) return std::unexpected(r.error());  // nothing is committed
  }
  TKM_RETURN_IF_ERROR(tx.commit());
  return results.empty() ? 0 : *results[0];
}

Result<std::vector<StoredEntry>> AuditLog::read_as(const Actor& reader, std::int64_t from,
                                                   std::int64_t limit) {
  TKM_RETURN_IF_ERROR(status_of(record({reader,
                                        "audit.read",
                                        "audit:log",
                                        Outcome::success,
                                        nlohmann::json{{"from", from}, {"limit", limit}}.dump(),
                                        {}})));
  return read(from, limit);
}

Result<std::int64_t> AuditLog::size() {
  TKM_ASSIGN_OR_RETURN(store::Row row,
                       db_->query_one("SELECT COALESCE(MAX(seq), 0) FROM audit_entries"));
  return row.integer(0);
}

namespace {

std::string checkpoint_name(const Checkpoint& c) {
  return c.id > 0 ? "#" + std::to_string(c.id) : "(" + format_jst(c.at) + ")";
}

Checkpoint checkpoint_from(const store::Row& r) {
  Checkpoint c;
  c.id = r.integer(0);
  c.tree_size = static_cast<std::uint64_t>(r.integer(1));
  if (std::holds_alternative<Bytes>(r[2])) c.root = to_digest(r.blob(2));
  c.at = from_unix_ms(r.integer(3));
  if (std::holds_alternative<Bytes>(r[4])) c.public_key = r.blob(4);
  if (std::holds_alternative<Bytes>(r[5])) c.signature = r.blob(5);
  return c;
}

}  // namespace

std::string Checkpoint::signed_text() const {
  return "tokumei-audit-checkpoint/1\nsize " + std::to_string(tree_size) + "\nroot " +
         hex_encode(root) + "\ntime " + std::to_string(to_unix_ms(at)) + "\n";
}

bool Checkpoint::verify_signature(std::span<const Bytes> trusted_keys) const {
  if (!trusted_keys.empty() && std::ranges::find(trusted_keys, public_key) == trusted_keys.end()) {
    return false;
  }
  return crypto::ed25519_verify(public_key, as_bytes(signed_text()), signature);
}

std::string Checkpoint::to_json() const {
  return nlohmann::json{{"size", tree_size},
                        {"root", hex_encode(root)},
                        {"time", to_unix_ms(at)},
                        {"public_key", hex_encode(public_key)},
                        {"signature", hex_encode(signature)}}
      .dump();
}

Result<Checkpoint> Checkpoint::from_json(std::string_view line) {
  auto bad = [](std::string_view why) {
    return fail(Errc::invalid_input, {"チェックポイントの形式が不正です: " + std::string(why),
                                      "malformed checkpoint: " + std::string(why)});
  };
  auto j = nlohmann::json::parse(line, nullptr, false);
  if (!j.is_object()) return bad("not a JSON object");
  Checkpoint c;
  try {
    c.tree_size = j.at("size").get<std::uint64_t>();
    auto root = hex_decode(j.at("root").get<std::string>());
    if (!root || root->size() != 32) return bad("root");
    c.root = to_digest(*root);
    c.at = from_unix_ms(j.at("time").get<std::int64_t>());
    auto key = hex_decode(j.at("public_key").get<std::string>());
    auto sig = hex_decode(j.at("signature").get<std::string>());
    if (!key || !sig) return bad("public_key or signature");
    c.public_key = std::move(*key);
    c.signature = std::move(*sig);
  } catch (const nlohmann::json::exception& e) {
    return bad(e.what());
  }
  return c;
}

Result<std::vector<Checkpoint>> read_checkpoint_file(const std::filesystem::path& path) {
  TKM_ASSIGN_OR_RETURN(std::string text, read_file(path));
  std::vector<Checkpoint> out;
  int line_no = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + pos, end - pos);
    ++line_no;
    pos = end + 1;
    if (line.empty()) continue;
    auto c = Checkpoint::from_json(line);
    if (!c) {
      return fail(Errc::invalid_input, c.error().text(),
                  Location{.file = path.string(), .line = line_no});
    }
    out.push_back(std::move(*c));
  }
  return out;
}

Result<Checkpoint> AuditLog::checkpoint(const Actor& by, const crypto::Ed25519PrivateKey& key) {
  TKM_ASSIGN_OR_RETURN(store::Transaction tx, db_->begin());
  TKM_ASSIGN_OR_RETURN(
      std::int64_t seq,
      append(tx, {by, "audit.checkpoint", "audit:log", Outcome::success, "{}", {}}));
  Checkpoint c;
  c.tree_size = static_cast<std::uint64_t>(seq);
  c.root = cache_->frontier.root();  // append just brought the frontier to `seq`
  c.at = clock_->now();
  c.public_key = key.public_key();
  c.signature = key.sign(as_bytes(c.signed_text()));
  TKM_ASSIGN_OR_RETURN(store::Row next,
                       db_->query_one("SELECT COALESCE(MAX(id), 0) + 1 FROM audit_checkpoints"));
  c.id = next.integer(0);
  TKM_RETURN_IF_ERROR(
      db_->execute("INSERT INTO audit_checkpoints (id, tree_size, root, at, public_key, signature) "
                   "VALUES (?, ?, ?, ?, ?, ?)",
                   {c.id, seq, Bytes(c.root.begin(), c.root.end()), to_unix_ms(c.at), c.public_key,
                    c.signature}));
  TKM_RETURN_IF_ERROR(tx.commit());
  return c;
}

Result<std::vector<Checkpoint>> AuditLog::checkpoints() {
  TKM_ASSIGN_OR_RETURN(store::Rows rows,
                       db_->query("SELECT id, tree_size, root, at, public_key, signature FROM "
                                  "audit_checkpoints ORDER BY id"));
  std::vector<Checkpoint> out;
  for (const auto& r : rows) out.push_back(checkpoint_from(r));
  return out;
}

Result<crypto::Digest> AuditLog::root(std::uint64_t tree_size) {
  return merkle::root(stored_nodes(), tree_size);
}

Result<InclusionProof> AuditLog::prove(std::int64_t seq, std::uint64_t tree_size) {
  TKM_ASSIGN_OR_RETURN(std::int64_t n, size());
  if (tree_size == 0) tree_size = static_cast<std::uint64_t>(n);
  if (seq < 1 || static_cast<std::uint64_t>(seq) > tree_size ||
      tree_size > static_cast<std::uint64_t>(n)) {
    return fail(
        Errc::not_found,
        {"監査エントリ " + std::to_string(seq) + " は木の大きさ " + std::to_string(tree_size) +
             " (ログは " + std::to_string(n) + " 件) の範囲外です",
         "audit entry " + std::to_string(seq) + " is outside a tree of " +
             std::to_string(tree_size) + " (the log holds " + std::to_string(n) + ")"});
  }
  auto nodes = stored_nodes();
  InclusionProof p;
  p.seq = seq;
  p.tree_size = tree_size;
  // The leaf is recomputed from the entry as it reads now, not taken from its stored hash, so a
  // proof never vouches for an entry changed behind the log's back.
  TKM_ASSIGN_OR_RETURN(std::vector<StoredEntry> entry, read(seq, 1));
  if (entry.empty()) {
    return fail(Errc::not_found, {"監査エントリ " + std::to_string(seq) + " がありません",
                                  "no audit entry " + std::to_string(seq)});
  }
  p.leaf = leaf_hash(seq, entry[0].at, entry[0].entry);
  if (p.leaf != entry[0].leaf_hash) return fail(Errc::integrity, altered(seq));
  TKM_ASSIGN_OR_RETURN(p.root, merkle::root(nodes, tree_size));
  TKM_ASSIGN_OR_RETURN(
      p.path, merkle::inclusion_proof(nodes, static_cast<std::uint64_t>(seq - 1), tree_size));
  return p;
}

Result<ConsistencyProof> AuditLog::consistency(std::uint64_t first, std::uint64_t second) {
  TKM_ASSIGN_OR_RETURN(std::int64_t n, size());
  if (second == 0) second = static_cast<std::uint64_t>(n);
  if (first == 0 || first > second || second > static_cast<std::uint64_t>(n)) {
    return fail(Errc::invalid_argument,
                {"木の大きさ " + std::to_string(first) + " と " + std::to_string(second) +
                     " の間の整合性は示せません (ログは " + std::to_string(n) + " 件)",
                 "no consistency proof between tree sizes " + std::to_string(first) + " and " +
                     std::to_string(second) + " (the log holds " + std::to_string(n) + ")"});
  }
  auto nodes = stored_nodes();
  ConsistencyProof p;
  p.first = first;
  p.second = second;
  TKM_ASSIGN_OR_RETURN(p.first_root, merkle::root(nodes, first));
  TKM_ASSIGN_OR_RETURN(p.second_root, merkle::root(nodes, second));
  TKM_ASSIGN_OR_RETURN(p.path, merkle::consistency_proof(nodes, first, second));
  return p;
}

Result<VerifyReport> AuditLog::verify(std::span<const Bytes> trusted_key,
                                      std::span<const Checkpoint> witnessed) {
  VerifyReport report;
  auto bad = [&](std::int64_t seq, Text why) {
    report.first_bad = seq;
    report.problem = std::move(why);
    return report;
  };

  // Checkpoints first: their signatures and order need no entries. Each is then compared with the
  // root when the walk reaches its size.
  TKM_ASSIGN_OR_RETURN(std::vector<Checkpoint> stored, checkpoints());
  std::vector<const Checkpoint*> pending;
  std::uint64_t previous_size = 0;
  for (const auto& c : stored) {
    std::string name = checkpoint_name(c);
    std::int64_t expected_id = static_cast<std::int64_t>(pending.size()) + 1;
    if (c.id != expected_id) {
      std::string missing = "#" + std::to_string(expected_id);
      return bad(static_cast<std::int64_t>(c.tree_size),
                 {"チェックポイント " + missing + " が欠落しています（削除の疑い）",
                  "checkpoint " + missing + " is missing (deleted?)"});
    }
    if (!c.verify_signature(trusted_key)) {
      return bad(static_cast<std::int64_t>(c.tree_size),
                 {"チェックポイント " + name + " の署名が正しくありません（偽造の疑い）",
                  "checkpoint " + name + " has a bad signature (forged?)"});
    }
    if (c.tree_size < previous_size) {
      return bad(static_cast<std::int64_t>(c.tree_size),
                 {"チェックポイント " + name + " の大きさが前のものより小さくなっています",
                  "checkpoint " + name + " is smaller than the one before it"});
    }
    previous_size = c.tree_size;
    pending.push_back(&c);
  }
  for (const auto& c : witnessed) {
    if (!c.verify_signature(trusted_key)) {
      return bad(static_cast<std::int64_t>(c.tree_size),
                 {"外部保管のチェックポイント " + checkpoint_name(c) + " の署名が正しくありません",
                  "witnessed checkpoint " + checkpoint_name(c) + " has a bad signature"});
    }
    pending.push_back(&c);
  }
  std::ranges::stable_sort(pending, {}, &Checkpoint::tree_size);
  std::size_t next_checkpoint = 0;
  const Checkpoint* last_good = nullptr;

  merkle::Frontier tree;
  std::vector<std::vector<crypto::Digest>> computed(1);  // computed[level][index], level >= 1
  auto keep_node = [&](int level, std::uint64_t index, const crypto::Digest& h) {
    if (computed.size() <= static_cast<std::size_t>(level)) computed.resize(level + 1);
    auto& row = computed[level];
    if (row.size() <= index) row.resize(index + 1);
    row[index] = h;
  };
  auto check_checkpoints = [&]() -> std::optional<VerifyReport> {
    while (next_checkpoint < pending.size() && pending[next_checkpoint]->tree_size == tree.size()) {
      const Checkpoint& c = *pending[next_checkpoint++];
      ++report.checkpoints;
      if (c.root != tree.root()) {
        std::uint64_t from = last_good ? last_good->tree_size + 1 : 1;
        return bad(static_cast<std::int64_t>(from),
                   {"チェックポイント " + checkpoint_name(c) + " (" + std::to_string(c.tree_size) +
                        " 件) の根がログと一致しません。エントリ " + std::to_string(from) + "〜" +
                        std::to_string(c.tree_size) + " のどれかが書き換えられています",
                    "checkpoint " + checkpoint_name(c) + " (" + std::to_string(c.tree_size) +
                        " entries) does not match the log: one of entries " + std::to_string(from) +
                        "–" + std::to_string(c.tree_size) + " was rewritten"});
      }
      last_good = &c;
    }
    return std::nullopt;
  };
  if (auto r = check_checkpoints()) return *r;

  crypto::Digest prev{};
  std::int64_t expected = 1;
  constexpr std::int64_t kBatch = 10000;
  for (;;) {
    TKM_ASSIGN_OR_RETURN(store::Rows rows,
                         db_->query(std::string(kSelect) + " WHERE seq >= ? ORDER BY seq LIMIT ?",
                                    {expected, kBatch}));
    for (const auto& row : rows) {
      std::int64_t seq = row.integer(0);
      if (seq != expected) {
        return bad(expected,
                   {"監査エントリ " + std::to_string(expected) + " が欠落しています（削除の疑い）",
                    "audit entry " + std::to_string(expected) + " is missing (deleted?)"});
      }
      auto s = from_row(row);
      if (!s) return bad(seq, s.error().text());
      if (leaf_hash(s->seq, s->at, s->entry) != s->leaf_hash) return bad(seq, altered(seq));
      if (chain(prev, s->leaf_hash) != s->chain_hash) {
        return bad(seq,
                   {"監査エントリ " + std::to_string(seq) + " でハッシュチェーンが切れています",
                    "the hash chain breaks at audit entry " + std::to_string(seq)});
      }
      prev = s->chain_hash;
      tree.append(s->leaf_hash, keep_node);
      if (auto r = check_checkpoints()) return *r;
      ++expected;
      ++report.entries;
    }
    if (static_cast<std::int64_t>(rows.size()) < kBatch) break;
  }
  // The walk from 1 upwards cannot see rows numbered below 1 (the insert trigger refuses them; an
  // older file might not).
  TKM_ASSIGN_OR_RETURN(store::Row low,
                       db_->query_one("SELECT MIN(seq) FROM audit_entries WHERE seq < 1"));
  if (!low.is_null(0)) {
    return bad(low.integer(0), {"監査エントリ " + std::to_string(low.integer(0)) +
                                    " は正規の連番の外にあります（挿入の疑い）",
                                "audit entry " + std::to_string(low.integer(0)) +
                                    " is outside the sequence (inserted?)"});
  }
  // A checkpoint beyond the end: entries were cut off, or an older copy of the log put back.
  if (next_checkpoint < pending.size()) {
    const Checkpoint& c = *pending.back();
    return bad(
        report.entries + 1,
        {"ログは " + std::to_string(report.entries) + " 件ですが、チェックポイント " +
             checkpoint_name(c) + " は " + std::to_string(c.tree_size) +
             " 件に署名しています。エントリ " + std::to_string(report.entries + 1) + "〜" +
             std::to_string(c.tree_size) + " が失われています（切り詰めまたは巻き戻しの疑い）",
         "the log holds " + std::to_string(report.entries) + " entries but checkpoint " +
             checkpoint_name(c) + " signed " + std::to_string(c.tree_size) + ": entries " +
             std::to_string(report.entries + 1) + "–" + std::to_string(c.tree_size) +
             " are gone (cut short or rolled back?)"});
  }
  // Every stored node over the entries walked must be exactly the one they give, and none may be
  // missing or extra. Nodes over entries appended since the walk began are left for next time.
  // Both lists are in (level, index) order, so one walk finds the first difference.
  TKM_ASSIGN_OR_RETURN(store::Rows nodes,
                       db_->query("SELECT level, idx, hash FROM audit_nodes WHERE ((idx + 1) << "
                                  "level) <= ? ORDER BY level, idx",
                                  {report.entries}));
  auto node_problem = [&](std::int64_t level, std::int64_t index, bool missing) {
    std::int64_t first = (index << level) + 1;
    std::string range = std::to_string(first) + "–" + std::to_string(first + (1LL << level) - 1);
    std::string where = "(レベル " + std::to_string(level) + "、エントリ " + range + ")";
    std::string where_en = "(level " + std::to_string(level) + ", entries " + range + ")";
    return missing
               ? bad(first, {"監査ログの木の節 " + where + " がありません（削除の疑い）",
                             "audit tree node " + where_en + " is missing (deleted?)"})
               : bad(first, {"監査ログの木の節 " + where + " が書き換えられているか、余分です",
                             "audit tree node " + where_en + " was altered or does not belong"});
  };
  std::size_t level = 1;
  std::size_t index = 0;
  auto skip_full_levels = [&] {
    while (level < computed.size() && index >= computed[level].size()) {
      ++level;
      index = 0;
    }
  };
  skip_full_levels();
  for (const auto& r : nodes) {
    std::int64_t row_level = r.integer(0);
    std::int64_t row_index = r.integer(1);
    if (level >= computed.size()) return node_problem(row_level, row_index, false);
    auto at = std::make_pair(static_cast<std::int64_t>(level), static_cast<std::int64_t>(index));
    if (std::make_pair(row_level, row_index) > at) return node_problem(at.first, at.second, true);
    bool same = std::make_pair(row_level, row_index) == at && std::holds_alternative<Bytes>(r[2]) &&
                r.blob(2).size() == 32 && to_digest(r.blob(2)) == computed[level][index];
    if (!same) return node_problem(row_level, row_index, false);
    ++report.nodes;
    ++index;
    skip_full_levels();
  }
  if (level < computed.size()) {
    return node_problem(static_cast<std::int64_t>(level), static_cast<std::int64_t>(index), true);
  }
  if (last_good) report.latest = *last_good;
  return report;
}

}  // namespace tokumei::audit
