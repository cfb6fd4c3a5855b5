// Dataset builds, the release gate, the two confirmations, packages and opening them
// (ANON-01..07, PSEUDO-01..04, PROVISION-02..04, LEDGER-01).

#include "tokumei/release/build.h"

#include <gmock/gmock.h>

#include <set>
#include <sstream>

#include "support/release_seed.h"
#include "tokumei/anon/csv.h"
#include "tokumei/base/files.h"
#include "tokumei/release/package.h"
#include "unit/release/release_fixture.h"

namespace tokumei::release {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Rows of a CSV text (header first), with RFC 4180 quoting.
std::vector<std::vector<std::string>> rows_of(const std::string& text) {
  std::vector<std::vector<std::string>> out;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      row.push_back(std::move(field));
      field.clear();
    } else if (c == '\n') {
      row.push_back(std::move(field));
      field.clear();
      out.push_back(std::move(row));
      row.clear();
    } else {
      field += c;
    }
  }
  return out;
}

class BuildTest : public ReleaseFixture {
 protected:
  void SetUp() override {
    ReleaseFixture::SetUp();
    set_up_committee();
    register_recipient("univ-a");
    register_recipient("univ-b", "第0007号", "2027-12-31");
  }

  // `count` synthetic persons of one acquired batch; returns their person keys.
  std::vector<std::string> seed(std::size_t count, const std::string& institution = "1310000001",
                                const std::string& state = "acquired") {
    std::size_t i = 0;
    auto keys = testing::seed_batch(
        *db_, *keys_, clock_, random_, institution,
        [&](testing::SeedPerson& p) {
          if (i == count) return false;
          testing::synthetic_person(i++ + (state == "acquired" ? 0 : 500000), 12, 99, p);
          return true;
        },
        state);
    EXPECT_TRUE(keys) << keys.error().describe(Lang::en);
    return keys ? *keys : std::vector<std::string>{};
  }

  Request approved(const std::string& recipient, CohortSpec s) {
    Committee c(ctx());
    auto q = request_for(recipient);
    q.spec = std::move(s);
    auto submitted = c.submit(coordinator_, q);
    EXPECT_TRUE(submitted) << submitted.error().describe(Lang::en);
    auto m = c.record_meeting(coordinator_, {.held_on = "2026-05-20",
                                             .attendees = {"山田 一郎", "佐藤 花子", "鈴木 次郎"},
                                             .summary = "審議した"});
    EXPECT_TRUE(m);
    auto d = c.decide(member_, {.request_id = submitted->id,
                                .meeting_id = m->id,
                                .outcome = Outcome::approved,
                                .judgments = all_acceptable(),
                                .valid_until = "2027-03-31",
                                .summary = "適切"});
    EXPECT_TRUE(d) << d.error().describe(Lang::en);
    return *submitted;
  }

  static CohortSpec wide_spec(DatasetKind kind = DatasetKind::anonymized) {
    return {.kind = kind,
            .period_from = "2020-01-01",
            .period_to = "2024-12-31",
            .fields = {"age", "diagnosis", "lab", "medication", "prefecture", "sex"}};
  }

  Builds builds() { return Builds(ctx(), random_, dir_ / "builds"); }

  static security::Account approver(const std::string& id) {
    security::Account a;
    a.user_id = id;
    a.role = security::Role::provision_approver;
    return a;
  }

  const audit::Actor staff_{"ito", "t3"};
};

