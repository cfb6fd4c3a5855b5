#pragma once
// Small readers of field text that every format reader needs: splitting records, walking lines,
// digits, numbers and compact dates.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tokumei::ingest {

// The pieces of `text` between `separator`s (empty pieces kept; one piece for empty text).
std::vector<std::string_view> split(std::string_view text, char separator);

// True when `text` is one or more ASCII digits.
bool all_digits(std::string_view text);

// `text` as a number when all of it is one (an optional leading '+' allowed), else nullopt.
std::optional<double> parse_number(std::string_view text);

// Calls each(line, number) for every line of `text` (ended by LF or CRLF, the CR removed; empty
// lines included; numbered from 1) until `each` returns false.
void for_each_line(std::string_view text,
                   const std::function<bool(std::string_view line, int number)>& each);

// A compact date/time (yyyy[MM[dd[HH[mm[ss[.s]]]]]][+zzzz], as HL7 and claims write them) as
// ISO 8601 text at the precision given ("2011-12-20", "2011-12-20T22:44:47"); "" when it is empty
// or not a date.
std::string iso_datetime(std::string_view compact);

}  // namespace tokumei::ingest
