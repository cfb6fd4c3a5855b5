#include "tokumei/ingest/screening.h"

#include <fmt/format.h>

#include "tokumei/identity/individual_number.h"

namespace tokumei::ingest {

std::optional<Error> screen_for_individual_numbers(std::string_view text, const std::string& path,
                                                   int lines_before, std::int64_t bytes_before) {
  auto found = identity::find_individual_number(text);
  if (!found) return std::nullopt;
  found->line += lines_before;
  return Error(
      Errc::policy_violation,
      {fmt::format("{} 行目に個人番号 (マイナンバー) とみられる 12 桁の番号があります。個人番号は"
                   "受け取れないため、このファイルは保留しました (番号そのものは記録しません)",
                   found->line),
       fmt::format("line {} holds what looks like an Individual Number (マイナンバー, 12 digits "
                   "with a valid check digit); they may not be received, so the file is "
                   "quarantined (the number itself is not recorded)",
                   found->line)},
      Location{.file = path,
               .line = found->line,
               .field = "individual number",
               .offset = bytes_before + static_cast<std::int64_t>(found->offset)});
}

}  // namespace tokumei::ingest
