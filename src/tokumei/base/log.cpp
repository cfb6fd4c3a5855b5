#include "tokumei/base/log.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

namespace tokumei::log {
namespace {

constexpr const char* kPattern = R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l",%v})";

spdlog::level::level_enum to_spd(Level level) {
  switch (level) {
    case Level::debug:
      return spdlog::level::debug;
    case Level::info:
      return spdlog::level::info;
    case Level::warn:
      return spdlog::level::warn;
    case Level::error:
      return spdlog::level::err;
  }
  return spdlog::level::info;
}

}  // namespace

Result<Level> parse_level(std::string_view name) {
  if (name == "debug") return Level::debug;
  if (name == "info") return Level::info;
  if (name == "warn") return Level::warn;
  if (name == "error") return Level::error;
  return fail(Errc::invalid_input,
              {"ログレベルは debug, info, warn, error のいずれかです: " + std::string(name),
               "log level must be one of debug, info, warn, error: " + std::string(name)});
}

Result<Logger> Logger::open(std::string name, Level level, const std::filesystem::path& file,
                            bool to_stderr) {
  std::vector<spdlog::sink_ptr> sinks;
  if (to_stderr) sinks.push_back(std::make_shared<spdlog::sinks::stderr_sink_mt>());
  if (!file.empty()) {
    try {
      sinks.push_back(std::make_shared<spdlog::sinks::basic_file_sink_mt>(file.string()));
    } catch (const spdlog::spdlog_ex& e) {
      return fail(Errc::io,
                  {std::string("ログファイルを開けません: ") + e.what(),
                   std::string("cannot open log file: ") + e.what()},
                  Location{.file = file.string()});
    }
  }
  auto impl = std::make_shared<spdlog::logger>(std::move(name), sinks.begin(), sinks.end());
  impl->set_pattern(kPattern, spdlog::pattern_time_type::utc);
  impl->set_level(to_spd(level));
  impl->flush_on(spdlog::level::warn);
  return Logger(std::move(impl));
}

Logger Logger::null() { return Logger(nullptr); }

std::string Logger::render(std::string_view event, const Fields& fields) {
  std::string out = "\"event\":" + nlohmann::json(event).dump();
  for (const auto& [key, value] : fields) {
    out += ',' + nlohmann::json(key).dump() + ':' +
           nlohmann::json(value).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  return out;
}

void Logger::write(Level level, std::string_view event, const Fields& fields) const {
  if (!impl_ || !impl_->should_log(to_spd(level))) return;
  impl_->log(to_spd(level), render(event, fields));
}

}  // namespace tokumei::log
