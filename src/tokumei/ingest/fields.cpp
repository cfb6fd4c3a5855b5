#include "tokumei/ingest/fields.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

namespace tokumei::ingest {

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    const std::size_t next = text.find(separator, start);
    out.push_back(
        text.substr(start, next == std::string_view::npos ? std::string_view::npos : next - start));
    if (next == std::string_view::npos) return out;
    start = next + 1;
  }
}

bool all_digits(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::optional<double> parse_number(std::string_view text) {
  if (text.starts_with('+')) text.remove_prefix(1);
  double v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

void for_each_line(std::string_view text,
                   const std::function<bool(std::string_view line, int number)>& each) {
  int number = 0;
  for (std::size_t start = 0; start < text.size();) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!each(line, ++number)) return;
    start = end + 1;
  }
}

std::string iso_datetime(std::string_view compact) {
  std::size_t digits = 0;
  while (digits < compact.size() && compact[digits] >= '0' && compact[digits] <= '9') ++digits;
  const std::string_view d = compact.substr(0, digits);
  if (digits < 4 || digits % 2 != 0 || digits > 14) return {};
  auto two = [&](std::size_t at) { return (d[at] - '0') * 10 + (d[at + 1] - '0'); };
  if (digits >= 6 && (two(4) < 1 || two(4) > 12)) return {};
  if (digits >= 8 && (two(6) < 1 || two(6) > 31)) return {};
  if (digits >= 10 && two(8) > 23) return {};
  if (digits >= 12 && two(10) > 59) return {};
  if (digits >= 14 && two(12) > 60) return {};
  std::string out(d.substr(0, 4));
  if (digits >= 6) out += fmt::format("-{}", d.substr(4, 2));
  if (digits >= 8) out += fmt::format("-{}", d.substr(6, 2));
  if (digits >= 10) out += fmt::format("T{}", d.substr(8, 2));
  if (digits >= 12) out += fmt::format(":{}", d.substr(10, 2));
  if (digits >= 14) out += fmt::format(":{}", d.substr(12, 2));
  return out;
}

}  // namespace tokumei::ingest