TEST_F(BuildTest, AnAnonymizedBuildIsKAnonymousKmAnonymousAndHoldsNoIdentifier) {
  const auto keys = seed(1500);
  Request q = approved("univ-a", wide_spec());
  Builds b = builds();
  auto built = b.build(staff_, q.id, {.k = 5, .m = 2});
  ASSERT_TRUE(built) << built.error().describe(Lang::en);
  EXPECT_TRUE(built->risk_passed) << built->report.dump();
  EXPECT_GT(built->persons, 1000u);
  auto persons = b.read_output(built->id, "persons.csv");
  auto events = b.read_output(built->id, "events.csv");
  ASSERT_TRUE(persons && events);

  // An independent check: classes of the person-level quasi-identifiers.
  const auto person_rows = rows_of(*persons);
  ASSERT_EQ(person_rows[0], (std::vector<std::string>{"pseudonym", "sex", "age", "prefecture"}));
  std::map<std::vector<std::string>, int> classes;
  for (std::size_t r = 1; r < person_rows.size(); ++r) {
    ++classes[{person_rows[r].begin() + 1, person_rows[r].end()}];
    // Ages are bands, never exact.
    EXPECT_THAT(person_rows[r][2], HasSubstr("-")) << person_rows[r][2];
  }
  for (const auto& [qi, size] : classes) EXPECT_GE(size, 5) << qi[0] << qi[1] << qi[2];

  // k^m (m = 2) of the diagnosis sets, and every code held by at least k persons.
  std::map<std::string, std::set<std::string>> sets;
  std::set<std::string> released(std::next(person_rows.begin())->begin(),
                                 std::next(person_rows.begin())->begin());
  for (std::size_t r = 1; r < person_rows.size(); ++r) released.insert(person_rows[r][0]);
  const auto event_rows = rows_of(*events);
  for (std::size_t r = 1; r < event_rows.size(); ++r) {
    EXPECT_TRUE(released.contains(event_rows[r][0]));
    if (event_rows[r][1] == "diagnosis") sets[event_rows[r][0]].insert(event_rows[r][3]);
  }
  std::map<std::string, int> singles;
  std::map<std::pair<std::string, std::string>, int> pairs;
  for (const auto& [p, s] : sets) {
    for (auto a = s.begin(); a != s.end(); ++a) {
      ++singles[*a];
      for (auto c = std::next(a); c != s.end(); ++c) ++pairs[{*a, *c}];
    }
  }
  ASSERT_FALSE(pairs.empty());
  for (const auto& [code, n] : singles) EXPECT_GE(n, 5) << code;
  for (const auto& [pair, n] : pairs) EXPECT_GE(n, 5) << pair.first << "+" << pair.second;
  // The rare codes (one person each) are gone.
  EXPECT_THAT(*events, Not(HasSubstr("E750")));
  EXPECT_THAT(*events, Not(HasSubstr("G710")));

  // No direct identifier, patient ID, birth date or internal key appears.
  for (std::size_t i = 0; i < 1500; i += 37) {
    testing::SeedPerson truth;
    testing::synthetic_person(i, 12, 99, truth);
    for (const auto* text : {&*persons, &*events}) {
      EXPECT_THAT(*text, Not(HasSubstr(truth.patient_id)));
      EXPECT_THAT(*text, Not(HasSubstr(truth.name)));
      EXPECT_THAT(*text, Not(HasSubstr(truth.birth_date)));
      EXPECT_THAT(*text, Not(HasSubstr(truth.address.substr(0, 12))));
    }
    EXPECT_THAT(*persons + *events, Not(HasSubstr(keys[i])));
  }
  EXPECT_TRUE(built->report.contains("k_anonymity"));
  EXPECT_TRUE(built->report["k_anonymity"].contains("equivalence_classes"));
  EXPECT_LE(built->report["k_anonymity"]["risk"]["prosecutor"]["highest"].get<double>(), 0.2);
}

TEST_F(BuildTest, PseudonymsDifferPerRecipientAndTheSameBuildGivesTheSameHash) {
  seed(300);
  Request qa = approved("univ-a", wide_spec());
  Request qb = approved("univ-b", wide_spec());
  Builds b = builds();
  const std::string seed_hex(64, '7');
  auto a = b.build(staff_, qa.id, {.k = 3}, seed_hex);
  auto other = b.build(staff_, qb.id, {.k = 3}, seed_hex);
  ASSERT_TRUE(a && other);
  auto pseudonyms = [&](std::int64_t id) {
    std::set<std::string> out;
    const auto rows = rows_of(*b.read_output(id, "persons.csv"));
    for (std::size_t r = 1; r < rows.size(); ++r) out.insert(rows[r][0]);
    return out;
  };
  const auto pa = pseudonyms(a->id), pb = pseudonyms(other->id);
  ASSERT_FALSE(pa.empty());
  std::vector<std::string> common;
  std::set_intersection(pa.begin(), pa.end(), pb.begin(), pb.end(), std::back_inserter(common));
  EXPECT_TRUE(common.empty()) << common.size();

  auto again = b.build(staff_, qa.id, {.k = 3}, seed_hex);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->output_hash, a->output_hash);
  auto rebuilt = b.rebuild(staff_, a->id);
  ASSERT_TRUE(rebuilt) << rebuilt.error().describe(Lang::en);
  EXPECT_EQ(rebuilt->output_hash, a->output_hash);
  auto reseeded = b.build(staff_, qa.id, {.k = 3});
  ASSERT_TRUE(reseeded);
  EXPECT_NE(reseeded->output_hash, a->output_hash);
  // The processing method is stored sealed, readable back.
  auto plan = b.plan(a->id);
  ASSERT_TRUE(plan);
  EXPECT_EQ(plan->k, 3);
  auto raw = db_->query("SELECT plan_sealed FROM release_builds WHERE id = ?", {a->id});
  ASSERT_TRUE(raw);
  const Bytes& sealed = raw->at(0).blob(0);
  EXPECT_EQ(std::string(sealed.begin(), sealed.end()).find("\"k\""), std::string::npos);
}

