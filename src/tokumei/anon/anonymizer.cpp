#include "tokumei/anon/anonymizer.h"

#include <fmt/format.h>

#include <algorithm>
#include <future>
#include <numeric>
#include <type_traits>
#include <unordered_map>

#include "tokumei/anon/detail/evaluator.h"
#include "tokumei/anon/detail/search.h"

namespace tokumei::anon {

using detail::Evaluator;
using detail::Problem;

std::string_view role_name(AttributeRole role) {
  switch (role) {
    case AttributeRole::identifying:
      return "identifying";
    case AttributeRole::quasi_identifying:
      return "quasi_identifying";
    case AttributeRole::sensitive:
      return "sensitive";
    case AttributeRole::insensitive:
      return "insensitive";
  }
  return "";
}

std::optional<AttributeRole> parse_role(std::string_view name) {
  for (auto r : {AttributeRole::identifying, AttributeRole::quasi_identifying,
                 AttributeRole::sensitive, AttributeRole::insensitive}) {
    if (role_name(r) == name) return r;
  }
  return std::nullopt;
}

std::string_view metric_name(Metric m) {
  switch (m) {
    case Metric::loss:
      return "loss";
    case Metric::entropy:
      return "entropy";
    case Metric::discernibility:
      return "discernibility";
    case Metric::average_class_size:
      return "average_class_size";
    case Metric::precision:
      return "precision";
  }
  return "";
}

std::optional<Metric> parse_metric(std::string_view name) {
  for (auto m : {Metric::loss, Metric::entropy, Metric::discernibility, Metric::average_class_size,
                 Metric::precision}) {
    if (metric_name(m) == name) return m;
  }
  return std::nullopt;
}

namespace {

Transformation to_transformation(const std::vector<int>& levels, const detail::Assessment& a) {
  return {.levels = levels,
          .satisfies = a.satisfies,
          .suppressed_rows = a.outliers,
          .information_loss = a.information_loss};
}

}  // namespace

Result<Anonymization> anonymize(const Table& table, const AnonymizationSpec& spec) {
  const auto started = std::chrono::steady_clock::now();
  TKM_ASSIGN_OR_RETURN(Problem p, detail::prepare(table, spec));
  auto prepared = std::make_shared<const Problem>(std::move(p));
  // The report's count of the original data's classes is independent of the search: with a
  // second core it is made there meanwhile.
  std::future<detail::OriginalClasses> original;
  if (prepared->threads > 1) {
    original = std::async(std::launch::async, [&] { return detail::original_classes(*prepared); });
  }
  Anonymization result = detail::search(*prepared, spec.progress);
  if (original.valid()) {
    result.original = std::make_shared<const detail::OriginalClasses>(original.get());
  }
  for (const auto& q : prepared->qis) {
    result.quasi_identifiers.push_back(table.column(q.column).name);
  }
  result.prepared = std::move(prepared);
  if (spec.progress) spec.progress(1.0);
  result.statistics.elapsed = std::chrono::steady_clock::now() - started;
  return result;
}

Result<Transformation> evaluate(const Table& table, const AnonymizationSpec& spec,
                                const std::vector<int>& levels) {
  TKM_ASSIGN_OR_RETURN(Problem p, detail::prepare(table, spec));
  TKM_RETURN_IF_ERROR(detail::check_levels(p, levels));
  Evaluator evaluator(p, levels);
  return to_transformation(levels, evaluator.evaluate(levels));
}

namespace {

Table release(const Problem& p, const Table& table, const detail::JudgedClasses& classes) {
  const std::vector<int>& levels = classes.levels;
  // The failing classes' keys: a row is suppressed when its key is one of them. Usually a small
  // share of the classes, so the set stays in cache while every row is looked up.
  detail::Grouper failing;
  failing.reset(static_cast<std::size_t>(
      std::count(classes.failing.begin(), classes.failing.end(), std::uint8_t{1})));
  for (std::size_t c = 0; c < classes.keys.size(); ++c) {
    if (classes.failing[c]) failing.add(classes.keys[c], 0);
  }
  std::vector<std::uint8_t> suppressed(table.row_count(), 0);
  if (classes.assessment.outliers > 0) {
    const detail::RowKeys row_keys(p, levels, false);
    std::uint64_t keys[detail::RowKeys::kBlock];
    for (std::size_t b = 0; b < table.row_count(); b += detail::RowKeys::kBlock) {
      const std::size_t e = std::min(table.row_count(), b + detail::RowKeys::kBlock);
      row_keys.compute(b, e, keys);
      for (std::size_t i = 0; i < e - b; ++i) suppressed[b + i] = failing.contains(keys[i]);
    }
  }

  std::vector<int> qi_of(table.column_count(), -1);
  for (std::size_t q = 0; q < p.qis.size(); ++q) qi_of[p.qis[q].column] = static_cast<int>(q);

  // Columns are rebuilt from codes: a generalized column's dictionary is its level's labels
  // (plus "*" for suppressed rows); other columns are copied.
  std::vector<Column> columns;
  for (std::size_t c = 0; c < table.column_count(); ++c) {
    const Column& from = table.column(c);
    if (p.roles[c] == AttributeRole::identifying) continue;
    if (qi_of[c] < 0) {
      columns.push_back(from);
      continue;
    }
    const auto& h = p.qis[qi_of[c]].hierarchy;
    const int level = levels[qi_of[c]];
    Column to{.name = from.name};
    std::vector<std::uint32_t> code_of_group(h.groups(level));
    for (std::size_t id = 0; id < code_of_group.size(); ++id) {
      code_of_group[id] = to.dictionary.intern(h.label[level][id]);
    }
    const std::uint32_t star = to.dictionary.intern("*");
    to.codes.resize(table.row_count(), star);
    const std::uint32_t* group = h.group[level].data();
    from.codes.visit([&](const auto* in) {
      to.codes.visit([&](auto* out) {
        using Out = std::remove_pointer_t<decltype(out)>;
        for (std::size_t r = 0; r < table.row_count(); ++r) {
          out[r] = static_cast<Out>(suppressed[r] ? star : code_of_group[group[in[r]]]);
        }
      });
    });
    columns.push_back(std::move(to));
  }
  return Table::from_columns(std::move(columns));
}

}  // namespace

Result<Table> apply_transformation(const Table& table, const AnonymizationSpec& spec,
                                   const Transformation& t) {
  TKM_ASSIGN_OR_RETURN(Problem p, detail::prepare(table, spec));
  TKM_RETURN_IF_ERROR(detail::check_levels(p, t.levels));
  return release(p, table, Evaluator(p, t.levels).judge(t.levels));
}

Result<Table> apply_transformation(const Table& table, const AnonymizationSpec& spec,
                                   const Anonymization& result) {
  TKM_ASSIGN_OR_RETURN(auto p, detail::prepared_for(table, spec, result));
  TKM_RETURN_IF_ERROR(detail::check_levels(*p, result.best.levels));
  return release(*p, table, *detail::judged_classes(*p, result, result.best.levels));
}

}  // namespace tokumei::anon
