#pragma once
// The anonymizer's data: an in-memory columnar table whose values are dictionary-encoded, so the
// search works on flat arrays of small integers and never on strings.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tokumei/anon/csv.h"
#include "tokumei/base/error.h"

namespace tokumei::anon {

// The distinct values of one column, each given a dense code 0, 1, 2, ... in order of first
// appearance.
class Dictionary {
 public:
  // The code of `value`, adding it if new.
  std::uint32_t intern(std::string_view value);
  // The code of `value`, or -1 when it does not occur.
  std::int64_t find(std::string_view value) const;
  const std::string& value(std::uint32_t code) const { return values_[code]; }
  std::size_t size() const { return values_.size(); }
  const std::vector<std::string>& values() const { return values_; }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::vector<std::string> values_;
  std::unordered_map<std::string, std::uint32_t, Hash, std::equal_to<>> index_;
};

// A column's codes, one per row, each stored in as few bytes (1, 2 or 4) as the largest code
// needs: most columns of medical and census data take one byte a row instead of four.
class Codes {
 public:
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  int width() const { return width_; }  // bytes per code
  std::uint32_t operator[](std::size_t row) const {
    switch (width_) {
      case 1:
        return narrow_[row];
      case 2:
        return middle_[row];
      default:
        return wide_[row];
    }
  }
  // Appends a code, widening the storage when it needs more bytes.
  void push_back(std::uint32_t code);
  void reserve(std::size_t rows);
  // `rows` codes 0, stored wide enough for codes up to `largest`.
  void resize(std::size_t rows, std::uint32_t largest);
  // Calls f with a pointer to the codes as std::uint8_t, std::uint16_t or std::uint32_t, for
  // loops over many rows.
  template <class F>
  decltype(auto) visit(F&& f) const {
    switch (width_) {
      case 1:
        return f(static_cast<const std::uint8_t*>(narrow_.data()));
      case 2:
        return f(static_cast<const std::uint16_t*>(middle_.data()));
      default:
        return f(static_cast<const std::uint32_t*>(wide_.data()));
    }
  }
  template <class F>
  decltype(auto) visit(F&& f) {
    switch (width_) {
      case 1:
        return f(narrow_.data());
      case 2:
        return f(middle_.data());
      default:
        return f(wide_.data());
    }
  }
  std::vector<std::uint32_t> unpacked() const;

 private:
  void widen(int width);

  std::vector<std::uint8_t> narrow_;
  std::vector<std::uint16_t> middle_;
  std::vector<std::uint32_t> wide_;
  int width_ = 1;
  std::size_t size_ = 0;
};

struct Column {
  std::string name;
  Dictionary dictionary{};
  Codes codes{};  // one per row

  // Rows per code (dictionary.size() entries).
  std::vector<std::uint32_t> value_counts() const;
};

// Rows × columns. Movable, not copyable (tables can be large).
class Table {
 public:
  Table() = default;
  explicit Table(std::vector<std::string> column_names);
  Table(Table&&) = default;
  Table& operator=(Table&&) = default;
  Table(const Table&) = delete;
  Table& operator=(const Table&) = delete;

  std::size_t row_count() const { return rows_; }
  std::size_t column_count() const { return columns_.size(); }
  const Column& column(std::size_t i) const { return columns_[i]; }
  Column& column(std::size_t i) { return columns_[i]; }
  // Index of the column called `name`, or -1.
  int find_column(std::string_view name) const;
  const std::string& value(std::size_t row, std::size_t column) const {
    return columns_[column].dictionary.value(columns_[column].codes[row]);
  }

  // A table made of whole columns, which must all have the same number of codes.
  static Table from_columns(std::vector<Column> columns);

  // Appends a row; `values` must have column_count() entries.
  void add_row(const std::vector<std::string>& values);
  void reserve(std::size_t rows);

 private:
  std::vector<Column> columns_;
  std::size_t rows_ = 0;
};

// Parses CSV `text` whose first record is the header. Every record must have as many fields as the
// header (else an error naming the line and both counts); header names must be unique and
// non-empty.
Result<Table> parse_table(std::string_view text, const std::string& source,
                          CsvOptions options = {});
Result<Table> read_table(const std::filesystem::path& path, CsvOptions options = {});

// The table as CSV text: a header, then one record per row, fields quoted where needed.
std::string format_table(const Table& table, char delimiter);

}  // namespace tokumei::anon
