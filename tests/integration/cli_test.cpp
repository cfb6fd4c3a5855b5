// Runs the built `tokumei` binary the way an operator would.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "support/test_support.h"

namespace tokumei::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    binary_ = tokumei_binary();
    ASSERT_TRUE(std::filesystem::exists(binary_)) << binary_;
  }
  CommandResult tokumei(const std::string& args) {
    return run_command("TOKUMEI_LANG= " + binary_ + " " + args);
  }
  std::string init_args(const std::filesystem::path& dir) {
    return "init --dir '" + dir.string() + "' --officer sato --officer-name '佐藤 花子'";
  }
  std::string binary_;
  TempDir tmp;
};

TEST_F(CliTest, HelpIsJapaneseByDefaultAndEnglishOnRequest) {
  auto ja = tokumei("--help");
  EXPECT_EQ(ja.exit_code, 0);
  EXPECT_THAT(ja.output, HasSubstr("デプロイメントを点検"));
  EXPECT_THAT(ja.output, HasSubstr("終了コード"));
  auto en = tokumei("--lang en --help");
  EXPECT_EQ(en.exit_code, 0);
  EXPECT_THAT(en.output, HasSubstr("examine a deployment"));
  EXPECT_THAT(en.output, Not(HasSubstr("点検")));
}

TEST_F(CliTest, VersionPrintsTheProgramAndLibraries) {
  auto r = tokumei("version");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.output, HasSubstr("tokumei 0."));
  EXPECT_THAT(r.output, HasSubstr("OpenSSL 3"));
  auto j = nlohmann::json::parse(tokumei("--json version").output);
  EXPECT_TRUE(j["tokumei"].is_string());
}

TEST_F(CliTest, UsageErrorsExitWithTwo) {
  EXPECT_EQ(tokumei("").exit_code, 2);
  EXPECT_EQ(tokumei("init").exit_code, 2);  // --dir is required
  EXPECT_EQ(tokumei("frobnicate").exit_code, 2);
  EXPECT_EQ(tokumei("init --dir x --role moon --officer sato").exit_code, 2);
  // AUTHN-01: no default account name; the first officer must be named.
  auto no_officer = tokumei("init --dir '" + (tmp / "core").string() + "'");
  EXPECT_EQ(no_officer.exit_code, 2);
  EXPECT_THAT(no_officer.output, HasSubstr("--officer"));
  EXPECT_FALSE(std::filesystem::exists(tmp / "core"));
}

TEST_F(CliTest, InitPrintsTheOneTimeSecretsOnceAndRefusesTheSecondTime) {
  auto dir = tmp / "core";
  auto first = tokumei(init_args(dir));
  ASSERT_EQ(first.exit_code, 0) << first.output;
  EXPECT_THAT(first.output, HasSubstr("初期パスワード"));
  EXPECT_THAT(first.output, HasSubstr("otpauth://totp/Tokumei:sato?secret="));
  EXPECT_THAT(first.output, HasSubstr("keys/master.key     0600"));
  std::string config_before = read_file(dir / "tokumei.toml");
  std::string key_before = read_file(dir / "keys/master.key");

  auto second = tokumei("--lang en " + init_args(dir));
  EXPECT_EQ(second.exit_code, 3);
  EXPECT_THAT(second.output, HasSubstr("nothing was changed"));
  EXPECT_THAT(second.output, Not(HasSubstr("otpauth://")));
  EXPECT_EQ(read_file(dir / "tokumei.toml"), config_before);
  EXPECT_EQ(read_file(dir / "keys/master.key"), key_before);

  auto doctor = tokumei("doctor --dir '" + dir.string() + "'");
  EXPECT_EQ(doctor.exit_code, 0) << doctor.output;
  EXPECT_THAT(doctor.output, HasSubstr("問題は見つかりませんでした"));
}

TEST_F(CliTest, InitJsonGivesEverythingAMachineNeeds) {
  auto r = tokumei("--json " + init_args(tmp / "core"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto j = nlohmann::json::parse(r.output);
  EXPECT_EQ(j["ok"], true);
  EXPECT_EQ(j["officer"]["user_id"], "sato");
  EXPECT_EQ(j["officer"]["one_time_password"].get<std::string>().size(), 16u);
  EXPECT_THAT(j["officer"]["totp_uri"].get<std::string>(), HasSubstr("otpauth://"));
}

// Acceptance: a configuration with an unknown key or a wrong type is rejected with file, line and
// key.
TEST_F(CliTest, DoctorRejectsABadConfigurationNamingFileLineAndKey) {
  auto dir = tmp / "core";
  ASSERT_EQ(tokumei(init_args(dir)).exit_code, 0);
  std::string text = read_file(dir / "tokumei.toml");
  std::size_t at = text.find("password_history = 5");
  ASSERT_NE(at, std::string::npos);
  int line =
      1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<long>(at), '\n'));
  text.replace(at, 20, "password_history = \"five\"");
  write_file(dir / "tokumei.toml", text + "\n[security2]\nfoo = 1\n");
  auto r = tokumei("--lang en doctor --dir '" + dir.string() + "'");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("tokumei.toml:" + std::to_string(line) +
                                  ":1: security.password_history: "));
  EXPECT_THAT(r.output, HasSubstr("security2"));
  EXPECT_THAT(r.output, HasSubstr("correct the configuration file"));

  write_file(dir / "tokumei.toml", "[deployment\nrole = \"core\"\n");
  auto syntax = tokumei("doctor --dir '" + dir.string() + "'");
  EXPECT_EQ(syntax.exit_code, 1);
  EXPECT_THAT(syntax.output, HasSubstr("tokumei.toml:1:"));
}

TEST_F(CliTest, DoctorJsonListsFindings) {
  auto dir = tmp / "core";
  ASSERT_EQ(tokumei(init_args(dir)).exit_code, 0);
  auto j = nlohmann::json::parse(tokumei("--json doctor --dir '" + dir.string() + "'").output);
  EXPECT_EQ(j["ok"], true);
  EXPECT_EQ(j["problems"], 0);
  EXPECT_EQ(j["findings"].size(), 8u);
}

TEST_F(CliTest, PassphraseFileDeployment) {
  write_file(tmp / "pass.txt", "a long passphrase, not a key file\n");
  auto loose = tokumei(init_args(tmp / "loose") + " --passphrase-file '" +
                       (tmp / "pass.txt").string() + "'");
  EXPECT_EQ(loose.exit_code, 1);  // readable by others: refused like a loose key file
  EXPECT_THAT(loose.output, HasSubstr("chmod 600"));
  std::filesystem::permissions(
      tmp / "pass.txt", std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  auto dir = tmp / "core";
  auto r = tokumei(init_args(dir) + " --passphrase-file '" + (tmp / "pass.txt").string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("パスフレーズ"));
  auto doctor = tokumei("--lang en doctor --dir '" + dir.string() + "' --passphrase-file '" +
                        (tmp / "pass.txt").string() + "'");
  EXPECT_EQ(doctor.exit_code, 0) << doctor.output;
  EXPECT_THAT(doctor.output, HasSubstr("the key ring unlocks"));
  auto missing = tokumei("init --dir '" + (tmp / "other").string() +
                         "' --officer sato --passphrase-file /nonexistent");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.output, HasSubstr("/nonexistent"));
}

}  // namespace
}  // namespace tokumei::testing
