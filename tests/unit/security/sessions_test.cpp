// Logins, sessions, the authorization matrix and the monitors that act on the audit stream, with a
// fake clock (issue acceptance: lockout, expiry warnings and forced change, idle timeout; bulk read
// ends the session and locks the account within one cycle).

#include "tokumei/security/sessions.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "tokumei/audit/monitor.h"
#include "tokumei/crypto/totp.h"
#include "tokumei/security/break_glass.h"
#include "tokumei/security/controls.h"
#include "tokumei/security/duties.h"
#include "tokumei/store/key_ring_store.h"
#include "tokumei/store/sqlite_database.h"

namespace tokumei::security {
namespace {

using namespace std::chrono_literals;

// Monday 2026-04-06 10:00 JST, inside working hours.
const TimePoint kStart = std::chrono::sys_days{std::chrono::year{2026} / 4 / 6} + 1h;
const audit::Actor kOfficer{"sec.officer", "term-01"};
constexpr const char* kTerminal = "term-07";
const std::string kPassword = "Hinoki#2024x";

class SessionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = std::move(*store::SqliteDatabase::open(":memory:", {.create = true}));
    for (const auto& m : {store::DatabaseKeyRingStorage::schema(), audit::AuditLog::schema(),
                          AccountStore::schema(), Sessions::schema(), audit::Monitor::schema()}) {
      ASSERT_TRUE(store::migrate(*db_, m, clock_).has_value()) << m.name;
    }
    key_storage_ = std::make_unique<store::DatabaseKeyRingStorage>(*db_);
    keys_.emplace(std::move(*crypto::KeyRing::create(
        *key_storage_, crypto::PassphraseSource{"test pass", crypto::Argon2Params::for_tests()},
        clock_, random_)));
    audit_ = std::make_unique<audit::AuditLog>(*db_, clock_);
    policy_.hashing = crypto::Argon2Params::for_tests();
    accounts_ = std::make_unique<AccountStore>(*db_, *keys_, *audit_, clock_, random_, policy_);
    sessions_ = std::make_unique<Sessions>(*db_, *accounts_, *audit_, clock_, random_,
                                           SessionPolicy{}, policy_);
    ASSERT_TRUE(sessions_->register_terminal(kOfficer, kTerminal, "加工室 2番").has_value());
  }

  // An account with a chosen password and an enrolled authenticator.
  void make_user(const std::string& id, Role role) {
    auto otp = accounts_->create(
        kOfficer, {id, "テスト 花子", role, role == Role::quality_reviewer ? "医師" : ""});
    ASSERT_TRUE(otp.has_value()) << otp.error().message(Lang::en);
    ASSERT_TRUE(accounts_->change_password(kTerminal, id, otp->password, kPassword).has_value());
    auto enrolled = accounts_->enroll_totp(kOfficer, id);
    ASSERT_TRUE(enrolled.has_value());
    secrets_[id] = *base32_decode(enrolled->secret_base32);
  }

  std::string code(const std::string& id) {
    if (!secrets_.contains(id)) return "000000";
    auto s = std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch());
    return *crypto::totp_code(secrets_[id], s.count(), {});
  }

  Result<Login> login(const std::string& id, const std::string& password = kPassword) {
    clock_.advance(31s);  // a fresh TOTP step each time (a step is never accepted twice)
    return sessions_->login(kTerminal, id, password, code(id));
  }

  FakeClock clock_{kStart};
  SeededRandom random_{20260406};
  std::unique_ptr<store::SqliteDatabase> db_;
  std::unique_ptr<store::DatabaseKeyRingStorage> key_storage_;
  std::optional<crypto::KeyRing> keys_;
  std::unique_ptr<audit::AuditLog> audit_;
  PasswordPolicy policy_;
  std::unique_ptr<AccountStore> accounts_;
  std::unique_ptr<Sessions> sessions_;
  std::map<std::string, Bytes> secrets_;
};

