// `tokumei link` as an operator runs it: the evaluation's figures, a run over three synthetic
// hospitals that links exactly the persons the generator registered twice, the staff-only
// commands, and an undo that later runs respect.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "support/cli_fixture.h"
#include "tokumei/zones/deployment.h"

namespace tokumei::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class LinkCli : public DeploymentCliTest {};

TEST_F(LinkCli, EvaluatePrintsPrecisionAndRecallPerKindOfDifference) {
  const nlohmann::json e = json("link evaluate --persons 3000 --institutions 5 --seed 2");
  ASSERT_TRUE(e.is_object());
  EXPECT_GT(e["records"].get<int>(), 5000);
  EXPECT_GE(e["precision"].get<double>(), 0.995);
  EXPECT_GE(e["recall"].get<double>(), 0.98);
  EXPECT_TRUE(e["targets_met"].get<bool>());
  EXPECT_TRUE(e["by_noise"].contains("married"));
  const CommandResult ja = tokumei("link evaluate --persons 3000 --institutions 5 --seed 2");
  EXPECT_EQ(ja.exit_code, 0) << ja.output;
  EXPECT_THAT(ja.output, HasSubstr("適合率"));
  EXPECT_THAT(ja.output, HasSubstr("再現率"));
}

TEST_F(LinkCli, RunLinksThePersonsRegisteredAtTwoHospitalsAndUndoIsRespected) {
  const fs::path data = tmp_ / "hospitals";
  const fs::path dir = tmp_ / "core";
  ASSERT_EQ(
      tokumei("synth --out '" + data.string() + "' --patients 300 --institutions 3").exit_code, 0);
  ASSERT_EQ(tokumei("init --dir '" + dir.string() + "' --officer sato").exit_code, 0);
  operate_as("kato");
  for (const auto& entry : fs::directory_iterator(data)) {
    const std::string name = entry.path().filename().string();
    if (name == "truth") continue;
    const CommandResult r = tokumei("ingest '" + entry.path().string() + "' --dir '" +
                                    dir.string() + "' --institution " + name);
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  std::size_t twins = 0;
  std::ifstream anomalies(data / "truth/anomalies.ndjson");
  for (std::string line; std::getline(anomalies, line);) {
    twins += line.find("same_person_two_hospitals") != std::string::npos;
  }
  ASSERT_GT(twins, 0u);

  const std::string at = " --dir '" + dir.string() + "'";
  nlohmann::json run = json("link run" + at);
  EXPECT_EQ(run["merges"].get<std::size_t>(), twins);
  EXPECT_EQ(run["linked_persons"].get<std::size_t>(), twins);
  EXPECT_EQ(json("link run" + at)["merges"].get<int>(), 0);

  // Deciding is for processing staff: the security officer is refused.
  const CommandResult refused = tokumei("--lang en link review" + as("sato") + at);
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.output, HasSubstr("may not record linkage"));
  {
    SystemClock clock;
    SystemRandom random;
    auto d = zones::Deployment::open(dir, {}, clock, random);
    ASSERT_TRUE(d) << d.error().describe(Lang::en);
    auto created = (*d)->accounts().create(
        {"sato", "test"},
        {.user_id = "suzuki", .display_name = "鈴木", .role = security::Role::processing_staff});
    ASSERT_TRUE(created) << created.error().describe(Lang::en);
  }
  EXPECT_EQ(json("link review" + as("suzuki") + at)["waiting"].size(), 0u);

  // Undo one of the run's merges: the next run keeps that pair apart.
  const nlohmann::json events = json("link events" + at);
  ASSERT_EQ(events["events"].size(), twins);
  const int merge = events["events"][0]["event"].get<int>();
  const CommandResult no_reason = tokumei("link undo " + std::to_string(merge) + as("suzuki") + at);
  EXPECT_EQ(no_reason.exit_code, 2) << no_reason.output;  // --reason is required
  const nlohmann::json undone =
      json("link undo " + std::to_string(merge) + as("suzuki") + " --reason '別人と判明'" + at);
  EXPECT_GT(undone["event"].get<int>(), merge);
  run = json("link run" + at);
  EXPECT_EQ(run["merges"].get<int>(), 0);
  EXPECT_EQ(run["kept_apart"].get<int>(), 1);
  EXPECT_EQ(run["linked_persons"].get<std::size_t>(), twins - 1);
}

}  // namespace
}  // namespace tokumei::testing
