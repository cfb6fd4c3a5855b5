// Registries and sanctions (PROVISION-08, PSEUDO-01), contracts (CONTRACT-01/02/05), onward
// provision (PROVISION-07) and the ledger (LEDGER-01..05).

#include <gmock/gmock.h>

#include "tokumei/crypto/signature.h"
#include "unit/release/release_fixture.h"

namespace tokumei::release {
namespace {

using ::testing::HasSubstr;

class ContractsTest : public ReleaseFixture {};

TEST_F(ContractsTest, ACertificateIsReadAndBadOnesAreRefused) {
  auto pair = crypto::self_signed_certificate("東大 研究室", "東京大学", 30, clock_);
  ASSERT_TRUE(pair);
  auto cert = crypto::parse_certificate(pair->certificate_pem);
  ASSERT_TRUE(cert) << cert.error().describe(Lang::en);
  EXPECT_THAT(cert->subject, HasSubstr("CN=東大 研究室"));
  EXPECT_EQ(cert->fingerprint.size(), 64u);
  EXPECT_TRUE(cert->valid_at(clock_.now()));
  EXPECT_FALSE(cert->valid_at(clock_.now() + std::chrono::days(31)));
  EXPECT_FALSE(crypto::parse_certificate("-----BEGIN CERTIFICATE-----\nAAAA\n"));
  Registry registry(ctx());
  auto bad =
      registry.put_recipient(coordinator_, {.id = "univ-a", .name = "A", .certificate = "x"});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), Errc::invalid_input);
}

TEST_F(ContractsTest, EligibilityNamesSuspensionAndCertification) {
  register_recipient("univ-a");
  register_recipient("univ-b", "第0001号", "2026-04-30");
  register_recipient("univ-c", "第0002号", "2027-05-31");
  Registry registry(ctx());
  EXPECT_TRUE(registry.check_eligible("univ-a", DatasetKind::anonymized));
  auto uncertified = registry.check_eligible("univ-a", DatasetKind::pseudonymized);
  ASSERT_FALSE(uncertified);
  EXPECT_THAT(uncertified.error().text().en, HasSubstr("PSEUDO-01"));
  auto lapsed = registry.check_eligible("univ-b", DatasetKind::pseudonymized);
  ASSERT_FALSE(lapsed);
  EXPECT_THAT(lapsed.error().text().en, HasSubstr("ended on 2026-04-30"));
  EXPECT_TRUE(registry.check_eligible("univ-c", DatasetKind::pseudonymized));
  auto stranger = registry.check_eligible("nobody", DatasetKind::anonymized);
  ASSERT_FALSE(stranger);
  EXPECT_THAT(stranger.error().text().en, HasSubstr("PROVISION-09"));

  EXPECT_FALSE(registry.sanction(
      coordinator_,
      {.recipient = "univ-a", .decided_on = "2026-06-01", .basis = "第5条違反", .actions = {}}));
  auto s = registry.sanction(coordinator_, {.recipient = "univ-a",
                                            .decided_on = "2026-06-01",
                                            .basis = "第5条違反 (目的外利用)",
                                            .actions = {"stop_use", "publication"}});
  ASSERT_TRUE(s) << s.error().describe(Lang::en);
  auto suspended = registry.check_eligible("univ-a", DatasetKind::anonymized);
  ASSERT_FALSE(suspended);
  EXPECT_THAT(suspended.error().text().en, HasSubstr("PROVISION-08"));
  ASSERT_TRUE(registry.sanction(coordinator_, {.recipient = "univ-a",
                                               .suspend = false,
                                               .decided_on = "2026-09-01",
                                               .basis = "是正を確認",
                                               .actions = {}}));
  EXPECT_TRUE(registry.check_eligible("univ-a", DatasetKind::anonymized));
  auto history = registry.sanctions("univ-a");
  ASSERT_TRUE(history);
  ASSERT_EQ(history->size(), 2u);
  EXPECT_EQ(history->at(0).actions, (std::vector<std::string>{"stop_use", "publication"}));
  EXPECT_FALSE(db_->execute("DELETE FROM release_sanctions"));
}

