// `tokumei ingest` run the way an operator runs it: the summary and --json, a second run that
// finds nothing new, and crash safety — the command killed with SIGKILL at random moments 20
// times and run again ends with exactly the store an uninterrupted run makes.

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "support/cli_fixture.h"
#include "support/test_support.h"
#include "tokumei/store/sqlite_database.h"

namespace tokumei::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class IngestCli : public ::testing::Test {
 protected:
  void SetUp() override {
    binary_ = tokumei_binary();
    ASSERT_TRUE(fs::exists(binary_)) << binary_;
    ssmix2_ = shared_data_dir() / "ssmix2/nhoHQ_SSMIX2DataTestingTool/sampleData";
    synthea_ = shared_data_dir() / "synthea/smart-on-fhir_R4";
    jpcore_ = shared_data_dir() / "jpcore/jp-core.r4-1.1.2_package_examples";
    if (!fs::exists(ssmix2_) || !fs::exists(synthea_) || !fs::exists(jpcore_)) {
      GTEST_SKIP() << "no samples in " << shared_data_dir();
    }
  }
  CommandResult tokumei(const std::string& args) {
    return run_command("TOKUMEI_LANG= " + binary_ + " " + args);
  }
  std::map<fs::path, std::string> sessions_;
  fs::path init(const std::string& name) {
    const fs::path dir = tmp / name;
    auto r = tokumei("init --dir '" + dir.string() + "' --officer sato --officer-name '佐藤 花子'");
    EXPECT_EQ(r.exit_code, 0) << r.output;
    // Every ingest below runs as a logged-in processing operator: ingest_args names the session
    // of its deployment, and TOKUMEI_SESSION holds the newest one for the other commands.
    sessions_[dir] = login_session(dir, "kato");
    ::setenv("TOKUMEI_SESSION", sessions_[dir].c_str(), 1);
    return dir;
  }
  std::vector<std::string> ingest_args(const fs::path& dir) const {
    std::vector<std::string> args{binary_, "ingest", ssmix2_.string(), synthea_.string(),
                                  jpcore_.string()};
    if (!generated_.empty()) args.push_back(generated_.string());
    for (const char* a : {"--dir", dir.c_str(), "--institution", "1311234567", "--session",
                          sessions_.at(dir).c_str()}) {
      args.push_back(a);
    }
    return args;
  }
  // Many small bundles (a patient and 30 results each), so that a run takes long enough for
  // kills to land in the middle of it, between files and inside them.
  void generate_bundles(int count) {
    generated_ = tmp / "generated";
    for (int p = 0; p < count; ++p) {
      nlohmann::json entries = nlohmann::json::array();
      const std::string id = "gen-" + std::to_string(p);
      entries.push_back(
          {{"fullUrl", "urn:uuid:" + id},
           {"resource",
            {{"resourceType", "Patient"},
             {"id", id},
             {"identifier", {{{"value", "G" + std::to_string(100000 + p)}}}},
             {"name", {{{"family", "試験"}, {"given", {"花子" + std::to_string(p)}}}}},
             {"gender", p % 2 ? "male" : "female"},
             {"birthDate", "1950-01-" + std::to_string(10 + p % 18)}}}});
      for (int o = 0; o < 30; ++o) {
        entries.push_back(
            {{"resource",
              {{"resourceType", "Observation"},
               {"id", id + "-o" + std::to_string(o)},
               {"subject", {{"reference", "urn:uuid:" + id}}},
               {"code", {{"coding", {{{"system", "http://loinc.org"}, {"code", "2345-7"}}}}}},
               {"effectiveDateTime", "2024-01-" + std::to_string(10 + o % 18)},
               {"valueQuantity", {{"value", 80 + o + p % 7}, {"unit", "mg/dL"}}}}}});
      }
      write_file(
          generated_ / ("bundle-" + std::to_string(1000 + p) + ".json"),
          nlohmann::json{{"resourceType", "Bundle"}, {"type", "collection"}, {"entry", entries}}
              .dump());
    }
  }
  std::string ingest_command(const fs::path& dir, const std::string& extra = "") const {
    std::string command = "TOKUMEI_LANG= ";
    for (const auto& a : ingest_args(dir)) command += "'" + a + "' ";
    return command + extra;
  }

  // Everything the store holds about the data, in a comparable form (ids and ciphertexts, which
  // differ from run to run by design, left out).
  std::vector<std::string> snapshot(const fs::path& dir) {
    auto db = store::SqliteDatabase::open(dir / "data/tokumei.db", {.read_only = true});
    EXPECT_TRUE(db) << db.error().describe(Lang::en);
    std::vector<std::string> out;
    if (!db) return out;
    for (const char* sql : {
             "SELECT 'batch', state FROM ingest_batches ORDER BY id",
             "SELECT 'file', hex(content_hash), outcome, record_type, events FROM ingest_files "
             "ORDER BY hex(content_hash)",
             "SELECT 'event', type, code_system, code, date, value, unit, withdrawn, "
             "(SELECT hex(content_hash) FROM ingest_files f WHERE f.id = file_id) FROM "
             "ingest_events ORDER BY 2, 3, 4, 5, 6, 7, 9",
             "SELECT 'quarantine', scope, reason, line, offset, field, (SELECT hex(content_hash) "
             "FROM ingest_files f WHERE f.id = file_id) FROM ingest_quarantine ORDER BY 7, 2, 4, 5",
             "SELECT 'persons', COUNT(*) FROM identity_persons",
             "SELECT 'identity versions', COUNT(*) FROM identity_versions",
             "SELECT 'person events', COUNT(DISTINCT person_key) FROM ingest_events",
         }) {
      auto rows = (*db)->query(sql);
      EXPECT_TRUE(rows) << sql;
      if (!rows) continue;
      for (const auto& row : *rows) {
        std::string line;
        for (std::size_t i = 0; i < row.size(); ++i) {
          const store::Value& v = row[i];
          if (std::holds_alternative<std::string>(v)) line += std::get<std::string>(v);
          if (std::holds_alternative<std::int64_t>(v))
            line += std::to_string(std::get<std::int64_t>(v));
          line += "|";
        }
        out.push_back(line);
      }
    }
    return out;
  }