TEST_F(BuildTest, OnlyAcquiredDataOfPersonsNotErasedIsRead) {
  const auto keys = seed(200);
  // A pending batch and an excluded one, each with a code nothing acquired has.
  for (const char* state : {"pending", "excluded"}) {
    std::size_t i = 0;
    auto other = testing::seed_batch(
        *db_, *keys_, clock_, random_, "1310000002",
        [&](testing::SeedPerson& p) {
          if (i++ == 20) return false;
          testing::synthetic_person(900000 + i, 4, 5, p);
          p.events.push_back({"diagnosis", "ICD10", "Z999", "2021-01-01"});
          return true;
        },
        state);
    ASSERT_TRUE(other);
  }
  // One acquired person erased by an opt-out.
  ASSERT_TRUE(
      db_->execute("INSERT INTO identity_erased (person_key, erased_ms) VALUES (?, 0)", {keys[0]}));
  Request q = approved("univ-b", wide_spec(DatasetKind::pseudonymized));
  Builds b = builds();
  std::vector<std::int64_t> read;
  auto src = b.load(q.spec, {}, read);
  ASSERT_TRUE(src);
  EXPECT_EQ(read.size(), 1u);
  EXPECT_EQ(src->persons.size(), 199u);
  for (const auto& p : src->persons) EXPECT_NE(p.key, keys[0]);
  auto built = b.build(staff_, q.id, {});
  ASSERT_TRUE(built) << built.error().describe(Lang::en);
  auto events = b.read_output(built->id, "events.csv");
  ASSERT_TRUE(events);
  EXPECT_THAT(*events, Not(HasSubstr("Z999")));
  // Pseudonymized: clinical detail is kept (exact ages, rare codes).
  EXPECT_THAT(*events, HasSubstr("E750"));
  const auto persons = rows_of(*b.read_output(built->id, "persons.csv"));
  EXPECT_THAT(persons[1][2], Not(HasSubstr("-")));
  EXPECT_EQ(persons.size(), 200u);
}

TEST_F(BuildTest, ABuildNeedsAnApprovedRequest) {
  seed(50);
  Committee c(ctx());
  auto q = c.submit(coordinator_, request_for("univ-a"));
  ASSERT_TRUE(q);
  Builds b = builds();
  auto refused = b.build(staff_, q->id, {});
  ASSERT_FALSE(refused);
  EXPECT_THAT(refused.error().text().en, HasSubstr("REVIEW-05"));
}

class ReleaseGateTest : public BuildTest {
 protected:
  Packages packages(Builds& b) { return Packages(ctx(), random_, b, dir_ / "packages"); }
};

TEST_F(ReleaseGateTest, EachGateRefusesNamingItsRule) {
  seed(300);
  Request q = approved("univ-a", wide_spec());
  Builds b = builds();
  auto built = b.build(staff_, q.id, {.k = 3});
  ASSERT_TRUE(built);
  Packages p = packages(b);
  // (b) no contract yet
  auto no_contract = p.create(staff_, built->id);
  ASSERT_FALSE(no_contract);
  EXPECT_THAT(no_contract.error().text().en, HasSubstr("CONTRACT-02"));
  active_contract(q);
  // (c) a suspended recipient
  Registry registry(ctx());
  ASSERT_TRUE(registry.sanction(coordinator_, {.recipient = "univ-a",
                                               .decided_on = "2026-06-01",
                                               .basis = "違反",
                                               .actions = {"stop_use"}}));
  auto suspended = p.create(staff_, built->id);
  ASSERT_FALSE(suspended);
  EXPECT_THAT(suspended.error().text().en, HasSubstr("PROVISION-08"));
  ASSERT_TRUE(registry.sanction(coordinator_, {.recipient = "univ-a",
                                               .suspend = false,
                                               .decided_on = "2026-06-01",
                                               .basis = "是正",
                                               .actions = {}}));
  // (d) a build that failed its risk check
  auto too_few = b.build(staff_, q.id, {.k = 1000});
  ASSERT_TRUE(too_few);
  EXPECT_FALSE(too_few->risk_passed);
  auto risky = p.create(staff_, too_few->id);
  ASSERT_FALSE(risky);
  EXPECT_THAT(risky.error().text().en, HasSubstr("ANON-02"));
  // (a) the approval expires
  clock_.set(from_unix_ms(1'775'001'600'000) + std::chrono::days(400));
  auto expired = p.create(staff_, built->id);
  ASSERT_FALSE(expired);
  EXPECT_THAT(expired.error().text().en, HasSubstr("REVIEW-05"));
  // Each refusal is in the audit log.
  auto denied = db_->query("SELECT count(*) FROM audit_entries WHERE action = 'package.refuse'");
  ASSERT_TRUE(denied);
  EXPECT_EQ(denied->at(0).integer(0), 4);
}

