#include "tokumei/anon/table.h"

#include <fmt/format.h>

#include <algorithm>
#include <type_traits>
#include <unordered_set>

#include "tokumei/base/files.h"

namespace tokumei::anon {

std::uint32_t Dictionary::intern(std::string_view value) {
  if (auto it = index_.find(value); it != index_.end()) return it->second;
  auto code = static_cast<std::uint32_t>(values_.size());
  values_.emplace_back(value);
  index_.emplace(values_.back(), code);
  return code;
}

std::int64_t Dictionary::find(std::string_view value) const {
  auto it = index_.find(value);
  return it == index_.end() ? -1 : static_cast<std::int64_t>(it->second);
}

namespace {

int width_for(std::uint32_t largest) { return largest <= 0xFF ? 1 : largest <= 0xFFFF ? 2 : 4; }

}  // namespace

void Codes::push_back(std::uint32_t code) {
  if (width_for(code) > width_) widen(width_for(code));
  switch (width_) {
    case 1:
      narrow_.push_back(static_cast<std::uint8_t>(code));
      break;
    case 2:
      middle_.push_back(static_cast<std::uint16_t>(code));
      break;
    default:
      wide_.push_back(code);
  }
  ++size_;
}

void Codes::reserve(std::size_t rows) {
  visit([&](auto* codes) {
    using T = std::remove_pointer_t<decltype(codes)>;
    if constexpr (std::is_same_v<T, std::uint8_t>) narrow_.reserve(rows);
    if constexpr (std::is_same_v<T, std::uint16_t>) middle_.reserve(rows);
    if constexpr (std::is_same_v<T, std::uint32_t>) wide_.reserve(rows);
  });
}

void Codes::resize(std::size_t rows, std::uint32_t largest) {
  *this = Codes();
  width_ = width_for(largest);
  size_ = rows;
  switch (width_) {
    case 1:
      narrow_.resize(rows);
      break;
    case 2:
      middle_.resize(rows);
      break;
    default:
      wide_.resize(rows);
  }
}

void Codes::widen(int width) {
  std::vector<std::uint32_t> all = unpacked();
  const std::size_t capacity = std::max(narrow_.capacity(), middle_.capacity());
  narrow_ = {};
  middle_ = {};
  width_ = width;
  if (width == 2) {
    middle_.reserve(capacity);
    middle_.assign(all.begin(), all.end());
  } else {
    all.reserve(capacity);
    wide_ = std::move(all);
  }
}

std::vector<std::uint32_t> Codes::unpacked() const {
  return visit([&](const auto* codes) { return std::vector<std::uint32_t>(codes, codes + size_); });
}

std::vector<std::uint32_t> Column::value_counts() const {
  // Four interleaved histograms: a column of few values would otherwise increment the same
  // counter back to back, each increment waiting for the last.
  const std::size_t domain = dictionary.size();
  std::vector<std::uint32_t> counts(domain * 4, 0);
  const std::size_t n = codes.size();
  codes.visit([&](const auto* c) {
    std::size_t r = 0;
    for (; r + 4 <= n; r += 4) {
      ++counts[c[r]];
      ++counts[domain + c[r + 1]];
      ++counts[2 * domain + c[r + 2]];
      ++counts[3 * domain + c[r + 3]];
    }
    for (; r < n; ++r) ++counts[c[r]];
  });
  for (std::size_t v = 0; v < domain; ++v) {
    counts[v] += counts[domain + v] + counts[2 * domain + v] + counts[3 * domain + v];
  }
  counts.resize(domain);
  return counts;
}

Table::Table(std::vector<std::string> column_names) {
  columns_.reserve(column_names.size());
  for (auto& name : column_names) columns_.push_back(Column{.name = std::move(name)});
}

Table Table::from_columns(std::vector<Column> columns) {
  Table t;
  t.rows_ = columns.empty() ? 0 : columns[0].codes.size();
  t.columns_ = std::move(columns);
  return t;
}

int Table::find_column(std::string_view name) const {
  for (std::size_t i = 0; i < columns_.size(); ++i) {
    if (columns_[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

void Table::add_row(const std::vector<std::string>& values) {
  for (std::size_t i = 0; i < columns_.size(); ++i) {
    columns_[i].codes.push_back(columns_[i].dictionary.intern(values[i]));
  }
  ++rows_;
}

void Table::reserve(std::size_t rows) {
  for (auto& c : columns_) c.codes.reserve(rows);
}

Result<Table> parse_table(std::string_view text, const std::string& source, CsvOptions options) {
  Table table;
  bool have_header = false;
  Status s =
      parse_csv(text, source, options, [&](int line, std::vector<std::string>& fields) -> Status {
        if (!have_header) {
          std::unordered_set<std::string> seen;
          for (std::size_t i = 0; i < fields.size(); ++i) {
            Location where{.file = source, .line = line, .column = static_cast<int>(i) + 1};
            if (fields[i].empty()) {
              return fail(Errc::invalid_input,
                          {fmt::format("見出し行の {} 列目の列名が空です", i + 1),
                           fmt::format("header column {} has no name", i + 1)},
                          where);
            }
            if (!seen.insert(fields[i]).second) {
              where.field = fields[i];
              return fail(
                  Errc::invalid_input,
                  {fmt::format("列名「{}」が見出し行に二度あります", fields[i]),
                   fmt::format("column name \"{}\" appears twice in the header", fields[i])},
                  where);
            }
          }
          table = Table(fields);
          have_header = true;
          return ok();
        }
        if (fields.size() != table.column_count()) {
          return fail(Errc::invalid_input,
                      {fmt::format("この行の項目数は {} ですが、見出し行は {} 列です",
                                   fields.size(), table.column_count()),
                       fmt::format("this row has {} fields but the header has {} columns",
                                   fields.size(), table.column_count())},
                      Location{.file = source, .line = line});
        }
        table.add_row(fields);
        return ok();
      });
  if (!s) return std::unexpected(s.error());
  if (!have_header) {
    return fail(Errc::invalid_input,
                {"CSV が空です (見出し行がありません)", "the CSV is empty (no header row)"},
                Location{.file = source, .line = 1});
  }
  return table;
}

Result<Table> read_table(const std::filesystem::path& path, CsvOptions options) {
  TKM_ASSIGN_OR_RETURN(std::string text, read_file(path));
  return parse_table(text, path.string(), options);
}

std::string format_table(const Table& table, char delimiter) {
  std::string text;
  std::vector<std::string_view> fields(table.column_count());
  for (std::size_t c = 0; c < table.column_count(); ++c) fields[c] = table.column(c).name;
  append_csv_record(text, fields, delimiter);
  for (std::size_t r = 0; r < table.row_count(); ++r) {
    for (std::size_t c = 0; c < table.column_count(); ++c) fields[c] = table.value(r, c);
    append_csv_record(text, fields, delimiter);
  }
  return text;
}

}  // namespace tokumei::anon
