// The whole provision through the command line, on `tokumei synth` data: request → committee (a
// roster that breaks a rule is refused, naming it) → decision → contract → build → two approvals
// → package → `tokumei open` and `openssl cms` → ledger. Each gate is tried without its condition
// first and must refuse, naming it.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "support/cli_fixture.h"
#include "support/test_support.h"
#include "tokumei/crypto/x509.h"
#include "tokumei/release/build.h"

namespace tokumei::testing {
namespace {

namespace fs = std::filesystem;
using security::Role;
using ::testing::HasSubstr;
using ::testing::Not;

std::vector<std::vector<std::string>> csv_rows(const std::string& text) {
  std::vector<std::vector<std::string>> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> row;
    std::stringstream cells(line);
    for (std::string c; std::getline(cells, c, ',');) row.push_back(c);
    if (!line.empty() && line.back() == ',') row.emplace_back();
    out.push_back(std::move(row));
  }
  return out;
}

// Today in Japan: meetings are held on or after the day a request is submitted.
std::string today() { return japanese_day(SystemClock().now()); }

constexpr const char* kRequest = R"(recipient = "{RECIPIENT}"
application_type = "new"
title = "生活習慣病の受診経過"
purpose = "糖尿病・高血圧の治療経過を比較し、診療の質の向上に資する"
research_content = "後ろ向きコホート研究。主要評価項目は検査値の推移"
publication_plan = "学会・論文で集団単位の集計のみを公表する"
benefits = "企業からの資金提供なし"
data_requested = "2024年の診断・処方・検査"
safety_measures = "専用端末、入退室管理、アクセス記録"

[spec]
kind = "anonymized"
period = { from = "2024-01-01", to = "2024-12-31" }
fields = ["sex", "age", "prefecture", "diagnosis", "medication", "lab"]
age_band = 10
dates = "index"
)";

class ProvisionCli : public DeploymentCliTest {
 protected:
  void SetUp() override {
    DeploymentCliTest::SetUp();
    data_ = tmp_ / "hospitals";
    ASSERT_EQ(tokumei("synth --out '" + data_.string() +
                      "' --patients 600 --institutions 2 --no-anomalies --seed 11")
                  .exit_code,
              0);
    ASSERT_EQ(tokumei("init --dir '" + dir_.string() + "' --officer sato").exit_code, 0);
    operate_as("kato");  // processing staff
    write_file(tmp_ / "notice.pdf", "院内掲示");
    int batch = 0;
    for (const char* code : {"1310001001", "1310001002"}) {
      CommandResult r =
          tokumei("ingest '" + (data_ / code).string() + "'" + at() + " --institution " + code);
      ASSERT_EQ(r.exit_code, 0) << r.output;
      const std::string notification = std::string("notification --institution ") + code + at();
      r = tokumei(notification +
                  " document --version 1 --method posting --effective 2023-04-01 --file '" +
                  (tmp_ / "notice.pdf").string() + "'");
      ASSERT_EQ(r.exit_code, 0) << r.output;
      r = tokumei(notification + " import '" + (data_ / code / "notifications.csv").string() + "'");
      ASSERT_EQ(r.exit_code, 0) << r.output;
      ++batch;
      r = tokumei("check " + std::to_string(batch) + at() + " --extracted 2025-12-31");
      r = tokumei("acquire " + std::to_string(batch) + at());
      ASSERT_EQ(r.exit_code, 0) << r.output;
    }
    ASSERT_EQ(tokumei("link run" + at()).exit_code, 0);
  }

  // A recipient's key and certificate, written to files; returns the certificate's path.
  fs::path recipient_files(const std::string& id) {
    SystemClock clock;
    auto pair = crypto::self_signed_certificate(id, id + " 大学", 365, clock);
    EXPECT_TRUE(pair);
    write_file(tmp_ / (id + ".pem"), pair->certificate_pem);
    write_file(tmp_ / (id + ".key"), pair->private_key_pem);
    return tmp_ / (id + ".pem");
  }

  std::string request_file(const std::string& recipient) {
    std::string text = kRequest;
    text.replace(text.find("{RECIPIENT}"), 11, recipient);
    const fs::path p = tmp_ / ("request-" + recipient + ".toml");
    write_file(p, text);
    return "'" + p.string() + "'";
  }

