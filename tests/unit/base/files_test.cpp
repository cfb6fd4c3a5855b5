// read_file: the whole file, whatever its size, and files that report no size (procfs).

#include "tokumei/base/files.h"

#include <gtest/gtest.h>

#include <string>

#include "support/test_support.h"

namespace tokumei {
namespace {

TEST(ReadFile, ReadsEveryByte) {
  testing::TempDir dir;
  std::string big(3 * 65536 + 17, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 131 % 251);
  testing::write_file(dir.path() / "big", big);
  testing::write_file(dir.path() / "empty", "");
  EXPECT_EQ(read_file(dir.path() / "big").value_or(""), big);
  auto empty = read_file(dir.path() / "empty");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());
}

TEST(ReadFile, ReadsFilesThatReportNoSize) {
  // procfs files say they are empty; their content is there all the same.
  auto status = read_file("/proc/self/status");
  ASSERT_TRUE(status) << status.error().describe(Lang::en);
  EXPECT_NE(status->find("Name:"), std::string::npos);
}

TEST(ReadFile, AMissingFileIsNotFoundNamingIt) {
  auto missing = read_file("/no/such/file");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), Errc::not_found);
  EXPECT_NE(missing.error().describe(Lang::en).find("/no/such/file"), std::string::npos);
}

}  // namespace
}  // namespace tokumei
