#pragma once
// Small helpers shared by the test suites: temporary folders and reading the environment the
// CTest run sets (the built `tokumei` binary, ../shared/data).

#include <filesystem>
#include <string>
#include <string_view>

#include "tokumei/base/bytes.h"

namespace tokumei::testing {

// A fresh folder under the system temp dir, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// Decodes a hex test vector; a malformed one fails the current test.
Bytes unhex(std::string_view hex);

// Writes `text` to `path`, creating parent folders.
void write_file(const std::filesystem::path& path, const std::string& text);
std::string read_file(const std::filesystem::path& path);

// UTF-8 test text in `charset` ("ISO-2022-JP", "CP932") by the C library's iconv — an encoder
// independent of the ICU one the readers decode with. A character that cannot be encoded fails
// the current test.
std::string encode_with_iconv(const std::string& utf8, const char* charset);

// Value of an environment variable, or "" when unset.
std::string env(const char* name);

// The built `tokumei` binary (TOKUMEI_BINARY overrides).
std::string tokumei_binary();
// ../shared/data beside the project (TOKUMEI_SHARED_DATA overrides); tests skip when it is absent.
std::filesystem::path shared_data_dir();
// The project's own fixtures, tests/fixtures (TOKUMEI_TEST_FIXTURES overrides).
std::filesystem::path fixtures_dir();

// Result of running a command through /bin/sh.
struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};
CommandResult run_command(const std::string& command);

}  // namespace tokumei::testing