TEST_F(SessionsTest, PasswordAloneNeverOpensASessionBothFactorsDo) {  // AUTHN-02
  make_user("sato.k", Role::processing_staff);
  clock_.advance(31s);
  auto no_code = sessions_->login(kTerminal, "sato.k", kPassword, "");
  ASSERT_FALSE(no_code.has_value());
  EXPECT_EQ(no_code.error().code(), Errc::authentication_failed);
  auto ok = login("sato.k");
  ASSERT_TRUE(ok.has_value()) << ok.error().message(Lang::en);
  EXPECT_EQ(ok->token.size(), 64u);
  auto ctx = sessions_->authorize(ok->token, kTerminal, Operation::ingest_run);
  ASSERT_TRUE(ctx.has_value());
  EXPECT_EQ(ctx->actor().terminal, kTerminal);
  // The token itself is nowhere in the database.
  auto stored = db_->query_one("SELECT COUNT(*) FROM sessions WHERE token_hash = ?", {ok->token});
  EXPECT_EQ(stored->integer(0), 0);
}

TEST_F(SessionsTest, UnregisteredTerminalAndOtherTerminalAreRefused) {
  make_user("sato.k", Role::processing_staff);
  clock_.advance(31s);
  auto elsewhere = sessions_->login("laptop-x", "sato.k", kPassword, code("sato.k"));
  ASSERT_FALSE(elsewhere.has_value());
  EXPECT_EQ(elsewhere.error().code(), Errc::permission_denied);
  auto ok = login("sato.k");
  ASSERT_TRUE(ok.has_value());
  auto moved = sessions_->authorize(ok->token, "term-99", Operation::ingest_run);
  ASSERT_FALSE(moved.has_value());
  EXPECT_EQ(moved.error().code(), Errc::permission_denied);
}

TEST_F(SessionsTest, FiveFailuresLockUntilAnAdministratorUnlocksWithAnIdentityCheck) {  // AUTHN-07
  make_user("sato.k", Role::processing_staff);
  for (int i = 0; i < 4; ++i) ASSERT_FALSE(login("sato.k", "Wrong#pass1").has_value());
  EXPECT_FALSE(accounts_->find("sato.k")->locked);
  auto fifth = login("sato.k", "Wrong#pass1");
  ASSERT_FALSE(fifth.has_value());
  EXPECT_TRUE(accounts_->find("sato.k")->locked);
  // The right password and code are refused now, in the same words as a wrong password.
  auto right = login("sato.k");
  ASSERT_FALSE(right.has_value());
  EXPECT_EQ(right.error().message(Lang::en), fifth.error().message(Lang::en));
  auto unknown = login("nobody.x");
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(unknown.error().message(Lang::en), fifth.error().message(Lang::en));
  // An unlock needs the identity check, and nobody unlocks themselves.
  EXPECT_FALSE(accounts_->unlock({"admin.a", "term-01"}, "sato.k", {"", ""}).has_value());
  EXPECT_FALSE(accounts_->unlock({"sato.k", "term-01"}, "sato.k", {"対面", "様式3"}).has_value());
  ASSERT_TRUE(
      accounts_->unlock({"admin.a", "term-01"}, "sato.k", {"対面で職員証を確認", "様式3-12"})
          .has_value());
  auto ledger = accounts_->identity_checks();
  ASSERT_EQ(ledger->size(), 1u);
  EXPECT_EQ((*ledger)[0].by, "admin.a");
  EXPECT_EQ((*ledger)[0].method, "対面で職員証を確認");
  EXPECT_TRUE(login("sato.k").has_value());
}

TEST_F(SessionsTest, AWrongCodeGetsTheSameAnswerAsAWrongPassword) {  // no factor is confirmed
  make_user("sato.k", Role::processing_staff);
  clock_.advance(31s);
  auto wrong_code = sessions_->login(kTerminal, "sato.k", kPassword, "000000");
  auto wrong_password = login("sato.k", "Wrong#pass1");
  ASSERT_FALSE(wrong_code.has_value());
  ASSERT_FALSE(wrong_password.has_value());
  EXPECT_EQ(wrong_code.error().code(), wrong_password.error().code());
  EXPECT_EQ(wrong_code.error().message(Lang::ja), wrong_password.error().message(Lang::ja));
  EXPECT_EQ(wrong_code.error().message(Lang::en), wrong_password.error().message(Lang::en));
}