  // The reception records that closed a batch: "batch N: M files".
  std::vector<std::string> closing_records(const fs::path& dir) {
    auto db = store::SqliteDatabase::open(dir / "data/tokumei.db", {.read_only = true});
    EXPECT_TRUE(db) << db.error().describe(Lang::en);
    std::vector<std::string> out;
    if (!db) return out;
    auto rows =
        (*db)->query("SELECT detail FROM audit_entries WHERE action = 'ingest.batch' ORDER BY seq");
    EXPECT_TRUE(rows);
    if (!rows) return out;
    for (const auto& row : *rows) {
      auto j = nlohmann::json::parse(row.text(0));
      if (j["batch"].get<int>() == 0) continue;
      out.push_back("batch " + j["batch"].dump() + ": " + j["files"]["in_batch"].dump() + " files");
    }
    return out;
  }

  std::string binary_;
  fs::path ssmix2_, synthea_, jpcore_, generated_;
  TempDir tmp;
};

TEST_F(IngestCli, SummaryJsonAndNothingNewTheSecondTime) {
  const fs::path dir = init("core");
  auto first = run_command(ingest_command(dir, "--json"));
  // Quarantined files (the three broken SS-MIX2 ones) make the run exit 1.
  EXPECT_EQ(first.exit_code, 1) << first.output;
  auto j = nlohmann::json::parse(first.output, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << first.output;
  EXPECT_EQ(j["files"]["taken_in"], 22 + 20 + 49);
  EXPECT_EQ(j["files"]["quarantined"], 3);
  EXPECT_EQ(j["persons"], 1 + 20 + 1);
  EXPECT_EQ(j["events"]["claim_visit"], nullptr);
  EXPECT_EQ(j["events"]["procedure"], 138 + 1);

  auto second = run_command(ingest_command(dir) + "--lang en");
  EXPECT_EQ(second.exit_code, 0) << second.output;
  EXPECT_THAT(second.output, HasSubstr("nothing new"));

  auto missing =
      tokumei("ingest /no/such/folder --dir '" + dir.string() + "' --institution 1311234567");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.output, HasSubstr("/no/such/folder"));
  auto bad_code = tokumei("--lang en ingest x --dir '" + dir.string() + "' --institution 13-1");
  EXPECT_EQ(bad_code.exit_code, 2);
  EXPECT_THAT(bad_code.output, HasSubstr("10 digits"));
}

// Crash safety: SIGKILL at random moments, 20 times, then a run to the end, gives exactly what one
// uninterrupted run gives.
TEST_F(IngestCli, KilledAtRandomMomentsTwentyTimesLosesAndDoublesNothing) {
  generate_bundles(300);
  const fs::path whole = init("whole"), killed = init("killed");
  auto straight = run_command(ingest_command(whole));
  ASSERT_EQ(straight.exit_code, 1) << straight.output;  // 1: quarantined files
  // How long one run takes, to spread the kills over it.
  const fs::path timing_dir = init("timing");
  const auto t0 = std::chrono::steady_clock::now();
  auto timing = run_command(ingest_command(timing_dir));
  const auto run_us =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  ASSERT_EQ(timing.exit_code, 1) << timing.output;

  std::mt19937 random(20261121);
  const auto args = ingest_args(killed);
  int killed_before_end = 0;
  // Each run has less left to do than the last: when a run ended before its kill, the next kill
  // comes sooner.
  double window_us = static_cast<double>(run_us);
  for (int i = 0; i < 20; ++i) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      std::vector<char*> argv;
      for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      int devnull = open("/dev/null", O_WRONLY);
      dup2(devnull, 1);
      dup2(devnull, 2);
      execv(argv[0], argv.data());
      _exit(127);
    }
    const double u = std::uniform_real_distribution<double>(0, 1)(random);
    std::this_thread::sleep_for(std::chrono::microseconds(static_cast<long>(u * window_us)));
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    if (WIFSIGNALED(status)) {
      ++killed_before_end;
    } else {
      window_us /= 2;
    }
  }
  EXPECT_GT(killed_before_end, 10) << "the kills should mostly land during a run";
  auto last = run_command(ingest_command(killed));
  EXPECT_LE(last.exit_code, 1) << last.output;
  EXPECT_EQ(snapshot(killed), snapshot(whole));
  // INTAKE-04: the closed batch has exactly one reception record, counting every file it holds
  // (those taken in by the killed runs too).
  EXPECT_EQ(closing_records(killed), closing_records(whole));
  EXPECT_EQ(closing_records(whole).size(), 1u);
}

}  // namespace
}  // namespace tokumei::testing
