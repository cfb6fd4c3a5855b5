#include "tokumei/audit/audit_log.h"

#include <algorithm>
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
  // The hash covers the subjects as a list, so the stored text must be exactly that list's form.
  auto subjects = nlohmann::json::parse(r.text(8), nullptr, false);
  if (!subjects.is_array() || subjects.dump() != r.text(8)) return bad("subjects");
  for (const auto& v : subjects) {
    if (!v.is_string()) return bad("subjects");
    s.entry.subjects.push_back(v.get<std::string>());
  }
  s.leaf_hash = to_digest(r.blob(9));
  s.chain_hash = to_digest(r.blob(10));
  return s;
}

bool is_hex_reference(std::string_view s) {
  return s.size() >= 6 && s.size() <= 128 && std::ranges::all_of(s, [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
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
  for (const auto& subject : entry.subjects) {
    if (!is_hex_reference(subject)) {
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
  TKM_ASSIGN_OR_RETURN(
      store::Rows last,
      db.query("SELECT seq, chain_hash FROM audit_entries ORDER BY seq DESC LIMIT 1"));
  std::int64_t seq = last.empty() ? 1 : last[0].integer(0) + 1;
  crypto::Digest prev = last.empty() ? crypto::Digest{} : to_digest(last[0].blob(1));
  TimePoint at = clock_->now();
  crypto::Digest leaf = leaf_hash(seq, at, stored);
  crypto::Digest link = chain(prev, leaf);
  nlohmann::json subjects = stored.subjects;
  TKM_RETURN_IF_ERROR(db.execute(
      "INSERT INTO audit_entries (seq, at, actor, terminal, action, object, outcome, detail, "
      "subjects, leaf_hash, "
      "chain_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {seq, to_unix_ms(at), stored.actor.user, stored.actor.terminal, stored.action, stored.object,
       std::string(outcome_name(stored.outcome)), stored.detail, subjects.dump(),
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
  auto bad = [&](std::int64_t seq, Text why) {
    report.first_bad = seq;
    report.problem = std::move(why);
    return report;
  };
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
      if (leaf_hash(s->seq, s->at, s->entry) != s->leaf_hash) {
        return bad(seq,
                   {"監査エントリ " + std::to_string(seq) +
                        " の内容がハッシュと一致しません（改ざんの疑い）",
                    "audit entry " + std::to_string(seq) + " does not match its hash (altered?)"});
      }
      if (chain(prev, s->leaf_hash) != s->chain_hash) {
        return bad(seq,
                   {"監査エントリ " + std::to_string(seq) + " でハッシュチェーンが切れています",
                    "the hash chain breaks at audit entry " + std::to_string(seq)});
      }
      prev = s->chain_hash;
      ++expected;
      ++report.entries;
    }
    if (static_cast<std::int64_t>(rows.size()) < kBatch) break;
  }
  // The walk from 1 upwards cannot see rows numbered below 1 (the insert trigger refuses them; an
  // older file might not). Entries removed from the very end leave no gap: the signed checkpoints
  // of the Merkle log will catch that.
  TKM_ASSIGN_OR_RETURN(store::Row low,
                       db_->query_one("SELECT MIN(seq) FROM audit_entries WHERE seq < 1"));
  if (!low.is_null(0)) {
    return bad(low.integer(0), {"監査エントリ " + std::to_string(low.integer(0)) +
                                    " は正規の連番の外にあります（挿入の疑い）",
                                "audit entry " + std::to_string(low.integer(0)) +
                                    " is outside the sequence (inserted?)"});
  }
  return report;
}

}  // namespace tokumei::audit