TEST_F(SessionsTest, ALostAuthenticatorIsWithdrawnByAResetAndEnrolledAgainByThePerson) {
  make_user("sato.k", Role::processing_staff);
  const Bytes old_secret = secrets_["sato.k"];
  auto otp = accounts_->reset_password(kOfficer, "sato.k", {"対面", "様式3-9"}, true);
  ASSERT_TRUE(otp.has_value());
  EXPECT_FALSE(accounts_->find("sato.k")->totp_enrolled);
  ASSERT_TRUE(accounts_->change_password(kTerminal, "sato.k", otp->password, "Kusunoki!38q"));
  EXPECT_FALSE(login("sato.k", "Kusunoki!38q").has_value());  // the old device no longer works
  auto enrolled = accounts_->enroll_totp({"sato.k", kTerminal}, "sato.k");
  ASSERT_TRUE(enrolled.has_value());
  secrets_["sato.k"] = *base32_decode(enrolled->secret_base32);
  EXPECT_NE(secrets_["sato.k"], old_secret);
  EXPECT_TRUE(login("sato.k", "Kusunoki!38q").has_value());
  auto checks = accounts_->identity_checks();
  ASSERT_EQ(checks->size(), 1u);
  EXPECT_EQ((*checks)[0].action, "password.reset+authenticator");
}

TEST_F(SessionsTest, WrongCodesCountTowardsTheLockToo) {
  make_user("sato.k", Role::processing_staff);
  for (int i = 0; i < 5; ++i) {
    clock_.advance(31s);
    ASSERT_FALSE(sessions_->login(kTerminal, "sato.k", kPassword, "000000").has_value());
  }
  EXPECT_TRUE(accounts_->find("sato.k")->locked);
}

TEST_F(SessionsTest, ExpiryIsWarnedThenForcesAChange) {  // AUTHN-06
  make_user("sato.k", Role::processing_staff);
  auto fresh = login("sato.k");
  ASSERT_TRUE(fresh.has_value());
  EXPECT_FALSE(fresh->password_days_left.has_value());
  clock_.advance(std::chrono::days(50));  // 10 days left of 60: inside the 14-day warning
  auto warned = login("sato.k");
  ASSERT_TRUE(warned.has_value());
  ASSERT_TRUE(warned->password_days_left.has_value());
  EXPECT_EQ(*warned->password_days_left, 10);
  clock_.advance(std::chrono::days(11));  // 2 months + 1 day after the change
  auto expired = login("sato.k");
  ASSERT_FALSE(expired.has_value());
  EXPECT_EQ(expired.error().code(), Errc::policy_violation);
  ASSERT_TRUE(accounts_->change_password(kTerminal, "sato.k", kPassword, "Kusunoki!38q"));
  EXPECT_TRUE(login("sato.k", "Kusunoki!38q").has_value());
}

TEST_F(SessionsTest, OneTimePasswordMustBeChangedBeforeAnyLogin) {  // AUTHN-09
  auto otp = accounts_->create(kOfficer, {"mori.k", "森 一郎", Role::auditor});
  ASSERT_TRUE(accounts_->enroll_totp(kOfficer, "mori.k").has_value());
  auto first = sessions_->login(kTerminal, "mori.k", otp->password, "123456");
  ASSERT_FALSE(first.has_value());
  EXPECT_EQ(first.error().code(), Errc::policy_violation);
}

TEST_F(SessionsTest, IdleAndAbsoluteTimeoutsEndTheSession) {  // AUTHN-15
  make_user("sato.k", Role::processing_staff);
  auto s = login("sato.k");
  ASSERT_TRUE(s.has_value());
  clock_.advance(4min + 59s);
  ASSERT_TRUE(sessions_->authorize(s->token, kTerminal, Operation::ingest_run).has_value());
  clock_.advance(5min + 1s);
  auto idle = sessions_->authorize(s->token, kTerminal, Operation::ingest_run);
  ASSERT_FALSE(idle.has_value());
  EXPECT_EQ(idle.error().code(), Errc::expired);
  // Ended for good: no later use revives it.
  clock_.advance(1s);
  EXPECT_FALSE(sessions_->authorize(s->token, kTerminal, Operation::ingest_run).has_value());

  auto busy = login("sato.k");
  for (int i = 0; i < 8 * 60 / 4; ++i) {
    clock_.advance(4min);
    if (!sessions_->authorize(busy->token, kTerminal, Operation::ingest_run)) break;
  }
  auto after = sessions_->authorize(busy->token, kTerminal, Operation::ingest_run);
  ASSERT_FALSE(after.has_value());
  EXPECT_EQ(after.error().code(), Errc::expired);
  auto ended = sessions_->sessions(false);
  std::set<std::string> reasons;
  for (const auto& e : *ended) reasons.insert(e.end_reason);
  EXPECT_TRUE(reasons.contains("idle_timeout"));
  EXPECT_TRUE(reasons.contains("absolute_timeout"));
}

