#pragma once
// Structured logging: one JSON object per line ({"time":…,"level":…,"event":…, key: value…}) so
// operations tooling can read it. Operational logs only; security-relevant actions go to the
// audit log (audit/), which is tamper-evident. Never log personal data or secrets.

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tokumei/base/error.h"

namespace spdlog {
class logger;
}

namespace tokumei::log {

enum class Level { debug, info, warn, error };

Result<Level> parse_level(std::string_view name);

using Fields = std::vector<std::pair<std::string, std::string>>;

// A named logger writing JSON lines to stderr and, optionally, to a file. Thread-safe.
class Logger {
 public:
  // Writes to `file` (unless empty) and, when `to_stderr`, to stderr. Errc::io if the file cannot
  // be opened.
  static Result<Logger> open(std::string name, Level level, const std::filesystem::path& file = {},
                             bool to_stderr = true);
  // A logger that drops everything (tests, and tools whose output is for people).
  static Logger null();

  void write(Level level, std::string_view event, const Fields& fields = {}) const;
  void debug(std::string_view event, const Fields& fields = {}) const {
    write(Level::debug, event, fields);
  }
  void info(std::string_view event, const Fields& fields = {}) const {
    write(Level::info, event, fields);
  }
  void warn(std::string_view event, const Fields& fields = {}) const {
    write(Level::warn, event, fields);
  }
  void error(std::string_view event, const Fields& fields = {}) const {
    write(Level::error, event, fields);
  }

  // The JSON body (without time and level) written for an event; exposed for tests.
  static std::string render(std::string_view event, const Fields& fields);

 private:
  explicit Logger(std::shared_ptr<spdlog::logger> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<spdlog::logger> impl_;
};

}  // namespace tokumei::log
