#pragma once
// Text made safe for the documents people open: HTML pages (reports, the printable ledger) and CSV
// files (exports for spreadsheets and inspectors).

#include <string>
#include <string_view>

namespace tokumei {

// `s` with & < > " written as character references.
std::string html_escape(std::string_view s);

// `s` as one CSV field (RFC 4180): quoted, with quotes doubled, when it holds a comma, a quote or
// a line break; as it is otherwise.
std::string csv_field(std::string_view s);

}  // namespace tokumei
