// Anonymization engine on ARX's adult data, against ARX 3.9.2's figures measured on this machine
// kind (../shared/data/README.md). Each iteration times what ARX's anonymize() does: the search,
// the transformation of the table and the report; loading the table is timed separately.

#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <cstdlib>
#include <filesystem>
#include <random>

#include "tokumei/anon/anonymizer.h"
#include "tokumei/anon/report.h"

namespace {

using namespace tokumei::anon;

std::filesystem::path arx_dir() {
  const char* env = std::getenv("TOKUMEI_SHARED_DATA");
  return std::filesystem::path(env ? env : TOKUMEI_SHARED_DATA) / "arx";
}

const Table* adult() {
  static Table table = [] {
    auto t = read_table(arx_dir() / "adult.csv");
    return t ? std::move(*t) : Table();
  }();
  return table.row_count() > 0 ? &table : nullptr;
}

// ARX's benchmark setting: eight quasi-identifiers with ARX's hierarchies, occupation sensitive.
AnonymizationSpec adult_spec(int k, double suppression, int distinct_l) {
  AnonymizationSpec spec;
  for (const char* name : {"sex", "age", "race", "marital-status", "education", "native-country",
                           "workclass", "occupation", "salary-class"}) {
    AttributeSpec a{.column = name};
    if (std::string(name) == "occupation") {
      a.role = AttributeRole::sensitive;
    } else {
      a.role = AttributeRole::quasi_identifying;
      a.hierarchy = *GeneralizationHierarchy::read(
          arx_dir() / (std::string("adult_hierarchy_") + name + ".csv"));
    }
    spec.attributes.push_back(std::move(a));
  }
  spec.model.k = k;
  spec.model.suppression_limit = suppression;
  if (distinct_l > 0)
    spec.model.l_diversity.push_back({.attribute = "occupation", .l = double(distinct_l)});
  return spec;
}

double peak_rss_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

void run(benchmark::State& state, const Table& table, const AnonymizationSpec& spec) {
  std::size_t evaluated = 0, rolled_up = 0;
  state.counters["rss_before_MB"] = peak_rss_mb();
  for (auto _ : state) {
    auto result = anonymize(table, spec);
    if (!result || !result->found) {
      state.SkipWithError("no result");
      return;
    }
    // The release, then the report (whose count of the original data's classes the search made
    // on the second core).
    auto released = apply_transformation(table, spec, *result);
    auto report = make_report(table, spec, *result, 0.2);
    benchmark::DoNotOptimize(released);
    benchmark::DoNotOptimize(report);
    evaluated = result->statistics.evaluated;
    rolled_up = result->statistics.classes_rolled_up;
  }
  state.counters["evaluated"] = static_cast<double>(evaluated);
  state.counters["rolled_up"] = static_cast<double>(rolled_up);
  state.counters["peak_rss_MB"] = peak_rss_mb();
}

void BM_AdultLoad(benchmark::State& state) {
  for (auto _ : state) {
    auto t = read_table(arx_dir() / "adult.csv");
    if (!t) {
      state.SkipWithError("../shared/data/arx/adult.csv is missing");
      return;
    }
    benchmark::DoNotOptimize(t);
  }
}
BENCHMARK(BM_AdultLoad)->Unit(benchmark::kMillisecond);

void BM_Adult(benchmark::State& state, int k, double suppression, int l) {
  const Table* t = adult();
  if (t == nullptr) {
    state.SkipWithError("../shared/data/arx/adult.csv is missing");
    return;
  }
  run(state, *t, adult_spec(k, suppression, l));
}
BENCHMARK_CAPTURE(BM_Adult, k5_0pct_ARX_34ms, 5, 0.0, 0)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Adult, k5_5pct_ARX_266ms, 5, 0.05, 0)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Adult, distinct2_5pct_ARX_393ms, 0, 0.05, 2)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Adult, distinct3_5pct_ARX_477ms, 0, 0.05, 3)->Unit(benchmark::kMillisecond);

// 1.2 million rows, each column drawn independently from adult's own value frequencies with a
// fixed seed.
Table sampled_adult(std::size_t rows) {
  const Table& source = *adult();
  std::mt19937_64 random(20261121);
  std::vector<Column> columns;
  for (std::size_t c = 0; c < source.column_count(); ++c) {
    const Column& from = source.column(c);
    Column to{.name = from.name, .dictionary = from.dictionary};
    to.codes.reserve(rows);
    std::uniform_int_distribution<std::size_t> pick(0, from.codes.size() - 1);
    // Drawing a random source row's value draws from the value frequencies.
    for (std::size_t r = 0; r < rows; ++r) to.codes.push_back(from.codes[pick(random)]);
    columns.push_back(std::move(to));
  }
  return Table::from_columns(std::move(columns));
}

void BM_SampledLoad(benchmark::State& state) {
  if (adult() == nullptr) {
    state.SkipWithError("../shared/data/arx/adult.csv is missing");
    return;
  }
  for (auto _ : state) benchmark::DoNotOptimize(sampled_adult(1'200'000));
}
BENCHMARK(BM_SampledLoad)->Unit(benchmark::kMillisecond)->Iterations(1);

void BM_Sampled1200k_k5_5pct_ARX_3800ms(benchmark::State& state) {
  if (adult() == nullptr) {
    state.SkipWithError("../shared/data/arx/adult.csv is missing");
    return;
  }
  static Table table = sampled_adult(1'200'000);
  run(state, table, adult_spec(5, 0.05, 0));
}
BENCHMARK(BM_Sampled1200k_k5_5pct_ARX_3800ms)->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace
