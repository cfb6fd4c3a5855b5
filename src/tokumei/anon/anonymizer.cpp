#include "tokumei/anon/anonymizer.h"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>
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
  Anonymization result = detail::search(p, spec.progress);
  for (const auto& q : p.qis) result.quasi_identifiers.push_back(table.column(q.column).name);
  if (spec.progress) spec.progress(1.0);
  result.statistics.elapsed = std::chrono::steady_clock::now() - started;
  return result;
}

Result<Transformation> evaluate(const Table& table, const AnonymizationSpec& spec,
                                const std::vector<int>& levels) {
  TKM_ASSIGN_OR_RETURN(Problem p, detail::prepare(table, spec));
  if (levels.size() != p.qis.size()) {
    return fail(
        Errc::invalid_argument,
        {fmt::format("段の数 {} が準識別子の数 {} と合いません", levels.size(), p.qis.size()),
         fmt::format("{} levels given for {} quasi-identifiers", levels.size(), p.qis.size())});
  }
  for (std::size_t q = 0; q < levels.size(); ++q) {
    if (levels[q] < 0 || levels[q] >= p.heights[q]) {
      const std::string& name = table.column(p.qis[q].column).name;
      return fail(
          Errc::invalid_argument,
          {fmt::format("「{}」の段 {} は 0〜{} の範囲外です", name, levels[q], p.heights[q] - 1),
           fmt::format("level {} of \"{}\" is outside 0-{}", levels[q], name, p.heights[q] - 1)},
          Location{.field = name});
    }
  }
  Evaluator evaluator(p, levels);
  return to_transformation(levels, evaluator.evaluate(levels));
}

Result<Table> apply_transformation(const Table& table, const AnonymizationSpec& spec,
                                   const Transformation& t) {
  TKM_ASSIGN_OR_RETURN(Problem p, detail::prepare(table, spec));
  Evaluator evaluator(p, t.levels);
  evaluator.evaluate(t.levels);
  // Which classes fail, by their quasi-identifier key.
  std::unordered_map<std::uint64_t, bool> failing;
  for (std::size_t c = 0; c < evaluator.scratch().class_keys.size(); ++c) {
    failing.emplace(evaluator.scratch().class_keys[c], evaluator.scratch().failing[c] != 0);
  }
  std::vector<std::size_t> kept;
  std::vector<std::string> names;
  std::vector<int> qi_of(table.column_count(), -1);
  for (std::size_t q = 0; q < p.qis.size(); ++q) qi_of[p.qis[q].column] = static_cast<int>(q);
  for (std::size_t c = 0; c < table.column_count(); ++c) {
    const auto* a = &spec.attributes[0];
    for (const auto& s : spec.attributes) {
      if (s.column == table.column(c).name) a = &s;
    }
    if (a->role == AttributeRole::identifying) continue;
    kept.push_back(c);
    names.push_back(table.column(c).name);
  }
  Table out(names);
  out.reserve(table.row_count());
  std::vector<std::string> row(kept.size());
  for (std::size_t r = 0; r < table.row_count(); ++r) {
    std::uint64_t key = 0;
    for (std::size_t q = 0; q < p.qis.size(); ++q) {
      std::uint32_t code = table.column(p.qis[q].column).codes[r];
      key |= std::uint64_t{p.qis[q].hierarchy.group[t.levels[q]][code]} << p.layout.shift[q];
    }
    bool suppressed = failing.at(key);
    for (std::size_t i = 0; i < kept.size(); ++i) {
      std::size_t c = kept[i];
      int q = qi_of[c];
      if (q < 0) {
        row[i] = table.value(r, c);
      } else if (suppressed) {
        row[i].assign(1, '*');  // (= "*" trips a GCC 12 -Wrestrict false positive)
      } else {
        const auto& h = p.qis[q].hierarchy;
        row[i] = h.label[t.levels[q]][h.group[t.levels[q]][table.column(c).codes[r]]];
      }
    }
    out.add_row(row);
  }
  return out;
}

}  // namespace tokumei::anon
