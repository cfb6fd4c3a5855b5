#include "support/test_support.h"

#include <gtest/gtest.h>
#include <iconv.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

namespace tokumei::testing {

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "tokumei-test-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

Bytes unhex(std::string_view hex) {
  auto bytes = hex_decode(hex);
  EXPECT_TRUE(bytes.has_value()) << "bad hex in test vector: " << hex;
  return bytes ? *bytes : Bytes{};
}

void write_file(const std::filesystem::path& path, const std::string& text) {
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

std::string tokumei_binary() {
  std::string v = env("TOKUMEI_BINARY");
  return v.empty() ? TOKUMEI_TEST_BINARY : v;
}

std::filesystem::path shared_data_dir() {
  std::string v = env("TOKUMEI_SHARED_DATA");
  return v.empty() ? TOKUMEI_TEST_SHARED_DATA : v;
}

std::string encode_with_iconv(const std::string& utf8, const char* charset) {
  iconv_t cd = iconv_open(charset, "UTF-8");
  std::string out(utf8.size() * 4 + 16, '\0');
  char* in = const_cast<char*>(utf8.data());
  char* to = out.data();
  std::size_t in_left = utf8.size(), out_left = out.size();
  const std::size_t converted = iconv(cd, &in, &in_left, &to, &out_left);
  iconv(cd, nullptr, nullptr, &to, &out_left);  // back to the initial state (ASCII) at the end
  iconv_close(cd);
  EXPECT_NE(converted, static_cast<std::size_t>(-1)) << charset << ": " << utf8;
  out.resize(out.size() - out_left);
  return out;
}

std::filesystem::path fixtures_dir() {
  std::string v = env("TOKUMEI_TEST_FIXTURES");
  return v.empty()
             ? (std::filesystem::path(__FILE__).parent_path() / "../fixtures").lexically_normal()
             : std::filesystem::path(v);
}

CommandResult run_command(const std::string& command) {
  CommandResult result;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buf;
  std::size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) result.output.append(buf.data(), n);
  int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

}  // namespace tokumei::testing