TEST_F(ReleaseGateTest, PseudonymizedDataNeedsACertifiedRecipient) {
  seed(100);
  register_recipient("univ-c");  // no certification
  Request q = approved("univ-c", wide_spec(DatasetKind::pseudonymized));
  active_contract(q);
  Builds b = builds();
  auto built = b.build(staff_, q.id, {});
  ASSERT_TRUE(built);
  Packages p = packages(b);
  auto refused = p.create(staff_, built->id);
  ASSERT_FALSE(refused);
  EXPECT_THAT(refused.error().text().en, HasSubstr("PSEUDO-01"));
}

TEST_F(ReleaseGateTest, TwoOtherPeopleConfirmThenTheLedgerRecordsIt) {
  seed(300);
  Request q = approved("univ-a", wide_spec());
  Contract c = active_contract(q);
  Builds b = builds();
  auto built = b.build(staff_, q.id, {.k = 3});
  ASSERT_TRUE(built);
  Packages p = packages(b);
  auto pkg = p.create({"ueda", "t4"}, built->id);
  ASSERT_TRUE(pkg) << pkg.error().describe(Lang::en);
  Confirmation checked{.recipient = "univ-a",
                       .destination = pkg->destination,
                       .dataset = pkg->dataset,
                       .sha256 = pkg->sha256,
                       .certificate = pkg->certificate};
  // A package is made once per build; its file is never replaced.
  auto twice_made = p.create({"ueda", "t4"}, built->id);
  ASSERT_FALSE(twice_made);
  EXPECT_EQ(twice_made.error().code(), Errc::already_exists);
  // An onward recipient permitted before the release holds the dataset from the release on.
  Contracts contracts(ctx());
  Ledger onward_ledger(ctx());
  ASSERT_TRUE(contracts.decide_onward(coordinator_,
                                      {.contract_id = c.id,
                                       .party = "共同研究先 B大学",
                                       .purpose = "共同解析",
                                       .scope = "集計のみ",
                                       .contract_ref = "A-B 契約",
                                       .permitted = true,
                                       .reason = "目的の範囲内"},
                                      onward_ledger));
  auto not_yet = p.release_file(pkg->id);
  ASSERT_FALSE(not_yet);
  EXPECT_THAT(not_yet.error().text().en, HasSubstr("PROVISION-03"));
  // The builder, the packager, anyone not an approver: refused.
  auto builder = approver("ito");
  EXPECT_FALSE(p.confirm({"ito", "t3"}, builder, pkg->id, checked));
  EXPECT_FALSE(p.confirm({"ueda", "t4"}, approver("ueda"), pkg->id, checked));
  security::Account staff = approver("mori");
  staff.role = security::Role::processing_staff;
  EXPECT_FALSE(p.confirm({"mori", "t5"}, staff, pkg->id, checked));
  // A checker who typed another hash is refused, naming the field.
  Confirmation wrong = checked;
  wrong.sha256[0] = wrong.sha256[0] == 'a' ? 'b' : 'a';
  auto mismatch = p.confirm({"abe", "t6"}, approver("abe"), pkg->id, wrong);
  ASSERT_FALSE(mismatch);
  EXPECT_EQ(mismatch.error().where().field, "sha256");
  auto first = p.confirm({"abe", "t6"}, approver("abe"), pkg->id, checked);
  ASSERT_TRUE(first) << first.error().describe(Lang::en);
  EXPECT_FALSE(first->released());
  auto twice = p.confirm({"abe", "t6"}, approver("abe"), pkg->id, checked);
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code(), Errc::permission_denied);
  auto second = p.confirm({"sato2", "t7"}, approver("sato2"), pkg->id, checked);
  ASSERT_TRUE(second) << second.error().describe(Lang::en);
  ASSERT_TRUE(second->released());
  EXPECT_TRUE(p.release_file(pkg->id));

  Ledger ledger(ctx());
  auto entries = ledger.entries();
  ASSERT_TRUE(entries);
  ASSERT_EQ(entries->size(), 3u);  // the permission, the release, the onward holder
  const auto& e = entries->at(1);
  EXPECT_EQ(e.seq, *second->ledger_seq);
  EXPECT_EQ(e.recipient, "univ-a");
  EXPECT_EQ(e.dataset, pkg->dataset);
  EXPECT_EQ(e.data_kind, "anonymized");
  EXPECT_EQ(e.contract, std::to_string(c.id));
  EXPECT_EQ(e.checkers, (std::vector<std::string>{"abe", "sato2"}));
  EXPECT_THAT(e.delivery, HasSubstr("https://univ-a.example/in"));
  EXPECT_EQ(*ledger.holders(pkg->dataset),
            (std::vector<std::string>{"univ-a", "共同研究先 B大学"}));
  // Reconciliation: every release has exactly one ledger entry.
  auto releases = db_->query(
      "SELECT count(*) FROM release_releases r JOIN release_ledger l ON "
      "l.seq = r.ledger_seq AND l.kind = 'provision'");
  ASSERT_TRUE(releases);
  EXPECT_EQ(releases->at(0).integer(0), 1);
  EXPECT_FALSE(p.confirm({"kudo", "t8"}, approver("kudo"), pkg->id, checked));
  // An opt-out now reports the released dataset for every record in it, and none for others.
  auto members =
      db_->query("SELECT person_key FROM release_build_members WHERE build_id = ?", {built->id});
  ASSERT_TRUE(members);
  ASSERT_EQ(members->size(), built->persons);
  auto holding = datasets_holding(*db_, {members->at(0).text(0)});
  ASSERT_TRUE(holding);
  EXPECT_EQ(*holding, (std::vector<std::string>{pkg->dataset}));
  EXPECT_TRUE(datasets_holding(*db_, {"not-a-key"})->empty());
}

