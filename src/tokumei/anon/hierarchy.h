#pragma once
// 一般化階層 (generalization hierarchy): for every original value of an attribute, its
// generalization at each level, from the value itself (level 0) to the most general (usually "*").
// The file format is ARX's: one row per original value, levels left to right.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tokumei/anon/csv.h"
#include "tokumei/anon/table.h"
#include "tokumei/base/error.h"

namespace tokumei::anon {

class GeneralizationHierarchy {
 public:
  // Builds a hierarchy from rows (row[0] is the original value, row[l] its level-l
  // generalization). Refused, naming `source` and the line (lines[i], or i+1 when `lines` is
  // empty): no rows, a ragged row (not as many levels as the first), an empty cell, an original
  // value listed twice, and an inconsistent row — one that generalizes a value differently from an
  // earlier row at the same level, so that generalization would not be a function.
  static Result<GeneralizationHierarchy> from_rows(std::vector<std::vector<std::string>> rows,
                                                   std::string source, std::vector<int> lines = {});
  // ARX's CSV format (no header). Errors as for from_rows, plus those of parse_csv.
  static Result<GeneralizationHierarchy> parse(std::string_view text, std::string source,
                                               CsvOptions options = {});
  static Result<GeneralizationHierarchy> read(const std::filesystem::path& path,
                                              CsvOptions options = {});

  // Number of levels, the original values included (a two-column file has height 2).
  int height() const { return height_; }
  // Number of original values (rows).
  std::size_t size() const { return rows_.size(); }
  const std::string& label(std::size_t row, int level) const { return rows_[row][level]; }
  // The row of original value `value`, or -1.
  std::int64_t find(std::string_view value) const;
  // Where the hierarchy came from (a file path or a builder's description).
  const std::string& source() const { return source_; }
  int line(std::size_t row) const { return lines_[row]; }

 private:
  std::vector<std::vector<std::string>> rows_;
  std::vector<int> lines_;
  std::string source_;
  int height_ = 0;
  std::unordered_map<std::string, std::size_t> index_;  // original value -> row
};

// A hierarchy bound to the values of one column, in integer form for the search: level l maps
// each value code of the column to a dense group id at that level.
struct BoundHierarchy {
  int height = 0;
  // group[l][code]: id at level l of the column value with dictionary code `code`.
  // Level 0 is the identity.
  std::vector<std::vector<std::uint32_t>> group;
  // label[l][id]: the text of group id `id` at level l.
  std::vector<std::vector<std::string>> label;
  // leaves[l][id]: number of original values of the whole hierarchy (not only those in the data)
  // generalized to the group.
  std::vector<std::vector<std::uint32_t>> leaves;
  // Number of original values in the whole hierarchy.
  std::uint32_t domain_size = 0;

  std::size_t groups(int level) const { return label[level].size(); }
};

// Binds `hierarchy` to `column`. Refused when a value of the column is missing from the hierarchy:
// the error names the value, the column and the first data row (1-based, header excluded) that
// holds it, and is located at the hierarchy's source.
Result<BoundHierarchy> bind(const GeneralizationHierarchy& hierarchy, const Column& column);

}  // namespace tokumei::anon