TEST_F(ContractsTest, AContractIsActivatedOnlyWithEveryClauseAndClosedOnlyWithErasure) {
  set_up_committee();
  register_recipient("univ-a");
  Request q = approved_request("univ-a");
  Contracts contracts(ctx());
  auto c = contracts.create(coordinator_, {.kind = ContractKind::outbound,
                                           .party = "univ-a",
                                           .request_id = q.id,
                                           .title = "提供契約",
                                           .signed_on = "2026-05-25",
                                           .valid_until = "2027-03-31",
                                           .document_sha256 = std::string(64, 'c')});
  ASSERT_TRUE(c) << c.error().describe(Lang::en);
  for (const auto& clause : clauses(ContractKind::outbound)) {
    if (clause.id == "sanctions") continue;
    ASSERT_TRUE(contracts.tick(coordinator_, c->id, clause.id, "第3条"));
  }
  auto draft = contracts.check_release_contract(q.id, "univ-a", "2026-06-01");
  ASSERT_FALSE(draft);
  EXPECT_THAT(draft.error().text().en, HasSubstr("(sanctions)"));
  auto refused = contracts.activate(coordinator_, c->id);
  ASSERT_FALSE(refused);
  EXPECT_THAT(refused.error().text().en, HasSubstr("CONTRACT-02: clauses not ticked"));
  EXPECT_THAT(refused.error().text().ja, HasSubstr("違反時の制裁"));
  ASSERT_TRUE(contracts.tick(coordinator_, c->id, "sanctions", "第9条"));
  ASSERT_TRUE(contracts.activate(coordinator_, c->id));
  EXPECT_TRUE(contracts.check_release_contract(q.id, "univ-a", "2026-06-01"));
  auto expired = contracts.check_release_contract(q.id, "univ-a", "2027-04-01");
  ASSERT_FALSE(expired);
  EXPECT_THAT(expired.error().text().en, HasSubstr("ended on 2027-03-31"));
  auto other = contracts.check_release_contract(q.id, "univ-b", "2026-06-01");
  ASSERT_FALSE(other);
  EXPECT_THAT(other.error().text().en, HasSubstr("no contract with univ-b"));
  auto soon = contracts.expiring("2027-02-01", 60);
  ASSERT_TRUE(soon);
  EXPECT_EQ(soon->size(), 1u);
  EXPECT_TRUE(contracts.expiring("2026-06-01", 60)->empty());
  EXPECT_FALSE(db_->execute("UPDATE release_contracts SET valid_until = '2030-01-01'"));
  auto no_evidence = contracts.close(coordinator_, c->id, "消去", "");
  ASSERT_FALSE(no_evidence);
  EXPECT_THAT(no_evidence.error().text().en, HasSubstr("CONTRACT-05"));
  ASSERT_TRUE(contracts.close(coordinator_, c->id, "利用者による消去", std::string(64, 'e')));
  EXPECT_EQ(contracts.get(c->id)->state, "closed");
}

TEST_F(ContractsTest, AnInstitutionMaySubmitOnlyUnderAnActiveInboundContract) {
  auto pair = crypto::self_signed_certificate("A病院", "A病院", 365, clock_);
  ASSERT_TRUE(pair);
  Registry registry(ctx());
  ASSERT_TRUE(registry.put_institution(coordinator_, {.code = "1310000001",
                                                      .name = "A病院",
                                                      .certificate = pair->certificate_pem,
                                                      .notification_method = "掲示と書面"}));
  EXPECT_FALSE(registry.put_institution(coordinator_, {.code = "131",
                                                       .name = "B",
                                                       .certificate = pair->certificate_pem,
                                                       .notification_method = "掲示"}));
  Contracts contracts(ctx());
  auto c = contracts.create(coordinator_, {.kind = ContractKind::inbound,
                                           .party = "1310000001",
                                           .title = "医療情報の提供契約",
                                           .signed_on = "2026-04-01",
                                           .valid_until = "2029-03-31",
                                           .document_sha256 = std::string(64, 'd')});
  ASSERT_TRUE(c);
  EXPECT_FALSE(*contracts.institution_contract_active("1310000001", "2026-06-01"));
  ASSERT_TRUE(contracts.tick(coordinator_, c->id, "safety_assurance", "第2条"));
  ASSERT_TRUE(contracts.tick(coordinator_, c->id, "no_exclusive_terms", "第3条"));
  auto refused = contracts.activate(coordinator_, c->id);
  ASSERT_FALSE(refused);
  EXPECT_THAT(refused.error().text().en, HasSubstr("CONTRACT-01"));
  EXPECT_THAT(refused.error().text().en, HasSubstr("notification_confirmed"));
  ASSERT_TRUE(contracts.tick(coordinator_, c->id, "notification_confirmed", "第4条"));
  ASSERT_TRUE(contracts.activate(coordinator_, c->id));
  EXPECT_TRUE(*contracts.institution_contract_active("1310000001", "2026-06-01"));
  EXPECT_FALSE(*contracts.institution_contract_active("1310000001", "2029-04-01"));
}

TEST_F(ContractsTest, OnwardProvisionNeedsPermissionAndIsEnteredInTheLedger) {
  set_up_committee();
  register_recipient("univ-a");
  Request q = approved_request("univ-a");
  Contract c = active_contract(q);
  Ledger ledger(ctx());
  {
    auto tx = db_->begin();
    ASSERT_TRUE(tx);
    ASSERT_TRUE(ledger.append(*tx, coordinator_,
                              {.recipient = "univ-a",
                               .dataset = "ds-1",
                               .contents = "2型糖尿病 1,000名",
                               .data_kind = "anonymized",
                               .approval = "1",
                               .contract = std::to_string(c.id),
                               .delivery = "exit",
                               .checkers = {"ito", "abe"}}));
    ASSERT_TRUE(tx->commit());
  }
  Contracts contracts(ctx());
  auto no_contract = contracts.decide_onward(coordinator_,
                                             {.contract_id = c.id,
                                              .party = "共同研究先 B大学",
                                              .purpose = "共同解析",
                                              .scope = "集計のみ",
                                              .permitted = true,
                                              .reason = "目的の範囲内"},
                                             ledger);
  ASSERT_FALSE(no_contract);
  EXPECT_THAT(no_contract.error().text().en, HasSubstr("PROVISION-07"));
  auto unapproved = contracts.check_onward(c.id, "共同研究先 B大学");
  ASSERT_FALSE(unapproved);
  EXPECT_THAT(unapproved.error().text().en, HasSubstr("not permitted"));
  auto p = contracts.decide_onward(coordinator_,
                                   {.contract_id = c.id,
                                    .party = "共同研究先 B大学",
                                    .purpose = "共同解析",
                                    .scope = "集計のみ",
                                    .contract_ref = "A-B 共同研究契約 2026-07",
                                    .permitted = true,
                                    .reason = "目的の範囲内"},
                                   ledger);
  ASSERT_TRUE(p) << p.error().describe(Lang::en);
  EXPECT_GT(p->ledger_seq, 1);
  EXPECT_TRUE(contracts.check_onward(c.id, "共同研究先 B大学"));
  auto holders = ledger.holders("ds-1");
  ASSERT_TRUE(holders);
  EXPECT_EQ(*holders, (std::vector<std::string>{"univ-a", "共同研究先 B大学"}));

  Registry registry(ctx());
  ASSERT_TRUE(registry.sanction(coordinator_, {.recipient = "univ-a",
                                               .decided_on = "2026-06-01",
                                               .basis = "違反",
                                               .actions = {"stop_use"}}));
  auto while_suspended = contracts.decide_onward(coordinator_,
                                                 {.contract_id = c.id,
                                                  .party = "C社",
                                                  .purpose = "p",
                                                  .scope = "s",
                                                  .contract_ref = "ref",
                                                  .permitted = true,
                                                  .reason = "r"},
                                                 ledger);
  ASSERT_FALSE(while_suspended);
  EXPECT_THAT(while_suspended.error().text().en, HasSubstr("PROVISION-08"));
}