  // A lawful roster; `members` of five, or four to break REVIEW-01 (ⅵ).
  std::string roster_file(int members) {
    std::string text;
    const char* people[][5] = {{"山田 一郎", "yamada", "male", "natural_science", "false"},
                               {"佐藤 花子", "hanako", "female", "humanities", "true"},
                               {"鈴木 次郎", "", "male", "general", "true"},
                               {"高橋 三恵", "", "female", "natural_science", "false"},
                               {"田中 四郎", "", "male", "general", "false"}};
    for (int i = 0; i < members; ++i) {
      text += std::string("[[member]]\nname = \"") + people[i][0] + "\"\naccount = \"" +
              people[i][1] + "\"\nsex = \"" + people[i][2] + "\"\ncategory = \"" + people[i][3] +
              "\"\nexternal = " + people[i][4] +
              "\nterm_from = \"2025-04-01\"\nterm_to = \"2099-03-31\"\nexpedited = false\n";
    }
    const fs::path p = tmp_ / ("roster" + std::to_string(members) + ".toml");
    write_file(p, text);
    return "'" + p.string() + "'";
  }

  // Everything up to an approved request with an active contract; returns the request's ID.
  std::int64_t approve_request(const std::string& recipient) {
    const std::string coord = as("kondo", Role::provision_coordinator);
    json("registry recipient --id " + recipient + " --name '" + recipient + " 大学' --cert '" +
         recipient_files(recipient).string() + "' --endpoint https://" + recipient + ".example/in" +
         at() + coord);
    const auto q = json("request submit " + request_file(recipient) + at() + coord);
    const std::int64_t id = q["id"].get<std::int64_t>();
    const auto m = json("committee meeting --held-on " + today() +
                        " --attendee '山田 一郎' "
                        "--attendee '佐藤 花子' --attendee '鈴木 次郎' --summary 審議した" +
                        at() + coord);
    json("committee decide " + std::to_string(id) + " --meeting " +
         std::to_string(m["meeting"].get<int>()) +
         " --outcome approved --judgment 1=yes --judgment 2=yes --judgment 3=yes --judgment 4=yes"
         " --valid-until 2099-03-31 --summary 適切" +
         at() + as("yamada", Role::committee_member));
    write_file(tmp_ / "contract.pdf", "契約書 " + recipient);
    const auto c =
        json("contract create --party " + recipient + " --request " + std::to_string(id) +
             " --title 提供契約 --signed-on 2026-05-25 --valid-until 2099-03-31 "
             "--file '" +
             (tmp_ / "contract.pdf").string() + "'" + at() + coord);
    const std::string contract = std::to_string(c["contract"].get<int>());
    int article = 1;
    for (const char* clause : {"data_type", "purpose_form_scope", "safety_measures",
                               "verification_rights", "onward_permission", "sanctions"}) {
      json("contract tick " + contract + " --clause " + clause + " --reference 第" +
           std::to_string(article++) + "条" + at() + coord);
    }
    // Activation names the clause still open.
    CommandResult r = tokumei("--lang en contract activate " + contract + at() + coord);
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_THAT(r.output, HasSubstr("CONTRACT-02"));
    EXPECT_THAT(r.output, HasSubstr("money_benefits"));
    json("contract tick " + contract + " --clause money_benefits --reference 第8条" + at() + coord);
    json("contract activate " + contract + at() + coord);
    return id;
  }

  fs::path data_;
};

TEST_F(ProvisionCli, ARequestGoesThroughEveryGateToTheRecipientAndTheLedger) {
  const std::string coord = as("kondo", Role::provision_coordinator);
  write_file(tmp_ / "rules.pdf", "委員会規程");
  json("committee rules --version 1 --approved-on 2025-04-01 --file '" +
       (tmp_ / "rules.pdf").string() + "'" + at() + coord);
  // A roster that breaks a rule is refused, naming it.
  CommandResult r = tokumei("--lang en committee roster " + roster_file(4) +
                            " --effective 2025-04-01" + at() + coord);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("REVIEW-01 (ⅵ): at least 5 members are needed (4)"));
  json("committee roster " + roster_file(5) + " --effective 2025-04-01" + at() + coord);
  as("yamada", Role::committee_member);
  as("hanako", Role::committee_member);

  // A request without its decision yet: the build is refused, naming the rule.
  recipient_files("univ-a");
  json("registry recipient --id univ-a --name 'A 大学' --cert '" + (tmp_ / "univ-a.pem").string() +
       "' --endpoint https://univ-a.example/in" + at() + coord);
  const auto submitted = json("request submit " + request_file("univ-a") + at() + coord);
  const std::string request = std::to_string(submitted["id"].get<int>());
  r = tokumei("--lang en build create " + request + at());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("REVIEW-05"));
  // A decision without a judgment on every criterion is refused.
  const auto meeting = json("committee meeting --held-on " + today() +
                            " --attendee '山田 一郎' "
                            "--attendee '佐藤 花子' --attendee '鈴木 次郎' --summary 審議した" +
                            at() + coord);
  const std::string decide = "committee decide " + request + " --meeting " +
                             std::to_string(meeting["meeting"].get<int>()) +
                             " --outcome approved --valid-until 2099-03-31 --summary 適切";
  r = tokumei("--lang en " + decide + " --judgment 1=yes --judgment 2=yes --judgment 4=yes" + at() +
              as("yamada", Role::committee_member));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("REVIEW-02: criterion (ⅲ)"));
  // Processing staff cannot decide.
  EXPECT_EQ(tokumei(decide +
                    " --judgment 1=yes --judgment 2=yes --judgment 3=yes --judgment "
                    "4=yes" +
                    at())
                .exit_code,
            1);
  json(decide + " --judgment 1=yes --judgment 2=yes --judgment 3=yes --judgment 4=yes" + at() +
       as("yamada", Role::committee_member));

  // The build is made; the package is refused until a contract is active.
  const auto built = json("build create " + request + " --seed " + std::string(64, '5') + at());
  EXPECT_TRUE(built["risk_passed"].get<bool>()) << built["report"].dump();
  EXPECT_GT(built["persons"].get<int>(), 300);
  const std::string build = std::to_string(built["id"].get<int>());
  r = tokumei("--lang en package create " + build + at());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("CONTRACT-02"));
  write_file(tmp_ / "contract.pdf", "契約書");
  const auto c = json("contract create --party univ-a --request " + request +
                      " --title 提供契約 --signed-on 2026-05-25 --valid-until 2099-03-31 --file '" +
                      (tmp_ / "contract.pdf").string() + "'" + at() + coord);
  const std::string contract = std::to_string(c["contract"].get<int>());
  for (const char* clause :
       {"data_type", "purpose_form_scope", "safety_measures", "verification_rights",
        "onward_permission", "sanctions", "money_benefits"}) {
    json("contract tick " + contract + " --clause " + clause + " --reference 第1条" + at() + coord);
  }
  json("contract activate " + contract + at() + coord);
  const auto pkg = json("package create " + build + at());
  const std::string package = std::to_string(pkg["id"].get<int>());
  const std::string confirm = "approve " + package + " --recipient univ-a --destination " +
                              pkg["destination"].get<std::string>() + " --dataset " +
                              pkg["dataset"].get<std::string>() + " --certificate " +
                              pkg["certificate"].get<std::string>() + " --sha256 ";
  const std::string sha = pkg["sha256"].get<std::string>();

  // Not released before two approvers: export refused; the builder may not approve; a wrong hash
  // is refused; the same approver twice is refused.
  r = tokumei("--lang en package export " + package + " --out '" + (tmp_ / "x.p7m").string() + "'" +
              at());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("PROVISION-03"));
  r = tokumei("--lang en " + confirm + sha + at());  // kato: not an approver
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("may not approve a release"));
  r = tokumei("--lang en " + confirm + std::string(64, '0') + at() +
              as("abe", Role::provision_approver));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("PROVISION-03"));
  json(confirm + sha + at() + as("abe", Role::provision_approver));
  EXPECT_EQ(tokumei(confirm + sha + at() + as("abe", Role::provision_approver)).exit_code, 1);
  const auto released = json(confirm + sha + at() + as("ueda", Role::provision_approver));
  EXPECT_TRUE(released["released"].get<bool>());

  // The ledger has the entry, with both checkers.
  const auto ledger = json("ledger list" + at() + coord);
  ASSERT_EQ(ledger.size(), 1u);
  EXPECT_EQ(ledger[0]["dataset"], pkg["dataset"]);
  EXPECT_EQ(ledger[0]["recipient"], "univ-a");
  EXPECT_EQ(ledger[0]["data_kind"], "anonymized");
  EXPECT_EQ(ledger[0]["checkers"], (nlohmann::json{"abe", "ueda"}));
  json("ledger export --from 2026-01-01 --to 2099-12-31 --out '" + (tmp_ / "inspection").string() +
       "'" + at() + coord);
  json("ledger verify-export '" + (tmp_ / "inspection/ledger_2026-01-01_2099-12-31.csv").string() +
       "' '" + (tmp_ / "inspection/ledger_2026-01-01_2099-12-31.sig.json").string() + "'" + at() +
       coord);

  // The recipient opens it with tokumei open and with plain openssl. Nothing leaves while the
  // exit queue is frozen.
  const fs::path file = tmp_ / "delivered.p7m";
  const std::string officer = as("sato", Role::security_officer);
  json("exit freeze --reason 調査中" + at() + officer);
  r = tokumei("--lang en package export " + package + " --out '" + file.string() + "'" + at());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("the exit queue is frozen"));
  json("exit release --reason 調査完了" + at() + officer);
  json("package export " + package + " --out '" + file.string() + "'" + at());
  r = tokumei("package signer" + at());
  ASSERT_EQ(r.exit_code, 0);
  write_file(tmp_ / "operator.pem", r.output);
  const fs::path out = tmp_ / "opened";
  const auto opened =
      json("open '" + file.string() + "' --cert '" + (tmp_ / "univ-a.pem").string() + "' --key '" +
           (tmp_ / "univ-a.key").string() + "' --operator-cert '" +
           (tmp_ / "operator.pem").string() + "' --out '" + out.string() + "'");
  EXPECT_EQ(opened["label"], "匿名加工医療情報");
  EXPECT_THAT(read_file(out / "README.txt"), HasSubstr("匿名加工医療情報"));
  // Without the operator's certificate pinned, opening is refused unless the recipient says so.
  r = tokumei("--lang en open '" + file.string() + "' --cert '" + (tmp_ / "univ-a.pem").string() +
              "' --key '" + (tmp_ / "univ-a.key").string() + "' --out '" +
              (tmp_ / "unpinned").string() + "'");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("pin the operator's signing certificate"));
  recipient_files("stranger");
  EXPECT_EQ(tokumei("open '" + file.string() + "' --cert '" + (tmp_ / "stranger.pem").string() +
                    "' --key '" + (tmp_ / "stranger.key").string() + "' --out '" +
                    (tmp_ / "no").string() + "'")
                .exit_code,
            1);
  r = run_command("openssl cms -decrypt -inform DER -in '" + file.string() + "' -recip '" +
                  (tmp_ / "univ-a.pem").string() + "' -inkey '" + (tmp_ / "univ-a.key").string() +
                  "' -out '" + (tmp_ / "signed.der").string() +
                  "' && openssl cms -verify -inform DER -in '" + (tmp_ / "signed.der").string() +
                  "' -binary -noverify -certfile '" + (tmp_ / "operator.pem").string() +
                  "' -out '" + (tmp_ / "dataset.tar").string() + "' 2>&1");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(read_file(tmp_ / "dataset.tar"), HasSubstr("匿名加工医療情報"));

  // An independent check of what was released: k-anonymity of persons, k^m (m = 2) of the
  // diagnosis sets, and none of the ground truth's identifiers.
  const auto persons = csv_rows(read_file(out / "persons.csv"));
  const auto events = csv_rows(read_file(out / "events.csv"));
  ASSERT_GT(persons.size(), 300u);
  ASSERT_EQ(persons[0], (std::vector<std::string>{"pseudonym", "sex", "age", "prefecture"}));
  ASSERT_EQ(events[0][1], "type");
  std::map<std::vector<std::string>, int> classes;
  for (std::size_t i = 1; i < persons.size(); ++i) {
    ++classes[{persons[i].begin() + 1, persons[i].end()}];
  }
  for (const auto& [qi, n] : classes) EXPECT_GE(n, 5);
  std::map<std::string, std::set<std::string>> sets;
  for (std::size_t i = 1; i < events.size(); ++i) {
    if (events[i][1] == "diagnosis") sets[events[i][0]].insert(events[i][3]);
  }
  std::map<std::string, int> single;
  std::map<std::pair<std::string, std::string>, int> pairs;
  for (const auto& [p, s] : sets) {
    for (auto a = s.begin(); a != s.end(); ++a) {
      ++single[*a];
      for (auto b = std::next(a); b != s.end(); ++b) ++pairs[{*a, *b}];
    }
  }
  ASSERT_FALSE(pairs.empty());
  for (const auto& [code, n] : single) EXPECT_GE(n, 5) << code;
  for (const auto& [pair, n] : pairs) EXPECT_GE(n, 5) << pair.first << "+" << pair.second;
  std::set<std::string> cells;
  for (const auto* rows : {&persons, &events}) {
    for (const auto& row : *rows) cells.insert(row.begin(), row.end());
  }
  std::string everything;
  for (const auto& [name, content] :
       std::map<std::string, std::string>{{"p", read_file(out / "persons.csv")},
                                          {"e", read_file(out / "events.csv")},
                                          {"d", read_file(out / "dictionary.json")},
                                          {"m", read_file(out / "manifest.json")},
                                          {"r", read_file(out / "README.txt")}}) {
    everything += content;
  }
  std::ifstream truth(data_ / "truth" / "persons.ndjson");
  int scanned = 0;
  for (std::string line; std::getline(truth, line);) {
    const auto t = nlohmann::json::parse(line);
    EXPECT_FALSE(cells.contains(t["patient_id"].get<std::string>())) << t["patient_id"];
    EXPECT_FALSE(cells.contains(t["birth_date"].get<std::string>())) << t["birth_date"];
    EXPECT_THAT(everything, Not(HasSubstr(t["name_kanji"].get<std::string>())));
    EXPECT_THAT(everything, Not(HasSubstr(t["name_kana"].get<std::string>())));
    ++scanned;
  }
  EXPECT_GT(scanned, 500);
  auto db = store::SqliteDatabase::open(dir_ / "data/tokumei.db", {});
  ASSERT_TRUE(db);
  auto keys = (*db)->query("SELECT person_key FROM identity_persons");
  ASSERT_TRUE(keys);
  for (const auto& k : *keys) EXPECT_FALSE(cells.contains(k.text(0)));
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_entries WHERE action = 'package.release'"), 1);
  // Reading the provision's records is logged too.
  EXPECT_GT(count("SELECT COUNT(*) FROM audit_entries WHERE action = 'ledger.read' AND "
                  "actor = 'kondo'"),
            0);

  // A patient of the dataset opts out: the report names the dataset provided.
  std::ifstream again(data_ / "truth" / "persons.ndjson");
  std::string first;
  std::getline(again, first);
  const auto person = nlohmann::json::parse(first);
  const auto opted = json("optout" + at() + " add --institution " +
                          person["institution"].get<std::string>() + " --patient-id " +
                          person["patient_id"].get<std::string>() + " --received-on 2026-06-01");
  EXPECT_EQ(opted["datasets_provided"], (nlohmann::json{pkg["dataset"]}));
}