TEST_F(SessionsTest, RoleChangeTakesEffectAtTheNextCall) {  // AUTHZ-01
  make_user("sato.k", Role::processing_staff);
  auto s = login("sato.k");
  ASSERT_TRUE(sessions_->authorize(s->token, kTerminal, Operation::ingest_run).has_value());
  ASSERT_TRUE(accounts_->change_role(kOfficer, "sato.k", Role::auditor).has_value());
  EXPECT_FALSE(sessions_->authorize(s->token, kTerminal, Operation::ingest_run).has_value());
  EXPECT_TRUE(sessions_->authorize(s->token, kTerminal, Operation::audit_read).has_value());
}

TEST_F(SessionsTest, SeparationOfDutiesIsEnforced) {  // AUTHZ-03, AUTHZ-08
  EXPECT_FALSE(accounts_->create(kOfficer, {"ext.a", "委託 一", Role::provision_approver, "", true})
                   .has_value());
  EXPECT_FALSE(accounts_->create(kOfficer, {"ext.b", "委託 二", Role::committee_member, "", true})
                   .has_value());
  EXPECT_TRUE(accounts_->create(kOfficer, {"ext.c", "委託 三", Role::processing_staff, "", true})
                  .has_value());
  EXPECT_FALSE(accounts_->change_role(kOfficer, "ext.c", Role::provision_approver).has_value());
  EXPECT_TRUE(accounts_->create(kOfficer, {"adm.a", "管理 一", Role::system_administrator}));
  EXPECT_TRUE(accounts_->create(kOfficer, {"adm.b", "管理 二", Role::system_administrator}));
  auto third = accounts_->create(kOfficer, {"adm.c", "管理 三", Role::system_administrator});
  ASSERT_FALSE(third.has_value());
  EXPECT_EQ(third.error().code(), Errc::policy_violation);
  EXPECT_FALSE(accounts_->create(kOfficer, {"hosp.a", "病院 一", Role::institution_submitter}));
  EXPECT_FALSE(accounts_->change_role({"adm.a", "t"}, "adm.a", Role::security_officer));
}

// The matrix written out a second time, by hand: an operation allowed to a role that is not
// listed here (or the reverse) fails the test.
TEST(AuthorizationMatrixTest, EveryOperationTimesEveryRoleMatchesThePolicy) {
  using R = Role;
  using O = Operation;
  const std::map<O, std::set<R>> expected = {
      {O::account_manage, {R::security_officer, R::senior_security_manager}},
      {O::account_unlock, {R::security_officer, R::system_administrator}},
      {O::account_list,
       {R::security_officer, R::senior_security_manager, R::system_administrator, R::auditor}},
      {O::terminal_register, {R::system_administrator, R::security_officer}},
      {O::key_manage, {R::security_officer}},
      {O::ingest_run, {R::processing_staff}},
      {O::link_run, {R::processing_staff}},
      {O::quality_check, {R::processing_staff, R::quality_reviewer}},
      {O::quality_decide, {R::quality_reviewer}},
      {O::acquire, {R::processing_staff}},
      {O::correction_enter, {R::processing_staff, R::quality_reviewer}},
      {O::correction_confirm, {R::processing_staff, R::quality_reviewer}},
      {O::consent_manage, {R::processing_staff}},
      {O::anonymize, {R::processing_staff}},
      {O::request_review, {R::committee_member}},
      {O::release_approve, {R::provision_approver}},
      {O::registry_manage, {R::provision_coordinator}},
      {O::request_manage, {R::provision_coordinator}},
      {O::committee_manage, {R::provision_coordinator}},
      {O::contract_manage, {R::provision_coordinator}},
      {O::ledger_read,
       {R::provision_coordinator, R::provision_approver, R::auditor, R::security_officer}},
      {O::ledger_correct, {R::provision_coordinator, R::provision_approver}},
      {O::provision_read,
       {R::provision_coordinator, R::committee_member, R::provision_approver, R::processing_staff,
        R::auditor}},
      {O::release_package, {R::processing_staff}},
      {O::build_read, {R::processing_staff, R::provision_approver, R::auditor}},
      {O::audit_read, {R::auditor}},
      {O::audit_verify, {R::auditor, R::security_officer}},
      {O::audit_review, {R::auditor, R::senior_security_manager}},
      {O::monitor_run, {R::security_officer, R::system_administrator}},
      {O::incident_manage, {R::security_officer, R::senior_security_manager}},
      {O::exit_freeze, {R::security_officer, R::senior_security_manager}},
      {O::break_glass_open, {R::processing_staff, R::system_administrator}},
      {O::break_glass_approve, {R::system_administrator}},
      {O::break_glass_review, {R::security_officer}},
      {O::submit, {R::institution_submitter}},
      {O::receive, {R::recipient}},
  };
  ASSERT_EQ(operations().size(), expected.size());
  ASSERT_EQ(all_roles().size(), static_cast<std::size_t>(kRoleCount));
  for (std::size_t i = 0; i < operations().size(); ++i) {
    const auto& info = operations()[i];
    EXPECT_EQ(static_cast<std::size_t>(info.op), i) << info.name;
    EXPECT_EQ(parse_operation(info.name).value_or(O::receive), info.op);
    ASSERT_TRUE(expected.contains(info.op)) << info.name;
    for (Role r : all_roles()) {
      EXPECT_EQ(permitted(r, info.op), expected.at(info.op).contains(r))
          << info.name << " × " << role_name(r);
    }
  }
  // Outside parties may do nothing on the core server but their own one thing.
  for (const auto& info : operations()) {
    if (info.op != O::submit) {
      EXPECT_FALSE(permitted(R::institution_submitter, info.op));
    }
    if (info.op != O::receive) {
      EXPECT_FALSE(permitted(R::recipient, info.op));
    }
  }
}

