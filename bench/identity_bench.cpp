// Record linkage (名寄せ): a million identities from five hospitals (synth::population, about
// 485 000 persons), normalized, u fitted and linked, per iteration. Target: under 60 s.
// Also normalization alone, per kana name.

#include <benchmark/benchmark.h>

#include <vector>

#include "tokumei/identity/japanese.h"
#include "tokumei/identity/linkage.h"
#include "tokumei/synth/population.h"

namespace {

using namespace tokumei;

const std::vector<synth::PopulationRecord>& million() {
  static const std::vector<synth::PopulationRecord> records = [] {
    std::vector<synth::PopulationRecord> out;
    out.reserve(1'010'000);
    synth::population({.persons = 485'000, .institutions = 5, .seed = 1},
                      [&](const synth::PopulationRecord& r) { out.push_back(r); });
    return out;
  }();
  return records;
}

void BM_LinkMillionRecords(benchmark::State& state) {
  const auto& input = million();
  double precision = 0, recall = 0, pairs = 0;
  for (auto _ : state) {
    std::vector<identity::LinkRecord> records;
    records.reserve(input.size());
    for (const auto& r : input) {
      records.push_back(identity::prepare(r.identity, static_cast<std::uint16_t>(r.institution)));
    }
    identity::LinkageModel model = identity::LinkageModel::defaults();
    model.estimate_u(records, 1'000'000, 1);
    const identity::LinkResult result = identity::link(records, model);
    state.PauseTiming();
    std::vector<std::uint64_t> truth;
    truth.reserve(input.size());
    for (const auto& r : input) truth.push_back(r.person);
    const identity::LinkageQuality q = identity::evaluate(result, truth);
    precision = q.precision();
    recall = q.recall();
    pairs = static_cast<double>(result.compared);
    state.ResumeTiming();
  }
  state.counters["records"] = static_cast<double>(input.size());
  state.counters["compared"] = pairs;
  state.counters["precision"] = precision;
  state.counters["recall"] = recall;
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(input.size()));
}
BENCHMARK(BM_LinkMillionRecords)->Unit(benchmark::kSecond)->Iterations(1)->UseRealTime();

void BM_NormalizeKana(benchmark::State& state) {
  const std::string name = "ﾜﾀﾅﾍﾞ ｼｮｳﾀﾛｳ";
  for (auto _ : state) benchmark::DoNotOptimize(identity::normalize_kana(name));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_NormalizeKana);

}  // namespace