TEST_F(ReleaseGateTest, TheGateIsCheckedAgainAtTheReleasingConfirmationAndAtHandOut) {
  const auto keys = seed(200);
  Request q = approved("univ-a", wide_spec());
  active_contract(q);
  Builds b = builds();
  auto built = b.build(staff_, q.id, {.k = 3});
  ASSERT_TRUE(built);
  Packages p = packages(b);
  auto pkg = p.create(staff_, built->id);
  ASSERT_TRUE(pkg);
  const Confirmation checked{.recipient = "univ-a",
                             .destination = pkg->destination,
                             .dataset = pkg->dataset,
                             .sha256 = pkg->sha256,
                             .certificate = pkg->certificate};
  ASSERT_TRUE(p.confirm({"abe", "t6"}, approver("abe"), pkg->id, checked));
  // Suspended after the package was made: the second confirmation does not release it.
  Registry registry(ctx());
  ASSERT_TRUE(registry.sanction(coordinator_, {.recipient = "univ-a",
                                               .decided_on = "2026-06-01",
                                               .basis = "違反",
                                               .actions = {"stop_use"}}));
  auto suspended = p.confirm({"kudo", "t7"}, approver("kudo"), pkg->id, checked);
  ASSERT_FALSE(suspended);
  EXPECT_THAT(suspended.error().text().en, HasSubstr("PROVISION-08"));
  EXPECT_EQ(p.get(pkg->id)->confirmations.size(), 1u);  // the refused one was not kept
  ASSERT_TRUE(registry.sanction(coordinator_, {.recipient = "univ-a",
                                               .suspend = false,
                                               .decided_on = "2026-06-02",
                                               .basis = "是正",
                                               .actions = {}}));
  // A new certificate for the recipient since the package: not released either.
  auto renewed = crypto::self_signed_certificate("univ-a", "A", 365, clock_);
  ASSERT_TRUE(registry.put_recipient(coordinator_, {.id = "univ-a",
                                                    .name = "A",
                                                    .certificate = renewed->certificate_pem,
                                                    .endpoint = "https://univ-a.example/in"}));
  auto swapped = p.confirm({"kudo", "t7"}, approver("kudo"), pkg->id, checked);
  ASSERT_FALSE(swapped);
  EXPECT_THAT(swapped.error().text().en, HasSubstr("PROVISION-02"));
}