// Through sessions: every operation × every role a core account can hold, and no session at all.
TEST_F(SessionsTest, AuthorizeFollowsTheMatrixForEveryRoleAndRefusesUnauthenticatedCalls) {
  std::map<Role, std::string> tokens;
  int n = 0;
  for (Role r : all_roles()) {
    if (is_outside_party(r) || r == Role::system_administrator) continue;
    std::string id = "user" + std::to_string(n++);
    make_user(id, r);
    tokens[r] = login(id)->token;
  }
  make_user("adm.a", Role::system_administrator);
  tokens[Role::system_administrator] = login("adm.a")->token;
  for (const auto& info : operations()) {
    for (const auto& [role, token] : tokens) {
      auto ctx = sessions_->authorize(token, kTerminal, info.op);
      EXPECT_EQ(ctx.has_value(), permitted(role, info.op)) << info.name << " × " << role_name(role);
      if (!ctx) {
        EXPECT_EQ(ctx.error().code(), Errc::permission_denied);
      }
    }
    auto none = sessions_->authorize("", kTerminal, info.op);
    ASSERT_FALSE(none.has_value());
    EXPECT_EQ(none.error().code(), Errc::authentication_failed);
    auto forged = sessions_->authorize(std::string(64, 'a'), kTerminal, info.op);
    ASSERT_FALSE(forged.has_value());
    EXPECT_EQ(forged.error().code(), Errc::authentication_failed);
  }
}

