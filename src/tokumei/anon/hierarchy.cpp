#include "tokumei/anon/hierarchy.h"

#include <fmt/format.h>

#include "tokumei/base/files.h"

namespace tokumei::anon {

Result<GeneralizationHierarchy> GeneralizationHierarchy::from_rows(
    std::vector<std::vector<std::string>> rows, std::string source, std::vector<int> lines) {
  if (lines.empty()) {
    for (std::size_t i = 0; i < rows.size(); ++i) lines.push_back(static_cast<int>(i) + 1);
  }
  if (rows.empty()) {
    return fail(Errc::invalid_input, {"一般化階層に行がありません", "the hierarchy has no rows"},
                Location{.file = source});
  }
  if (rows[0].empty()) {
    return fail(Errc::invalid_input,
                {"一般化階層の1行目に値がありません", "the hierarchy's first row is empty"},
                Location{.file = source, .line = lines[0]});
  }
  GeneralizationHierarchy h;
  h.height_ = static_cast<int>(rows[0].size());
  // parent[l]: for each label at level l, its label at level l+1 and the line that said so.
  std::vector<std::unordered_map<std::string, std::pair<std::string, int>>> parent(h.height_);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& row = rows[i];
    Location where{.file = source, .line = lines[i]};
    if (static_cast<int>(row.size()) != h.height_) {
      return fail(Errc::invalid_input,
                  {fmt::format("行ごとの段数が揃っていません: この行は {} 段、1行目は {} 段です",
                               row.size(), h.height_),
                   fmt::format("ragged hierarchy: this row has {} levels, the first row has {}",
                               row.size(), h.height_)},
                  where);
    }
    for (int l = 0; l < h.height_; ++l) {
      if (row[l].empty()) {
        where.column = l + 1;
        return fail(Errc::invalid_input,
                    {fmt::format("「{}」の段 {} が空です", row[0], l),
                     fmt::format("level {} of \"{}\" is empty", l, row[0])},
                    where);
      }
    }
    if (auto [it, inserted] = h.index_.emplace(row[0], i); !inserted) {
      where.field = row[0];
      return fail(
          Errc::invalid_input,
          {fmt::format("値「{}」が二度あります (最初は {} 行目)", row[0], lines[it->second]),
           fmt::format("value \"{}\" is listed twice (first on line {})", row[0],
                       lines[it->second])},
          where);
    }
    for (int l = 0; l + 1 < h.height_; ++l) {
      auto [it, inserted] = parent[l].try_emplace(row[l], row[l + 1], lines[i]);
      if (!inserted && it->second.first != row[l + 1]) {
        where.field = row[0];
        where.column = l + 2;
        return fail(
            Errc::invalid_input,
            {fmt::format("階層が一貫していません: 段 {} の「{}」を、この行は「{}」に、{} "
                         "行目は「{}」に一般化しています",
                         l, row[l], row[l + 1], it->second.second, it->second.first),
             fmt::format("inconsistent hierarchy: \"{}\" at level {} generalizes to \"{}\" here "
                         "but to \"{}\" on line {}",
                         row[l], l, row[l + 1], it->second.first, it->second.second)},
            where);
      }
    }
  }
  h.rows_ = std::move(rows);
  h.lines_ = std::move(lines);
  h.source_ = std::move(source);
  return h;
}

Result<GeneralizationHierarchy> GeneralizationHierarchy::parse(std::string_view text,
                                                               std::string source,
                                                               CsvOptions options) {
  std::vector<std::vector<std::string>> rows;
  std::vector<int> lines;
  TKM_RETURN_IF_ERROR(parse_csv(text, source, options, [&](int line, auto& fields) -> Status {
    rows.push_back(std::move(fields));
    lines.push_back(line);
    return ok();
  }));
  return from_rows(std::move(rows), std::move(source), std::move(lines));
}

Result<GeneralizationHierarchy> GeneralizationHierarchy::read(const std::filesystem::path& path,
                                                              CsvOptions options) {
  TKM_ASSIGN_OR_RETURN(std::string text, read_file(path));
  return parse(text, path.string(), options);
}

std::int64_t GeneralizationHierarchy::find(std::string_view value) const {
  auto it = index_.find(std::string(value));
  return it == index_.end() ? -1 : static_cast<std::int64_t>(it->second);
}

Result<BoundHierarchy> bind(const GeneralizationHierarchy& hierarchy, const Column& column) {
  const Dictionary& dict = column.dictionary;
  const int height = hierarchy.height();
  BoundHierarchy b;
  b.height = height;
  b.group.assign(height, std::vector<std::uint32_t>(dict.size()));
  b.label.resize(height);
  b.leaves.resize(height);
  b.domain_size = static_cast<std::uint32_t>(hierarchy.size());

  std::vector<std::int64_t> row_of(dict.size());
  for (std::uint32_t code = 0; code < dict.size(); ++code) {
    row_of[code] = hierarchy.find(dict.value(code));
    if (row_of[code] >= 0) continue;
    std::size_t first_row = 0;
    while (column.codes[first_row] != code) ++first_row;
    return fail(Errc::invalid_input,
                {fmt::format("列「{}」の値「{}」({} 行目) が一般化階層にありません", column.name,
                             dict.value(code), first_row + 1),
                 fmt::format("value \"{}\" of column \"{}\" (data row {}) is not in the hierarchy",
                             dict.value(code), column.name, first_row + 1)},
                Location{.file = hierarchy.source(), .field = column.name});
  }
  for (int l = 0; l < height; ++l) {
    std::unordered_map<std::string_view, std::uint32_t> ids;
    for (std::uint32_t code = 0; code < dict.size(); ++code) {
      const std::string& text = hierarchy.label(static_cast<std::size_t>(row_of[code]), l);
      auto [it, inserted] = ids.try_emplace(text, static_cast<std::uint32_t>(b.label[l].size()));
      if (inserted) b.label[l].push_back(text);
      b.group[l][code] = it->second;
    }
    b.leaves[l].assign(b.label[l].size(), 0);
    for (std::size_t r = 0; r < hierarchy.size(); ++r) {
      if (auto it = ids.find(hierarchy.label(r, l)); it != ids.end()) ++b.leaves[l][it->second];
    }
  }
  return b;
}

}  // namespace tokumei::anon
