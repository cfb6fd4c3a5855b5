#pragma once
// Checks every reader applies to a whole file's text before reading anything out of it.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "tokumei/base/error.h"

namespace tokumei::ingest {

// INTAKE-07: a file holding an Individual Number (マイナンバー) is quarantined as a whole. The
// error locates it (line and byte offset in `text`, which is the decoded UTF-8 text) but never
// repeats the number. For part of a file, `lines_before` and `bytes_before` are what precedes it.
std::optional<Error> screen_for_individual_numbers(std::string_view text, const std::string& path,
                                                   int lines_before = 0,
                                                   std::int64_t bytes_before = 0);

}  // namespace tokumei::ingest