TEST_F(ReleaseGateTest, ABuildWithAPersonWhoOptedOutSinceIsNotPackaged) {
  const auto keys = seed(200);
  Request q = approved("univ-a", wide_spec());
  active_contract(q);
  Builds b = builds();
  auto built = b.build(staff_, q.id, {.k = 3});
  ASSERT_TRUE(built);
  ASSERT_TRUE(
      db_->execute("INSERT INTO identity_erased (person_key, erased_ms) VALUES (?, 0)", {keys[5]}));
  Packages p = packages(b);
  auto refused = p.create(staff_, built->id);
  ASSERT_FALSE(refused);
  EXPECT_THAT(refused.error().text().en, HasSubstr("CONSENT-03"));
  auto again = b.build(staff_, q.id, {.k = 3});
  ASSERT_TRUE(again);
  auto held = db_->query(
      "SELECT COUNT(*) FROM release_build_members WHERE build_id = ? AND "
      "person_key = ?",
      {again->id, keys[5]});
  ASSERT_TRUE(held);
  EXPECT_EQ(held->at(0).integer(0), 0);
  EXPECT_TRUE(p.create(staff_, again->id));
}

TEST_F(ReleaseGateTest, OnlyTheRecipientOpensThePackageAndOpensslCanToo) {
  seed(200);
  auto recipient = crypto::self_signed_certificate("univ-d", "D大学", 365, clock_);
  ASSERT_TRUE(recipient);
  Registry registry(ctx());
  ASSERT_TRUE(registry.put_recipient(
      coordinator_, {.id = "univ-d", .name = "D大学", .certificate = recipient->certificate_pem}));
  Request q = approved("univ-d", wide_spec());
  active_contract(q);
  Builds b = builds();
  auto built = b.build(staff_, q.id, {.k = 3});
  ASSERT_TRUE(built);
  Packages p = packages(b);
  auto pkg = p.create(staff_, built->id);
  ASSERT_TRUE(pkg) << pkg.error().describe(Lang::en);
  EXPECT_EQ(pkg->destination, "offline");
  auto bytes = tokumei::read_file(dir_ / "packages" / (pkg->dataset + ".p7m"));
  ASSERT_TRUE(bytes);
  auto signer = p.signer_certificate();
  ASSERT_TRUE(signer);
  auto opened = open_package(as_bytes(*bytes), recipient->certificate_pem,
                             recipient->private_key_pem, *signer);
  ASSERT_TRUE(opened) << opened.error().describe(Lang::en);
  EXPECT_EQ(opened->manifest["label"], "匿名加工医療情報");
  EXPECT_THAT(opened->files["README.txt"], HasSubstr("匿名加工医療情報"));
  EXPECT_EQ(opened->files["events.csv"], *b.read_output(built->id, "events.csv"));
  // Another key cannot open it; another operator's certificate does not verify it.
  auto stranger = crypto::self_signed_certificate("x", "X", 30, clock_);
  ASSERT_TRUE(stranger);
  auto wrong_key =
      open_package(as_bytes(*bytes), stranger->certificate_pem, stranger->private_key_pem, *signer);
  ASSERT_FALSE(wrong_key);
  EXPECT_EQ(wrong_key.error().code(), Errc::authentication_failed);
  auto wrong_signer = open_package(as_bytes(*bytes), recipient->certificate_pem,
                                   recipient->private_key_pem, stranger->certificate_pem);
  ASSERT_FALSE(wrong_signer);
  EXPECT_EQ(wrong_signer.error().code(), Errc::integrity);

  // Plain openssl: decrypt with the recipient's key, then verify the operator's signature.
  testing::write_file(dir_ / "r.pem", recipient->certificate_pem);
  testing::write_file(dir_ / "r.key", recipient->private_key_pem);
  testing::write_file(dir_ / "op.pem", *signer);
  const std::string pkg_path = (dir_ / "packages" / (pkg->dataset + ".p7m")).string();
  auto decrypted = testing::run_command(
      "openssl cms -decrypt -inform DER -in " + pkg_path + " -recip " + (dir_ / "r.pem").string() +
      " -inkey " + (dir_ / "r.key").string() + " -out " + (dir_ / "signed.der").string() +
      " 2>&1 && openssl cms -verify -inform DER -in " + (dir_ / "signed.der").string() +
      " -binary -noverify -certfile " + (dir_ / "op.pem").string() + " -out " +
      (dir_ / "dataset.tar").string() + " 2>&1");
  ASSERT_EQ(decrypted.exit_code, 0) << decrypted.output;
  auto tar = tokumei::read_file(dir_ / "dataset.tar");
  ASSERT_TRUE(tar);
  auto files = read_tar(as_bytes(*tar));
  ASSERT_TRUE(files);
  EXPECT_THAT(files->at("manifest.json"), HasSubstr("匿名加工医療情報"));
}

}  // namespace
}  // namespace tokumei::release