class LedgerTest : public ReleaseFixture {
 protected:
  void append(const std::string& dataset, const std::string& day = "") {
    Ledger ledger(ctx());
    auto tx = db_->begin();
    ASSERT_TRUE(tx);
    auto e = ledger.append(*tx, coordinator_,
                           {.day = day,
                            .recipient = "univ-a",
                            .dataset = dataset,
                            .contents = "内容, \"引用\" 付き",
                            .data_kind = "anonymized",
                            .approval = "1",
                            .contract = "1",
                            .delivery = "exit",
                            .checkers = {"ito", "abe"}});
    ASSERT_TRUE(e) << e.error().describe(Lang::en);
    ASSERT_TRUE(tx->commit());
  }
};

TEST_F(LedgerTest, EntriesCannotBeChangedAndAnAlteredRowIsFound) {
  append("ds-1");
  append("ds-2");
  append("ds-3");
  EXPECT_FALSE(db_->execute("UPDATE release_ledger SET recipient = 'x' WHERE seq = 2"));
  EXPECT_FALSE(db_->execute("DELETE FROM release_ledger WHERE seq = 3"));
  Ledger ledger(ctx());
  auto ok = ledger.verify();
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->entries, 3);
  EXPECT_FALSE(ok->first_bad);
  // Someone with the database file itself drops the guard and edits a row.
  ASSERT_TRUE(db_->execute("DROP TRIGGER release_ledger_no_update"));
  ASSERT_TRUE(db_->execute("UPDATE release_ledger SET recipient = 'x' WHERE seq = 2"));
  auto bad = ledger.verify();
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->first_bad, 2);
}

TEST_F(LedgerTest, ACorrectionIsANewEntryConfirmedByAnotherPerson) {
  append("ds-1");
  Ledger ledger(ctx());
  auto pending = ledger.propose_correction(coordinator_, 1, {{"delivery", "媒体 (書留)"}},
                                           "提供方法の記入誤り");
  ASSERT_TRUE(pending) << pending.error().describe(Lang::en);
  auto self = ledger.confirm_correction(coordinator_, *pending);
  ASSERT_FALSE(self);
  EXPECT_EQ(self.error().code(), Errc::permission_denied);
  auto done = ledger.confirm_correction({"abe", "t9"}, *pending);
  ASSERT_TRUE(done) << done.error().describe(Lang::en);
  EXPECT_EQ(done->kind, "correction");
  EXPECT_EQ(done->corrects, 1);
  EXPECT_EQ(done->delivery, "媒体 (書留)");
  EXPECT_EQ(done->entrant, "kato");
  EXPECT_EQ(done->confirmer, "abe");
  EXPECT_FALSE(ledger.confirm_correction({"abe", "t9"}, *pending));
  EXPECT_EQ(ledger.entries()->size(), 2u);
  EXPECT_FALSE(ledger.verify()->first_bad);
}

TEST_F(LedgerTest, AnExportIsSignedAndAnEditedCopyFailsVerification) {
  append("ds-1", "2026-04-10");
  append("ds-2", "2026-05-10");
  append("ds-3", "2026-07-10");
  Ledger ledger(ctx());
  auto out = ledger.export_period(coordinator_, "2026-04-01", "2026-06-30");
  ASSERT_TRUE(out) << out.error().describe(Lang::en);
  EXPECT_THAT(out->csv, HasSubstr("ds-2"));
  EXPECT_THAT(out->csv, ::testing::Not(HasSubstr("ds-3")));
  EXPECT_THAT(out->csv, HasSubstr("\"内容, \"\"引用\"\" 付き\""));
  EXPECT_THAT(out->html, HasSubstr("提供記録帳簿"));
  EXPECT_THAT(out->html, HasSubstr("記載 2 件"));
  const auto trusted = keys_->verification_keys(kLedgerSigningKey);
  EXPECT_TRUE(verify_ledger_export(out->csv, out->signature, trusted));
  std::string edited = out->csv;
  edited.replace(edited.find("ds-2"), 4, "ds-9");
  auto changed = verify_ledger_export(edited, out->signature, trusted);
  ASSERT_FALSE(changed);
  EXPECT_EQ(changed.error().code(), Errc::integrity);
  // A signature by some other key is not this operator's.
  auto stranger = crypto::Ed25519PrivateKey::generate(random_);
  EXPECT_FALSE(verify_ledger_export(out->csv, out->signature, {stranger.public_key()}));
}

}  // namespace
}  // namespace tokumei::release