TEST_F(SessionsTest, BulkReadEndsTheSessionAndLocksTheAccountWithinOneCycle) {  // MONITOR-03
  make_user("sato.k", Role::processing_staff);
  auto s = login("sato.k");
  ASSERT_TRUE(s.has_value());
  audit::MonitorConfig config;
  config.bulk_persons = 50;
  audit::Monitor monitor(*db_, *audit_, clock_, config);
  MonitorControls controls(*sessions_, *accounts_, monitor, {"system:monitor", "core"});
  ASSERT_TRUE(monitor.run_cycle(controls, {"system:monitor", "core"}).has_value());

  // 60 persons read one by one within a few minutes, each an audit entry of the read.
  std::set<std::int64_t> reads;
  for (int i = 0; i < 60; ++i) {
    clock_.advance(2s);
    auto ctx = sessions_->authorize(s->token, kTerminal, Operation::link_run);
    ASSERT_TRUE(ctx.has_value());
    char ref[17];
    std::snprintf(ref, sizeof ref, "%016x", 0xabc000 + i);
    auto seq = audit_->record(
        {ctx->actor(), "person.read", "person", audit::Outcome::success, "{}", {std::string(ref)}});
    reads.insert(*seq);
  }
  auto cycle = monitor.run_cycle(controls, {"system:monitor", "core"});
  ASSERT_TRUE(cycle.has_value()) << cycle.error().message(Lang::en);
  ASSERT_EQ(cycle->incidents.size(), 1u);
  const auto& incident = cycle->incidents[0];
  EXPECT_EQ(incident.rule, "bulk_persons");
  EXPECT_EQ(incident.user, "sato.k");
  EXPECT_EQ(incident.action, audit::Action::lock_account);
  // Every read from the 51st person on is linked (the window's entries when it fired and after).
  std::set<std::int64_t> linked(incident.entries.begin(), incident.entries.end());
  EXPECT_GE(linked.size(), 51u);
  for (auto seq : linked) EXPECT_TRUE(reads.contains(seq)) << seq;
  EXPECT_TRUE(linked.contains(*reads.rbegin()));

  EXPECT_TRUE(accounts_->find("sato.k")->locked);
  auto after = sessions_->authorize(s->token, kTerminal, Operation::link_run);
  ASSERT_FALSE(after.has_value());
  EXPECT_FALSE(login("sato.k").has_value());
  auto stored = monitor.incidents(true);  // the account's creation raised one before
  ASSERT_EQ(stored->size(), 2u);
  EXPECT_EQ(stored->back().rule, "bulk_persons");
  EXPECT_EQ(stored->back().entries.size(), linked.size());

  // The lock itself is alerted at the next cycle (AUTHN-07), and nothing fires twice.
  auto next = monitor.run_cycle(controls, {"system:monitor", "core"});
  ASSERT_TRUE(next.has_value());
  ASSERT_EQ(next->incidents.size(), 1u);
  EXPECT_EQ(next->incidents[0].rule, "account_lock");

  // Unlocked after an identity check, one more read within the same window: the reads already
  // reported do not count again.
  ASSERT_TRUE(accounts_->unlock(kOfficer, "sato.k", {"対面で確認", "様式3-1"}).has_value());
  auto again = login("sato.k");
  ASSERT_TRUE(again.has_value());
  auto ctx = sessions_->authorize(again->token, kTerminal, Operation::link_run);
  ASSERT_TRUE(audit_->record({ctx->actor(),
                              "person.read",
                              "person",
                              audit::Outcome::success,
                              "{}",
                              {"00000000000abcff"}}));
  auto later = monitor.run_cycle(controls, {"system:monitor", "core"});
  ASSERT_TRUE(later.has_value());
  for (const auto& i : later->incidents) EXPECT_NE(i.rule, "bulk_persons");
  EXPECT_FALSE(accounts_->find("sato.k")->locked);
}

TEST_F(SessionsTest, MonitorRulesFireOnTheirScenarios) {  // MONITOR-02
  make_user("sato.k", Role::processing_staff);
  audit::MonitorConfig config;
  config.export_rows = 1000;
  audit::Monitor monitor(*db_, *audit_, clock_, config);
  MonitorControls controls(*sessions_, *accounts_, monitor, {"system:monitor", "core"});
  auto s = login("sato.k");
  // An export above the threshold freezes the exit queue.
  ASSERT_TRUE(audit_->record({{"sato.k", kTerminal},
                              "dataset.export",
                              "dataset:d1",
                              audit::Outcome::success,
                              R"({"rows":5000})",
                              {}}));
  // Late at night (Tuesday 02:00 JST).
  clock_.set(std::chrono::sys_days{std::chrono::year{2026} / 4 / 6} + 17h);
  ASSERT_TRUE(audit_->record(
      {{"sato.k", kTerminal}, "link.run", "run:1", audit::Outcome::success, "{}", {}}));
  (void)sessions_->login("laptop-x", "sato.k", kPassword, "000000");
  ASSERT_TRUE(accounts_->change_role(kOfficer, "sato.k", Role::quality_reviewer, "看護師"));
  for (int i = 0; i < 5; ++i) (void)sessions_->login(kTerminal, "nobody.x", "x", "000000");
  auto cycle = monitor.run_cycle(controls, {"system:monitor", "core"});
  ASSERT_TRUE(cycle.has_value());
  std::set<std::string> rules;
  for (const auto& i : cycle->incidents) rules.insert(i.rule);
  EXPECT_EQ(rules, (std::set<std::string>{"export_volume", "off_hours", "unregistered_terminal",
                                          "privilege_change", "failed_logins"}));
  auto frozen = monitor.exit_frozen();
  ASSERT_TRUE(frozen->has_value());
  EXPECT_TRUE((*frozen)->starts_with("monitor:export_volume#")) << **frozen;
  // Nobody handles an incident about their own actions.
  for (const auto& i : cycle->incidents) {
    if (i.user != "sato.k") continue;
    auto own = monitor.acknowledge({"sato.k", kTerminal}, i.id, "sato.k");
    ASSERT_FALSE(own.has_value());
    EXPECT_EQ(own.error().code(), Errc::permission_denied);
    EXPECT_TRUE(monitor.acknowledge(kOfficer, i.id, "suzuki").has_value());
  }
  EXPECT_FALSE(monitor.release_exit(kOfficer, "").has_value());
  ASSERT_TRUE(monitor.release_exit(kOfficer, "確認済み: 承認済みの提供").has_value());
  EXPECT_FALSE(monitor.exit_frozen()->has_value());
}

}  // namespace
}  // namespace tokumei::security