TEST_F(ProvisionCli, TwoRecipientsShareNoPseudonymAndARebuildGivesTheSameHash) {
  const std::string coord = as("kondo", Role::provision_coordinator);
  write_file(tmp_ / "rules.pdf", "委員会規程");
  json("committee rules --version 1 --approved-on 2025-04-01 --file '" +
       (tmp_ / "rules.pdf").string() + "'" + at() + coord);
  json("committee roster " + roster_file(5) + " --effective 2025-04-01" + at() + coord);
  const std::int64_t qa = approve_request("univ-a");
  const std::int64_t qb = approve_request("univ-b");
  auto a = json("build create " + std::to_string(qa) + at());
  auto b = json("build create " + std::to_string(qb) + at());
  // The pseudonyms each release would carry, read through the staff's own view of the build.
  std::set<std::string> pa, pb;
  for (auto [build, into] : {std::pair{a, &pa}, std::pair{b, &pb}}) {
    SystemClock clock;
    SystemRandom random;
    auto d = zones::Deployment::open(dir_, {}, clock, random);
    ASSERT_TRUE(d);
    release::Builds builds({(*d)->db(), (*d)->keys(), (*d)->audit(), clock}, random,
                           dir_ / "builds");
    auto text = builds.read_output(build["id"].get<int>(), "persons.csv");
    ASSERT_TRUE(text);
    const auto rows = csv_rows(*text);
    for (std::size_t i = 1; i < rows.size(); ++i) into->insert(rows[i][0]);
  }
  ASSERT_GT(pa.size(), 300u);
  ASSERT_GT(pb.size(), 300u);
  std::vector<std::string> common;
  std::set_intersection(pa.begin(), pa.end(), pb.begin(), pb.end(), std::back_inserter(common));
  EXPECT_TRUE(common.empty());
  const auto again = json("build rebuild " + std::to_string(a["id"].get<int>()) + at());
  EXPECT_TRUE(again["same_hash"].get<bool>());
  EXPECT_EQ(again["hash"], a["output_hash"]);
}

}  // namespace
}  // namespace tokumei::testing
