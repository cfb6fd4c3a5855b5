#include "tokumei/audit/reviews.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace tokumei::audit {
namespace {

// People, not processes: system actors and failed attempts by unknown IDs are not reviewed here.
constexpr const char* kPersons =
    "actor NOT LIKE 'system:%' AND actor NOT LIKE 'unknown:%' AND actor <> 'anonymous'";

}  // namespace

store::SchemaModule Reviews::schema() {
  return {"audit_reviews", {{1, "periodic audit-log reviews (AUDIT-08)", R"sql(
CREATE TABLE audit_reviews (
  id        INTEGER PRIMARY KEY,
  period_from INTEGER NOT NULL,
  period_to   INTEGER NOT NULL,
  reviewer  TEXT NOT NULL,
  covered   TEXT NOT NULL,
  entries   INTEGER NOT NULL,
  findings  TEXT NOT NULL,
  at        INTEGER NOT NULL
);
CREATE TRIGGER audit_reviews_no_update BEFORE UPDATE ON audit_reviews
BEGIN SELECT RAISE(ABORT, 'audit reviews are append-only'); END;
CREATE TRIGGER audit_reviews_no_delete BEFORE DELETE ON audit_reviews
BEGIN SELECT RAISE(ABORT, 'audit reviews are append-only'); END;
)sql"}}};
}

Result<Review> Reviews::sign_off(const Actor& reviewer, TimePoint from, TimePoint to,
                                 std::string_view findings) {
  if (findings.empty()) {
    return fail(Errc::invalid_input, {"レビューの所見を記録してください", "record the findings"},
                Location{.field = "findings"});
  }
  TimePoint now = clock_->now();
  if (to <= from || to > now) {
    return fail(Errc::invalid_input,
                {"レビュー期間が不正です（空か、まだ来ていない期間です）",
                 "the review period is empty or not over yet"},
                Location{.field = "period"});
  }
  TKM_ASSIGN_OR_RETURN(
      store::Rows rows,
      db_->query(std::string("SELECT actor, COUNT(*) FROM audit_entries WHERE at >= ? AND at < ? "
                             "AND actor <> ? AND ") +
                     kPersons + " GROUP BY actor ORDER BY actor",
                 {to_unix_ms(from), to_unix_ms(to), reviewer.user}));
  Review r;
  r.from = from;
  r.to = to;
  r.reviewer = reviewer.user;
  r.findings = std::string(findings);
  r.at = now;
  for (const auto& row : rows) {
    r.covered.push_back(row.text(0));
    r.entries += row.integer(1);
  }
  TKM_ASSIGN_OR_RETURN(store::Transaction tx, db_->begin());
  TKM_ASSIGN_OR_RETURN(
      std::optional<std::int64_t> id,
      db_->insert("INSERT INTO audit_reviews (period_from, period_to, reviewer, covered, entries, "
                  "findings, at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                  {to_unix_ms(from), to_unix_ms(to), reviewer.user,
                   nlohmann::json(r.covered).dump(), r.entries, r.findings, to_unix_ms(now)}));
  r.id = *id;
  TKM_RETURN_IF_ERROR(log_->append(tx, {reviewer,
                                        "audit.review",
                                        "audit_review:" + std::to_string(r.id),
                                        Outcome::success,
                                        nlohmann::json{{"from", format_utc(from)},
                                                       {"to", format_utc(to)},
                                                       {"covered", r.covered},
                                                       {"entries", r.entries}}
                                            .dump(),
                                        {}}));
  TKM_RETURN_IF_ERROR(tx.commit());
  return r;
}

Result<std::vector<Review>> Reviews::list() {
  TKM_ASSIGN_OR_RETURN(store::Rows rows,
                       db_->query("SELECT id, period_from, period_to, reviewer, covered, entries, "
                                  "findings, at FROM audit_reviews ORDER BY id"));
  std::vector<Review> out;
  for (const auto& row : rows) {
    Review r;
    r.id = row.integer(0);
    r.from = from_unix_ms(row.integer(1));
    r.to = from_unix_ms(row.integer(2));
    r.reviewer = row.text(3);
    auto covered = nlohmann::json::parse(row.text(4), nullptr, false);
    if (covered.is_array()) {
      for (const auto& v : covered) {
        if (v.is_string()) r.covered.push_back(v.get<std::string>());
      }
    }
    r.entries = row.integer(5);
    r.findings = row.text(6);
    r.at = from_unix_ms(row.integer(7));
    out.push_back(std::move(r));
  }
  return out;
}

Result<std::vector<std::string>> Reviews::unreviewed(TimePoint from, TimePoint to) {
  TKM_ASSIGN_OR_RETURN(
      store::Rows rows,
      db_->query(std::string("SELECT DISTINCT actor FROM audit_entries WHERE at >= ? AND at < ? "
                             "AND ") +
                     kPersons + " ORDER BY actor",
                 {to_unix_ms(from), to_unix_ms(to)}));
  TKM_ASSIGN_OR_RETURN(std::vector<Review> reviews, list());
  std::vector<std::string> out;
  for (const auto& row : rows) {
    const std::string& actor = row.text(0);
    bool covered = false;
    for (const auto& r : reviews) {
      // A review covers the actor's entries only if its period holds the whole asked period.
      if (r.from <= from && r.to >= to &&
          std::find(r.covered.begin(), r.covered.end(), actor) != r.covered.end()) {
        covered = true;
      }
    }
    if (!covered) out.push_back(actor);
  }
  return out;
}

Result<std::optional<TimePoint>> Reviews::unreviewed_since() {
  TKM_ASSIGN_OR_RETURN(store::Row first, db_->query_one("SELECT MIN(at) FROM audit_entries"));
  if (first.is_null(0)) return std::optional<TimePoint>{};
  TKM_ASSIGN_OR_RETURN(std::vector<Review> all, list());
  std::ranges::sort(all, {}, &Review::from);
  // Walk the periods in order: the first instant no period covers is where the gap starts.
  TimePoint covered = from_unix_ms(first.integer(0));
  for (const auto& r : all) {
    if (r.from > covered) break;
    covered = std::max(covered, r.to);
  }
  if (covered >= clock_->now()) return std::optional<TimePoint>{};
  return std::optional<TimePoint>(covered);
}

Result<bool> Reviews::overdue() {
  TKM_ASSIGN_OR_RETURN(std::optional<TimePoint> since, unreviewed_since());
  return since && clock_->now() - *since > std::chrono::days(31);
}

}  // namespace tokumei::audit