namespace tokumei::release {
namespace {

// A source of `n` persons, all male, aged 50 in 2020, in Tokyo, each with the diagnoses given.
Source source_with(const std::vector<std::vector<std::string>>& diagnoses) {
  Source s;
  s.values.push_back("");
  std::map<std::string, std::uint32_t> codes;
  for (std::size_t p = 0; p < diagnoses.size(); ++p) {
    s.persons.push_back({.key = "person-" + std::to_string(p),
                         .birth_date = "1970-01-01",
                         .sex = "male",
                         .prefecture = "東京都"});
    for (const auto& d : diagnoses[p]) {
      auto [it, added] = codes.emplace("ICD10\x1f" + d, s.codes.size());
      if (added) s.codes.push_back(it->first);
      s.events.push_back({.person = static_cast<std::uint32_t>(p),
                          .type = 1,
                          .code = it->second,
                          .day = 18700,  // 2021-03-14
                          .value = 0});
    }
  }
  return s;
}

CohortSpec dx_spec() {
  return {.kind = DatasetKind::anonymized,
          .period_from = "2020-01-01",
          .period_to = "2024-12-31",
          .fields = {"diagnosis", "sex"}};
}

std::map<std::string, std::set<std::string>> sets_of(const Dataset& d) {
  std::map<std::string, std::set<std::string>> out;
  std::istringstream in(d.files.at("events.csv"));
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::stringstream cells(line);
    for (std::string c; std::getline(cells, c, ',');) f.push_back(c);
    out[f[0]].insert(f[3]);
  }
  return out;
}

TEST(ProcessTest, KmRemovesARarePairEvenWhenEachCodeIsCommon) {
  std::vector<std::vector<std::string>> dx;
  for (int i = 0; i < 10; ++i) dx.push_back({"A01"});
  for (int i = 0; i < 10; ++i) dx.push_back({"B01"});
  dx.push_back({"A01", "B01"});  // the only person with both
  const Bytes key(32, 1), seed(32, 2);
  auto with_pairs = process(source_with(dx), dx_spec(), {.k = 5, .m = 2}, key, seed);
  ASSERT_TRUE(with_pairs) << with_pairs.error().describe(Lang::en);
  for (const auto& [p, s] : sets_of(*with_pairs)) EXPECT_LT(s.size(), 2u) << p;
  EXPECT_EQ(with_pairs->report["km_anonymity"]["codes_removed_from_persons"], 1);
  // With m = 1 the pair stays: single codes are all common.
  auto singles = process(source_with(dx), dx_spec(), {.k = 5, .m = 1}, key, seed);
  ASSERT_TRUE(singles);
  std::size_t both = 0;
  for (const auto& [p, s] : sets_of(*singles)) both += s.size() == 2;
  EXPECT_EQ(both, 1u);
}

TEST(ProcessTest, RareCodesAreGeneralizedThenSuppressed) {
  std::vector<std::vector<std::string>> dx;
  for (int i = 0; i < 3; ++i) dx.push_back({"E119"});
  for (int i = 0; i < 3; ++i) dx.push_back({"E118"});
  for (int i = 0; i < 6; ++i) dx.push_back({"I10"});
  dx.push_back({"Q870"});
  const Bytes key(32, 1), seed(32, 2);
  auto d = process(source_with(dx), dx_spec(), {.k = 5}, key, seed);
  ASSERT_TRUE(d) << d.error().describe(Lang::en);
  const std::string& events = d->files.at("events.csv");
  EXPECT_THAT(events, HasSubstr(",E11,"));
  EXPECT_THAT(events, Not(HasSubstr("E119")));
  EXPECT_THAT(events, HasSubstr(",I10,"));
  EXPECT_THAT(events, Not(HasSubstr("Q87")));
  EXPECT_EQ(d->report["codes"]["generalized"], 2);
  EXPECT_EQ(d->report["codes"]["suppressed"], 1);
}

TEST(ProcessTest, PersonsTheEngineSuppressedAreLeftOutWhole) {
  // 20 alike and 5 outliers (one each in another prefecture): with room to suppress, no released
  // row may show "*" where its column is not generalized to the top.
  Source s = source_with(std::vector<std::vector<std::string>>(25, {"I10"}));
  const char* elsewhere[] = {"北海道", "沖縄県", "福岡県", "大阪府", "宮城県"};
  for (int i = 0; i < 5; ++i) s.persons[20 + i].prefecture = elsewhere[i];
  auto spec = dx_spec();
  spec.fields = {"diagnosis", "prefecture", "sex"};
  const Bytes key(32, 1), seed(32, 2);
  auto d = process(s, spec, {.k = 5, .suppression_limit = 0.3}, key, seed);
  ASSERT_TRUE(d) << d.error().describe(Lang::en);
  std::istringstream in(d->files.at("persons.csv"));
  std::string line;
  std::getline(in, line);
  std::size_t rows = 0, starred = 0;
  while (std::getline(in, line)) {
    ++rows;
    starred += line.find(",*") != std::string::npos;
  }
  EXPECT_TRUE(starred == 0 || starred == rows) << d->files.at("persons.csv");
  EXPECT_EQ(d->report["persons_suppressed"].get<std::size_t>() + rows, 25u);
}

TEST(ProcessTest, FewerThanKPersonsAreNeverReleased) {
  Source s = source_with({{"Q870"}, {"Q870"}});
  auto spec = dx_spec();
  spec.fields = {"diagnosis"};
  const Bytes key(32, 1), seed(32, 2);
  auto d = process(s, spec, {.k = 5}, key, seed);
  ASSERT_TRUE(d);
  EXPECT_FALSE(d->risk_passed);
  EXPECT_EQ(d->persons, 0u);
  EXPECT_EQ(d->files.at("persons.csv"), "pseudonym\n");
}

TEST(ProcessTest, AnEncounterEndIsHandledLikeEveryOtherDate) {
  Source s = source_with(std::vector<std::vector<std::string>>(6, {"I10"}));
  s.codes.push_back(
      "encounter-kind\x1f"
      "admission");
  s.values.push_back("2021-03-20T10:00\x1f");
  for (std::uint32_t p = 0; p < 6; ++p) {
    s.events.push_back({.person = p,
                        .type = 0,
                        .code = static_cast<std::uint32_t>(s.codes.size() - 1),
                        .day = 18700,
                        .value = static_cast<std::uint32_t>(s.values.size() - 1)});
  }
  auto spec = dx_spec();
  spec.fields = {"diagnosis", "encounter", "sex"};
  const Bytes key(32, 1), seed(32, 2);
  auto shifted = process(s, spec, {.k = 5, .max_shift_days = 30}, key, seed);
  ASSERT_TRUE(shifted);
  EXPECT_THAT(shifted->files.at("events.csv"), HasSubstr(",encounter,"));
  EXPECT_THAT(shifted->files.at("events.csv"), Not(HasSubstr("2021-03-20")));
  spec.dates = DateHandling::index;
  auto index = process(s, spec, {.k = 5}, key, seed);
  ASSERT_TRUE(index);
  EXPECT_THAT(index->files.at("events.csv"), HasSubstr(",encounter-kind,admission,0,6,"));
}

TEST(ProcessTest, DatesAreShiftedPerPersonOrMadeDaysFromIndex) {
  const Bytes key(32, 1), seed(32, 2);
  std::vector<std::vector<std::string>> dx(6, {"I10"});
  auto shifted = process(source_with(dx), dx_spec(), {.k = 5, .max_shift_days = 30}, key, seed);
  ASSERT_TRUE(shifted);
  EXPECT_THAT(shifted->files.at("events.csv"), Not(HasSubstr("2021-03-14")));
  auto spec = dx_spec();
  spec.dates = DateHandling::index;
  auto index = process(source_with(dx), spec, {.k = 5}, key, seed);
  ASSERT_TRUE(index);
  EXPECT_THAT(index->files.at("events.csv"), HasSubstr("days_from_index"));
  EXPECT_THAT(index->files.at("events.csv"), HasSubstr(",diagnosis,ICD10,I10,0,,\n"));
}

}  // namespace
}  // namespace tokumei::release
