#pragma once
// A core database with the key ring, the audit log and the provision's tables, and helpers that
// register a lawful committee, a recipient and an approved request, for the release tests.

#include <gtest/gtest.h>

#include <memory>
#include <optional>

#include "support/test_support.h"
#include "tokumei/crypto/x509.h"
#include "tokumei/identity/linkage_store.h"
#include "tokumei/identity/vault.h"
#include "tokumei/ingest/batch.h"
#include "tokumei/release/committee.h"
#include "tokumei/release/contracts.h"
#include "tokumei/release/ledger.h"
#include "tokumei/release/registry.h"
#include "tokumei/release/schema.h"
#include "tokumei/store/key_ring_store.h"
#include "tokumei/store/sqlite_database.h"

namespace tokumei::release {

class ReleaseFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = store::SqliteDatabase::open(dir_ / "core.db", {.create = true});
    ASSERT_TRUE(db);
    db_ = std::move(*db);
    for (const auto& m : {store::DatabaseKeyRingStorage::schema(), audit::AuditLog::schema(),
                          identity::IdentityVault::schema(), identity::LinkageStore::schema(),
                          ingest::BatchStore::schema(), schema()}) {
      auto applied = store::migrate(*db_, m, clock_);
      ASSERT_TRUE(applied) << applied.error().describe(Lang::en);
    }
    storage_ = std::make_unique<store::DatabaseKeyRingStorage>(*db_);
    auto ring = crypto::KeyRing::create(
        *storage_,
        crypto::PassphraseSource{"release test passphrase", crypto::Argon2Params::for_tests()},
        clock_, random_);
    ASSERT_TRUE(ring);
    keys_.emplace(std::move(*ring));
    audit_.emplace(*db_, clock_);
  }

  Context ctx() { return {*db_, *keys_, *audit_, clock_}; }

  // Five members meeting every rule of REVIEW-01; the first two record decisions.
  static std::vector<Member> lawful_members() {
    return {
        {"山田 一郎",
         "yamada",
         "male",
         {"natural_science"},
         false,
         "2026-04-01",
         "2028-03-31",
         true},
        {"佐藤 花子", "sato", "female", {"humanities"}, true, "2026-04-01", "2028-03-31", false},
        {"鈴木 次郎", "", "male", {"general"}, true, "2026-04-01", "2028-03-31", false},
        {"高橋 三恵", "", "female", {"natural_science"}, false, "2026-04-01", "2028-03-31", false},
        {"田中 四郎", "", "male", {"general"}, false, "2026-04-01", "2028-03-31", false},
    };
  }

  void register_recipient(const std::string& id, const std::string& certification = "",
                          const std::string& until = "") {
    auto pair = crypto::self_signed_certificate(id, "研究機関", 365, clock_);
    ASSERT_TRUE(pair);
    Registry registry(ctx());
    auto put = registry.put_recipient(coordinator_, {.id = id,
                                                     .name = id + " 大学",
                                                     .certificate = pair->certificate_pem,
                                                     .endpoint = "https://" + id + ".example/in",
                                                     .certification = certification,
                                                     .certified_until = until});
    ASSERT_TRUE(put) << put.error().describe(Lang::en);
  }

  void set_up_committee() {
    Committee c(ctx());
    ASSERT_TRUE(c.add_rules(coordinator_, {.version = "1",
                                           .approved_on = "2026-04-01",
                                           .document_sha256 = std::string(64, 'a'),
                                           .expedited_types = {"minor_change"},
                                           .quorum = 0}));
    auto roster = c.save_roster(coordinator_, "2026-04-01", lawful_members());
    ASSERT_TRUE(roster) << roster.error().describe(Lang::en);
  }

  static CohortSpec spec(DatasetKind kind = DatasetKind::anonymized) {
    return {.kind = kind,
            .period_from = "2020-04-01",
            .period_to = "2025-03-31",
            .diagnoses = {"E11"},
            .fields = {"age", "diagnosis", "sex"}};
  }

  Request request_for(const std::string& recipient, const std::string& type = "new") {
    return {.recipient = recipient,
            .application_type = type,
            .title = "2型糖尿病の治療経過",
            .purpose = "治療効果の比較",
            .research_content = "後ろ向きコホート研究",
            .publication_plan = "学会発表 (集団単位の集計のみ)",
            .benefits = "企業からの資金なし",
            .data_requested = "2型糖尿病患者の診断・処方",
            .safety_measures = "専用端末、入退室管理",
            .spec = spec()};
  }

  // Submits a request and approves it at a regular meeting; returns the request.
  Request approved_request(const std::string& recipient) {
    Committee c(ctx());
    auto q = c.submit(coordinator_, request_for(recipient));
    EXPECT_TRUE(q) << q.error().describe(Lang::en);
    auto m = c.record_meeting(coordinator_, {.held_on = "2026-05-20",
                                             .attendees = {"山田 一郎", "佐藤 花子", "鈴木 次郎"},
                                             .summary = "審議した"});
    EXPECT_TRUE(m) << m.error().describe(Lang::en);
    auto d = c.decide(member_, {.request_id = q->id,
                                .meeting_id = m->id,
                                .outcome = Outcome::approved,
                                .judgments = all_acceptable(),
                                .valid_until = "2027-03-31",
                                .summary = "目的・内容とも適切"});
    EXPECT_TRUE(d) << d.error().describe(Lang::en);
    return *q;
  }

  static std::array<std::optional<Judgment>, 4> all_acceptable() {
    return {Judgment{true, ""}, Judgment{true, ""}, Judgment{true, ""}, Judgment{true, ""}};
  }

  // An active outbound contract for the request, every clause ticked.
  Contract active_contract(const Request& q) {
    Contracts contracts(ctx());
    auto c = contracts.create(coordinator_, {.kind = ContractKind::outbound,
                                             .party = q.recipient,
                                             .request_id = q.id,
                                             .title = "提供契約",
                                             .signed_on = "2026-05-25",
                                             .valid_until = "2027-03-31",
                                             .document_sha256 = std::string(64, 'c')});
    EXPECT_TRUE(c) << c.error().describe(Lang::en);
    int article = 1;
    for (const auto& clause : clauses(ContractKind::outbound)) {
      EXPECT_TRUE(
          contracts.tick(coordinator_, c->id, clause.id, "第" + std::to_string(article++) + "条"));
    }
    auto activated = contracts.activate(coordinator_, c->id);
    EXPECT_TRUE(activated) << activated.error().describe(Lang::en);
    return *contracts.get(c->id);
  }

  tokumei::testing::TempDir dir_;
  FakeClock clock_{from_unix_ms(1'777'604'400'000)};  // 2026-05-01 12:00 JST
  SeededRandom random_{7};
  std::unique_ptr<store::SqliteDatabase> db_;
  std::unique_ptr<store::DatabaseKeyRingStorage> storage_;
  std::optional<crypto::KeyRing> keys_;
  std::optional<audit::AuditLog> audit_;
  const audit::Actor coordinator_{"kato", "t1"};
  const audit::Actor member_{"yamada", "t2"};
};

}  // namespace tokumei::release
