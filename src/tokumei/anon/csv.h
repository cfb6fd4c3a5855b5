#pragma once
// The anonymizer's CSV adapter: the one place `anon/` touches text files. Reads the data tables and
// ARX-format hierarchy files (`;` or `,` separated, RFC 4180 quotes, UTF-8 with or without a BOM,
// LF or CRLF line ends) and writes the anonymized table back out.

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "tokumei/base/error.h"

namespace tokumei::anon {

struct CsvOptions {
  // ';' or ','. 0 picks whichever of the two occurs more often (outside quotes) in the first line.
  char delimiter = 0;
};

// Calls `row(line, fields)` for every record of `text`, where `line` is the 1-based line on which
// the record starts. Blank lines are skipped. Stops at the first error: an unterminated quote, a
// character after a closing quote, invalid UTF-8, or an error returned by `row` (which is passed
// through unchanged). Errors are located at {source, line, column}.
Status parse_csv(std::string_view text, const std::string& source, CsvOptions options,
                 const std::function<Status(int line, std::vector<std::string>& fields)>& row);

// The delimiter parse_csv would use for `text` with options.delimiter == 0.
char detect_delimiter(std::string_view text);

// Appends one record to `out`, quoting fields that contain the delimiter, a quote or a line break.
void append_csv_record(std::string& out, const std::vector<std::string_view>& fields,
                       char delimiter);

}  // namespace tokumei::anon
