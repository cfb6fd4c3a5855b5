#include "tokumei/audit/audit_log.h"

#include <nlohmann/json.hpp>

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

Result<StoredEntry> from_row(const store::Row& r) {
  StoredEntry s;
  s.seq = r.integer(0);
  s.at = from_unix_ms(r.integer(1));
  s.entry.actor = {r.text(2), r.text(3)};
  s.entry.action = r.text(4);
  s.entry.object = r.text(5);
  TKM_ASSIGN_OR_RETURN(s.entry.outcome, parse_outcome(r.text(6)));
  s.entry.detail = r.text(7);
  auto subjects = nlohmann::json::parse(r.text(8), nullptr, false);
  if (subjects.is_array()) {
    for (const auto& v : subjects) {
      if (v.is_string()) s.entry.subjects.push_back(v.get<std::string>());
    }
  }
  s.leaf_hash = to_digest(r.blob(9));
  s.chain_hash = to_digest(r.blob(10));
  return s;
}

}  // namespace

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
  return {"audit", {{1, "append-only hash-chained audit entries", R"sql(
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

Result<std::int64_t> AuditLog::append(store::Transaction& tx, const Entry& entry) {
  store::Database& db = tx.db();
  if (&db != db_) {
    return fail(Errc::internal, {"監査ログと別のデータベースのトランザクションです",
                                 "transaction belongs to another database than the audit log"});
  }
  if (!tx.is_open()) {
    return fail(Errc::internal, {"終了したトランザクションには監査エントリを書けません",
                                 "cannot append an audit entry through a finished transaction"});
  }
  if (entry.actor.user.empty() || entry.action.empty()) {
    return fail(Errc::invalid_argument, {"監査エントリには操作者と操作が必要です",
                                         "audit entry needs an actor and an action"});
  }
  // What is hashed is exactly what is stored: an empty detail is the empty object.
  Entry stored = entry;
  if (stored.detail.empty()) stored.detail = "{}";
  if (!nlohmann::json::parse(stored.detail, nullptr, false).is_object()) {
    return fail(Errc::invalid_argument, {"監査エントリの detail は JSON オブジェクトにしてください",
                                         "audit entry detail must be a JSON object"});
  }
  TKM_ASSIGN_OR_RETURN(
      store::Rows last,
      db.query("SELECT seq, chain_hash FROM audit_entries ORDER BY seq DESC LIMIT 1"));
  std::int64_t seq = last.empty() ? 1 : last[0].integer(0) + 1;
  crypto::Digest prev = last.empty() ? crypto::Digest{} : to_digest(last[0].blob(1));
  TimePoint at = clock_->now();
  crypto::Digest leaf = leaf_hash(seq, at, stored);
  crypto::Digest link = chain(prev, leaf);
  nlohmann::json subjects = entry.subjects;
  TKM_RETURN_IF_ERROR(db.execute(
      "INSERT INTO audit_entries (seq, at, actor, terminal, action, object, outcome, detail, "
      "subjects, leaf_hash, "
      "chain_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {seq, to_unix_ms(at), entry.actor.user, entry.actor.terminal, entry.action, entry.object,
       std::string(outcome_name(entry.outcome)), stored.detail, subjects.dump(),
       Bytes(leaf.begin(), leaf.end()), Bytes(link.begin(), link.end())}));
  return seq;
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

Result<VerifyReport> AuditLog::verify() {
  VerifyReport report;
  crypto::Digest prev{};
  std::int64_t expected = 1;
  constexpr std::int64_t kBatch = 1000;
  for (;;) {
    TKM_ASSIGN_OR_RETURN(auto batch, read(expected, kBatch));
    for (const auto& s : batch) {
      auto bad = [&](Text why) {
        report.first_bad = s.seq;
        report.problem = std::move(why);
      };
      if (s.seq != expected) {
        report.first_bad = expected;
        report.problem = {
            "監査エントリ " + std::to_string(expected) + " が欠落しています（削除の疑い）",
            "audit entry " + std::to_string(expected) + " is missing (deleted?)"};
        return report;
      }
      if (leaf_hash(s.seq, s.at, s.entry) != s.leaf_hash) {
        bad({"監査エントリ " + std::to_string(s.seq) +
                 " の内容がハッシュと一致しません（改ざんの疑い）",
             "audit entry " + std::to_string(s.seq) + " does not match its hash (altered?)"});
        return report;
      }
      if (chain(prev, s.leaf_hash) != s.chain_hash) {
        bad({"監査エントリ " + std::to_string(s.seq) + " でハッシュチェーンが切れています",
             "the hash chain breaks at audit entry " + std::to_string(s.seq)});
        return report;
      }
      prev = s.chain_hash;
      ++expected;
      ++report.entries;
    }
    if (static_cast<std::int64_t>(batch.size()) < kBatch) break;
  }
  // Rows the walk from 1 upwards cannot see (numbered 0 or below) are forgeries. Entries removed
  // from the very end leave no gap here; the signed checkpoints of the Merkle log will catch that.
  TKM_ASSIGN_OR_RETURN(store::Row count,
                       db_->query_one("SELECT COUNT(*), COALESCE(MIN(seq), 1) FROM audit_entries"));
  if (count.integer(0) != report.entries) {
    report.first_bad = count.integer(1);
    report.problem = {
        "監査エントリ " + std::to_string(count.integer(1)) +
            " は正規の連番の外にあります（挿入の疑い）",
        "audit entry " + std::to_string(count.integer(1)) + " is outside the sequence (inserted?)"};
  }
  return report;
}

}  // namespace tokumei::audit