namespace tokumei::security {
namespace {

// Break-glass (EMERG-02/03), on the same fixture: a processing operator asks, a system
// administrator decides, the security officer reviews.
class BreakGlassTest : public SessionsTest {
 protected:
  void SetUp() override {
    SessionsTest::SetUp();
    monitor_ = std::make_unique<audit::Monitor>(*db_, *audit_, clock_, audit::MonitorConfig{});
    ASSERT_TRUE(store::migrate(*db_, BreakGlass::schema(), clock_).has_value());
    glass_ = std::make_unique<BreakGlass>(*db_, *audit_, *monitor_, clock_);
    make_user("sato.k", Role::processing_staff);
    make_user("adm.a", Role::system_administrator);
    make_user("sec.b", Role::security_officer);
  }
  AuthContext as(const std::string& id, Operation op) {
    auto ctx = sessions_->authorize(login(id)->token, kTerminal, op);
    EXPECT_TRUE(ctx.has_value()) << id;
    return *ctx;
  }
  std::unique_ptr<audit::Monitor> monitor_;
  std::unique_ptr<BreakGlass> glass_;
};

const std::string kPerson = "0f1e2d3c4b5a6978";

TEST_F(BreakGlassTest, EmergencyOpensAtOnceAlertsStaysInScopeAndEndsByItself) {
  auto op = as("sato.k", Operation::break_glass_open);
  EXPECT_FALSE(glass_->open(op, {"", {kPerson}, {}, 30min, true}).has_value());
  EXPECT_FALSE(glass_->open(op, {"障害対応", {}, {}, 30min, true}).has_value());
  EXPECT_FALSE(glass_->open(op, {"障害対応", {kPerson}, {}, 600min, true}).has_value());
  auto g = glass_->open(op, {"障害対応: 取込の不整合", {kPerson}, {}, 30min, true});
  ASSERT_TRUE(g.has_value()) << g.error().message(Lang::en);
  EXPECT_EQ(g->state(clock_.now()), "active");
  // The officer's alert exists before any monitor cycle.
  auto alerts = monitor_->incidents(true);
  ASSERT_FALSE(alerts->empty());
  EXPECT_EQ(alerts->back().rule, "break_glass");
  EXPECT_EQ(alerts->back().user, "sato.k");

  EXPECT_TRUE(glass_->use(op, g->id, kPerson).has_value());
  auto outside = glass_->use(op, g->id, "aaaaaaaaaaaaaaaa");
  ASSERT_FALSE(outside.has_value());
  EXPECT_EQ(outside.error().code(), Errc::permission_denied);
  auto other = glass_->use(as("adm.a", Operation::break_glass_open), g->id, kPerson);
  EXPECT_FALSE(other.has_value());
  clock_.advance(31min);
  auto late = glass_->use(op, g->id, kPerson);
  ASSERT_FALSE(late.has_value());
  EXPECT_EQ(late.error().code(), Errc::expired);
  EXPECT_EQ(glass_->find(g->id)->uses, 1);

  // Confirmed afterwards by an administrator, never the requester; reviewed by the officer.
  EXPECT_FALSE(glass_->approve(op, g->id, "").has_value());
  ASSERT_TRUE(
      glass_->approve(as("adm.a", Operation::break_glass_approve), g->id, "妥当").has_value());
  EXPECT_EQ(glass_->find(g->id)->decision, "confirmed");
  auto officer = as("sec.b", Operation::break_glass_review);
  EXPECT_FALSE(glass_->review(officer, g->id, "").has_value());
  ASSERT_TRUE(glass_->review(officer, g->id, "対象 1 名の参照のみ。問題なし").has_value());
  EXPECT_FALSE(glass_->review(officer, g->id, "二度目").has_value());

  // The monitor does not report the same opening twice.
  MonitorControls controls(*sessions_, *accounts_, *monitor_, {"system:monitor", "core"});
  auto cycle = monitor_->run_cycle(controls, {"system:monitor", "core"});
  ASSERT_TRUE(cycle.has_value());
  for (const auto& i : cycle->incidents) EXPECT_NE(i.rule, "break_glass");
}

TEST_F(BreakGlassTest, OutsideEmergenciesAccessOpensOnlyWithApprovalForItsWindow) {
  auto op = as("sato.k", Operation::break_glass_open);
  auto g = glass_->open(op, {"保守: 索引の再構築", {}, {"ds-2026-014"}, 60min, false});
  ASSERT_TRUE(g.has_value());
  EXPECT_EQ(g->state(clock_.now()), "requested");
  auto early = glass_->use(op, g->id, "ds-2026-014");
  ASSERT_FALSE(early.has_value());
  EXPECT_EQ(early.error().code(), Errc::expired);
  clock_.advance(2h);  // the window starts at the approval, not at the request
  ASSERT_TRUE(glass_->approve(as("adm.a", Operation::break_glass_approve), g->id, "").has_value());
  EXPECT_TRUE(glass_->use(op, g->id, "ds-2026-014").has_value());
  clock_.advance(61min);
  EXPECT_FALSE(glass_->use(op, g->id, "ds-2026-014").has_value());
  EXPECT_EQ(glass_->find(g->id)->state(clock_.now()), "ended");
}

TEST_F(BreakGlassTest, AnEmergencyNotConfirmedOrRejectedBecomesAnIncident) {  // EMERG-03
  auto op = as("sato.k", Operation::break_glass_open);
  auto unconfirmed = glass_->open(op, {"夜間障害", {kPerson}, {}, 15min, true});
  auto rejected = glass_->open(op, {"夜間障害 2", {kPerson}, {}, 15min, true});
  ASSERT_TRUE(
      glass_->reject(as("adm.a", Operation::break_glass_approve), rejected->id, "理由不十分"));
  EXPECT_FALSE(glass_->use(op, rejected->id, kPerson).has_value());  // ended at once
  clock_.advance(23h);
  EXPECT_EQ(*glass_->escalate_unconfirmed({"system:monitor", "core"}), 0);
  clock_.advance(2h);
  EXPECT_EQ(*glass_->escalate_unconfirmed({"system:monitor", "core"}), 1);
  EXPECT_EQ(*glass_->escalate_unconfirmed({"system:monitor", "core"}), 0);  // once
  auto incidents = monitor_->incidents(true);
  ASSERT_TRUE(incidents.has_value());
  std::set<std::string> rules;
  for (const auto& i : *incidents) rules.insert(i.rule);
  EXPECT_TRUE(rules.contains("break_glass_rejected"));
  EXPECT_TRUE(rules.contains("break_glass_unconfirmed"));
  (void)unconfirmed;
}

}  // namespace
}  // namespace tokumei::security

namespace tokumei::security {
namespace {

TEST(DutiesTest, BuilderNeverApprovesAndTheTwoApproversDiffer) {  // AUTHZ-08, PROVISION-03
  Account approver;
  approver.user_id = "ono.t";
  approver.role = Role::provision_approver;
  EXPECT_TRUE(check_release_approval(approver, "sato.k", std::nullopt).has_value());
  EXPECT_TRUE(check_release_approval(approver, "sato.k", std::string("ueda.m")).has_value());
  auto own = check_release_approval(approver, "ono.t", std::nullopt);
  ASSERT_FALSE(own.has_value());
  EXPECT_EQ(own.error().code(), Errc::permission_denied);
  EXPECT_FALSE(check_release_approval(approver, "sato.k", std::string("ono.t")).has_value());
  Account contractor = approver;
  contractor.contractor = true;
  EXPECT_FALSE(check_release_approval(contractor, "sato.k", std::nullopt).has_value());
  Account staff = approver;
  staff.role = Role::processing_staff;
  EXPECT_FALSE(check_release_approval(staff, "sato.k", std::nullopt).has_value());
}

}  // namespace
}  // namespace tokumei::security
