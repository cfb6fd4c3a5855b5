#include "tokumei/anon/report.h"

#include <fmt/format.h>

#include <algorithm>

#include "tokumei/anon/detail/evaluator.h"

namespace tokumei::anon {
namespace {

MetricValues all_metrics(const detail::Problem& p, const std::vector<int>& levels,
                         const detail::ClassView& s, std::size_t outliers) {
  return {.loss = detail::metric_value(p, Metric::loss, levels, s, outliers),
          .entropy = detail::metric_value(p, Metric::entropy, levels, s, outliers),
          .discernibility = detail::metric_value(p, Metric::discernibility, levels, s, outliers),
          .average_class_size =
              detail::metric_value(p, Metric::average_class_size, levels, s, outliers),
          .precision = detail::metric_value(p, Metric::precision, levels, s, outliers)};
}

const char* bucket_of(std::size_t size) {
  if (size == 1) return "1";
  if (size <= 4) return "2-4";
  if (size <= 9) return "5-9";
  if (size <= 19) return "10-19";
  if (size <= 49) return "20-49";
  if (size <= 99) return "50-99";
  if (size <= 999) return "100-999";
  return "1000+";
}

nlohmann::json metrics_json(const MetricValues& m) {
  return {{"loss", m.loss},
          {"entropy", m.entropy},
          {"discernibility", m.discernibility},
          {"average_class_size", m.average_class_size},
          {"precision", m.precision}};
}

nlohmann::json risk_json(const RiskSummary& r) {
  return {
      {"average", r.average}, {"highest", r.highest}, {"records_above_threshold", r.records_above}};
}

}  // namespace

Result<AnonymizationReport> make_report(const Table& table, const AnonymizationSpec& spec,
                                        const Anonymization& result, double risk_threshold) {
  TKM_ASSIGN_OR_RETURN(auto prepared, detail::prepared_for(table, spec, result));
  const detail::Problem& p = *prepared;
  TKM_RETURN_IF_ERROR(detail::check_levels(p, result.best.levels));
  AnonymizationReport r;
  r.anonymization = result;
  r.rows = table.row_count();
  r.risk_threshold = risk_threshold;

  // Before: the original data, nothing generalized or suppressed. Only discernibility and the
  // average class size need its classes, which anonymize() counted beside the search.
  const std::vector<int> original(p.qis.size(), 0);
  const detail::OriginalClasses before = result.original != nullptr && result.prepared == prepared
                                             ? *result.original
                                             : detail::original_classes(p);
  r.before = {
      .loss = detail::lower_bound(p, Metric::loss, original),
      .entropy = detail::lower_bound(p, Metric::entropy, original),
      .discernibility = before.discernibility,
      .average_class_size = static_cast<double>(r.rows) / static_cast<double>(before.classes),
      .precision = 0};
  const auto judged = detail::judged_classes(p, result, result.best.levels);
  const detail::ClassView s = judged->view();
  r.after = all_metrics(p, result.best.levels, s, judged->assessment.outliers);

  std::vector<std::size_t> sizes;
  for (std::size_t c = 0; c < s.rows.size(); ++c) {
    if (!s.failing[c]) sizes.push_back(s.rows[c]);
  }
  std::sort(sizes.begin(), sizes.end());
  std::size_t released = 0;
  for (auto n : sizes) released += n;
  r.classes.classes = sizes.size();
  if (!sizes.empty()) {
    r.classes.smallest = sizes.front();
    r.classes.largest = sizes.back();
    r.classes.mean = static_cast<double>(released) / static_cast<double>(sizes.size());
    for (auto n : sizes) {
      const char* bucket = bucket_of(n);
      if (r.classes.histogram.empty() || r.classes.histogram.back().first != bucket) {
        r.classes.histogram.emplace_back(bucket, 0);
      }
      ++r.classes.histogram.back().second;
    }
    r.prosecutor.average = static_cast<double>(sizes.size()) / static_cast<double>(released);
    r.prosecutor.highest = 1.0 / static_cast<double>(sizes.front());
    for (auto n : sizes) {
      if (1.0 / static_cast<double>(n) > risk_threshold) r.prosecutor.records_above += n;
    }
  }
  r.journalist = r.prosecutor;
  r.marketer = {.average = r.prosecutor.average, .highest = r.prosecutor.average};
  return r;
}

nlohmann::json report_json(const AnonymizationReport& r) {
  const Anonymization& a = r.anonymization;
  nlohmann::json transformation = nlohmann::json::array();
  for (std::size_t q = 0; q < a.quasi_identifiers.size(); ++q) {
    transformation.push_back({{"attribute", a.quasi_identifiers[q]},
                              {"level", a.best.levels[q]},
                              {"max_level", a.max_levels[q]}});
  }
  nlohmann::json histogram = nlohmann::json::object();
  for (const auto& [bucket, n] : r.classes.histogram) histogram[bucket] = n;
  const auto& st = a.statistics;
  return {
      {"found", a.found},
      {"transformation", transformation},
      {"levels", a.best.levels},
      {"information_loss", a.best.information_loss},
      {"rows", r.rows},
      {"suppressed_rows", a.best.suppressed_rows},
      {"suppression_limit_rows", a.suppression_limit_rows},
      {"equivalence_classes",
       {{"count", r.classes.classes},
        {"smallest", r.classes.smallest},
        {"largest", r.classes.largest},
        {"mean", r.classes.mean},
        {"histogram", histogram}}},
      {"risk",
       {{"threshold", r.risk_threshold},
        {"population", "sample"},
        {"prosecutor", risk_json(r.prosecutor)},
        {"journalist", risk_json(r.journalist)},
        {"marketer", {{"average", r.marketer.average}}}}},
      {"utility", {{"before", metrics_json(r.before)}, {"after", metrics_json(r.after)}}},
      {"search",
       {{"lattice_size", st.lattice_size},
        {"evaluated", st.evaluated},
        {"pruned", st.pruned},
        {"classes_rolled_up", st.classes_rolled_up},
        {"anonymization_ms", std::chrono::duration<double, std::milli>(st.elapsed).count()},
        {"load_ms", std::chrono::duration<double, std::milli>(r.load_time).count()}}},
  };
}

std::string report_text(const AnonymizationReport& r, Lang lang) {
  const bool ja = lang == Lang::ja;
  const Anonymization& a = r.anonymization;
  std::string out;
  if (a.found) {
    out += ja ? "最適な一般化が見つかりました。\n" : "Optimal generalization found.\n";
  } else {
    out += ja ? "プライバシーモデルを満たす一般化はありません。最も近い候補:\n"
              : "No generalization satisfies the privacy model. Closest candidate:\n";
  }
  for (std::size_t q = 0; q < a.quasi_identifiers.size(); ++q) {
    out += fmt::format("  {:<20} {} {}/{}\n", a.quasi_identifiers[q], ja ? "段" : "level",
                       a.best.levels[q], a.max_levels[q]);
  }
  out += fmt::format(fmt::runtime(ja ? "行数 {}、うち抑制 {} 行 (上限 {} 行)\n"
                                     : "{} rows, {} suppressed (limit {})\n"),
                     r.rows, a.best.suppressed_rows, a.suppression_limit_rows);
  if (!a.found) return out;
  out += fmt::format(
      fmt::runtime(ja ? "同値類 {} 個 (最小 {}、平均 {:.1f}、最大 {})\n"
                      : "{} equivalence classes (smallest {}, mean {:.1f}, largest {})\n"),
      r.classes.classes, r.classes.smallest, r.classes.mean, r.classes.largest);
  out += ja ? "  大きさ別:" : "  by size:";
  for (const auto& [bucket, n] : r.classes.histogram) out += fmt::format(" {}={}", bucket, n);
  out += "\n";
  out += fmt::format(
      fmt::runtime(
          ja ? "再識別リスク (検察官モデル): 平均 {0:.4f}、最大 {1:.4f}、閾値 {2} 超の記録 {3} 件\n"
             : "re-identification risk (prosecutor): average {0:.4f}, "
               "highest {1:.4f}, {3} records above {2}\n"),
      r.prosecutor.average, r.prosecutor.highest, r.risk_threshold, r.prosecutor.records_above);
  out += fmt::format(
      fmt::runtime(
          ja ? "有用性: loss {:.6f} (加工前 {:.6f})、non-uniform entropy {:.2f} (加工前 {:.2f})\n"
             : "utility: loss {:.6f} (before {:.6f}), non-uniform entropy {:.2f} (before "
               "{:.2f})\n"),
      r.after.loss, r.before.loss, r.after.entropy, r.before.entropy);
  out += fmt::format(fmt::runtime(ja ? "探索: 格子 {} 点、評価 {} 点、{:.1f} ms\n"
                                     : "search: {} transformations, {} evaluated, {:.1f} ms\n"),
                     a.statistics.lattice_size, a.statistics.evaluated,
                     std::chrono::duration<double, std::milli>(a.statistics.elapsed).count());
  return out;
}

}  // namespace tokumei::anon
