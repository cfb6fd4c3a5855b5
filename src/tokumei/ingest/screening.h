#pragma once
// Checks every reader applies to a whole file's text before reading anything out of it.

#include <optional>
#include <string>
#include <string_view>

#include "tokumei/base/error.h"

namespace tokumei::ingest {

// INTAKE-07: a file holding an Individual Number (マイナンバー) is quarantined as a whole. The
// error locates it (line and byte offset in `text`, which is the decoded UTF-8 text) but never
// repeats the number.
std::optional<Error> screen_for_individual_numbers(std::string_view text, const std::string& path);

}  // namespace tokumei::ingest
