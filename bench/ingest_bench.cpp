// Ingestion: HL7 v2 messages per second (parsing alone, and SS-MIX2 files through decoding,
// parsing and mapping), FHIR JSON megabytes per second, and events per second taken end to end
// into a SQLite store (vault, sealing, one transaction per file). Inputs are generated here.

#include <benchmark/benchmark.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>

#include "tokumei/crypto/key_ring.h"
#include "tokumei/ingest/batch.h"
#include "tokumei/ingest/fhir/reader.h"
#include "tokumei/ingest/ingest.h"
#include "tokumei/ingest/ssmix2/hl7.h"
#include "tokumei/ingest/ssmix2/reader.h"
#include "tokumei/ingest/text_encoding.h"
#include "tokumei/store/key_ring_store.h"
#include "tokumei/store/sqlite_database.h"
#include "tokumei/synth/generator.h"

namespace {

using namespace tokumei;
namespace fs = std::filesystem;

// A prescription message as SS-MIX2 stores it (UTF-8 here; ISO-2022-JP below).
std::string prescription_message(int n) {
  std::string m =
      "MSH|^~\\&|HIS123|SEND|GW|RCV|20110701224603.984||RDE^O11^RDE_O11|" + std::to_string(n) +
      "|P|2.5||||||~ISO IR87||ISO2022-1994\r"
      "PID|0001||9999013^^^^PI||患者^太郎^^^^^L^I~カンジャ^タロウ^^^^^L^P||19480405|M|||^^^^422-"
      "8033^JPN^H^静岡県静岡市登呂１－３－５||^PRN^PH^^^^^^^^^054-000-0000\r"
      "PV1|0001|O|01^^^^^C||||110^医師^一郎^^^^^^^L^^^^^I|||01\r";
  for (int i = 0; i < 3; ++i) {
    m += "ORC|NW|000000011000185||1|||||20110701103045|058^入力者^花子^^^^^^^L^^^^^I||110^医師^"
         "一郎^^^^^^^L^^^^^I|10^^^^^C||||01^内科^99XY1\r"
         "RXE||108665201^ダーゼン錠（５mg)^HOT9|1||TAB^錠^MR9P|||||15|TAB^錠^MR9P\r"
         "TQ1|1||1013044400000000&内服・経口・１日３回朝昼夕食後&JAMISDP01|||5^d|2011070100\r"
         "RXR|PO^口^HL70162\r";
  }
  return m;
}

void BM_Hl7Parse(benchmark::State& state) {
  const std::string text = prescription_message(1);
  for (auto _ : state) {
    auto m = ingest::hl7::Message::parse(text, "bench");
    benchmark::DoNotOptimize(m);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(text.size()));
}
BENCHMARK(BM_Hl7Parse);

// The same message as an SS-MIX2 file: ISO-2022-JP decoding, Individual Number screening,
// parsing and mapping.
void BM_Ssmix2File(benchmark::State& state) {
  // ISO-2022-JP, as SS-MIX2 stores it.
  const std::string utf8 = prescription_message(1);
  auto iso = ingest::encode_from_utf8(utf8, ingest::Charset::iso_2022_jp);
  if (!iso) {
    state.SkipWithError("the message cannot be written in ISO-2022-JP");
    return;
  }
  const std::string encoded = *iso;
  const fs::path path =
      "999/901/9999013/20110701/OMP-01/"
      "9999013_20110701_OMP-01_000000011000185_20110701224603984_01_1";
  if (ingest::ssmix2::read_storage_bytes(path, encoded, "1311234567").kind !=
      ingest::FileOutcome::Kind::read) {
    state.SkipWithError("the message was not read");
    return;
  }
  for (auto _ : state) {
    auto o = ingest::ssmix2::read_storage_bytes(path, encoded, "1311234567");
    benchmark::DoNotOptimize(o);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Ssmix2File);

// One patient's bundle: a Patient, encounters, conditions and many observations.
std::string bundle(int p, int observations) {
  nlohmann::json entries = nlohmann::json::array();
  const std::string id = "p-" + std::to_string(p);
  entries.push_back({{"fullUrl", "urn:uuid:" + id},
                     {"resource",
                      {{"resourceType", "Patient"},
                       {"id", id},
                       {"identifier",
                        {{{"system", "urn:oid:1.2.392.100495.20.3.51.11311234567"},
                          {"value", std::to_string(1000000 + p)}}}},
                       {"name", {{{"family", "山田"}, {"given", {"太郎"}}}}},
                       {"gender", "male"},
                       {"birthDate", "1960-04-01"}}}});
  for (int o = 0; o < observations; ++o) {
    entries.push_back(
        {{"fullUrl", "urn:uuid:" + id + "-o" + std::to_string(o)},
         {"resource",
          {{"resourceType", "Observation"},
           {"id", id + "-o" + std::to_string(o)},
           {"status", "final"},
           {"subject", {{"reference", "urn:uuid:" + id}}},
           {"code",
            {{"coding",
              {{{"system", "urn:oid:1.2.392.200119.4.504"}, {"code", "3D010000001926101"}},
               {{"system", "http://loinc.org"}, {"code", "2345-7"}}}}}},
           {"effectiveDateTime", "2024-01-15T08:30:00+09:00"},
           {"valueQuantity", {{"value", 90 + o % 40}, {"unit", "mg/dL"}}},
           {"referenceRange", {{{"low", {{"value", 70}}}, {"high", {{"value", 109}}}}}}}}});
  }
  return nlohmann::json{{"resourceType", "Bundle"}, {"type", "collection"}, {"entry", entries}}
      .dump();
}

void BM_FhirRead(benchmark::State& state) {
  const std::string text = bundle(1, 2000);
  ingest::fhir::Reader reader("1311234567");
  for (auto _ : state) {
    auto o = reader.read("bundle.json", text);
    benchmark::DoNotOptimize(o);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(text.size()));
}
BENCHMARK(BM_FhirRead)->Unit(benchmark::kMillisecond);

// Rates are per second of wall time (UseRealTime): ingestion reads on a second thread.

// A fresh store in `dir` (core.db), ingests `inputs` for `institution`; events taken in.
struct BenchStore {
  explicit BenchStore(const fs::path& dir) {
    for (const char* suffix : {"", "-wal", "-shm"})
      fs::remove(dir / ("core.db" + std::string(suffix)));
    db = std::move(*store::SqliteDatabase::open(dir / "core.db", {.create = true}));
    for (const auto& m : {store::DatabaseKeyRingStorage::schema(),
                          identity::IdentityVault::schema(), ingest::BatchStore::schema()}) {
      (void)store::migrate(*db, m, clock);
    }
    storage.emplace(*db);
    keys.emplace(std::move(*crypto::KeyRing::create(
        *storage,
        crypto::PassphraseSource{"bench passphrase 1234", crypto::Argon2Params::for_tests()}, clock,
        random)));
    batches.emplace(*db, *keys, clock, random);
  }
  SystemClock clock;
  SeededRandom random{1};
  std::unique_ptr<store::SqliteDatabase> db;
  std::optional<store::DatabaseKeyRingStorage> storage;
  std::optional<crypto::KeyRing> keys;
  std::optional<ingest::BatchStore> batches;
};

void ingest_and_count(benchmark::State& state, const fs::path& dir,
                      const std::vector<fs::path>& inputs, const std::string& institution) {
  std::size_t events = 0, files = 0;
  for (auto _ : state) {
    state.PauseTiming();
    BenchStore store(dir);
    state.ResumeTiming();
    auto summary = ingest::ingest_paths(*store.batches, inputs, institution);
    if (!summary) {
      state.SkipWithError(summary.error().describe(Lang::en).c_str());
      break;
    }
    events = 0;
    for (const auto& [type, n] : summary->events) events += n;
    files = summary->files;
  }
  state.counters["events"] = static_cast<double>(events);
  state.counters["files"] = static_cast<double>(files);
  state.counters["events_per_s"] = benchmark::Counter(
      static_cast<double>(events), benchmark::Counter::kIsIterationInvariantRate);
}

// End to end into SQLite: 200 patients × 100 results, one FHIR bundle each.
void BM_IngestEndToEnd(benchmark::State& state) {
  const fs::path dir =
      fs::temp_directory_path() / ("tokumei-ingest-bench-" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "in");
  const int patients = 200, per_patient = 100;
  for (int p = 0; p < patients; ++p) {
    std::ofstream(dir / "in" / ("p" + std::to_string(p) + ".json")) << bundle(p, per_patient);
  }
  ingest_and_count(state, dir, {dir / "in"}, "1311234567");
  fs::remove_all(dir);
}
BENCHMARK(BM_IngestEndToEnd)->Unit(benchmark::kMillisecond)->Iterations(3)->UseRealTime();

// End to end on `tokumei synth` output (2 000 patients over two institutions, two years): the
// SS-MIX2 hospital (one small file per message, plus its monthly claims) and the FHIR hospital
// (one bundle per patient, plus claims), each into a fresh store.
void BM_IngestSynth(benchmark::State& state) {
  // Generated once, removed when the benchmark program ends.
  struct Data {
    fs::path out = fs::temp_directory_path() / ("tokumei-synth-bench-" + std::to_string(getpid()));
    Data() {
      fs::remove_all(out);
      if (!synth::generate({.out = out, .patients = 2000, .institutions = 2})) std::abort();
    }
    ~Data() { fs::remove_all(out); }
  };
  static const Data generated;
  const fs::path& data = generated.out;
  const int institution = static_cast<int>(state.range(0));
  state.SetLabel(institution == 1 ? "SS-MIX2 + claims" : "FHIR + claims");
  const std::string code = synth::institution_code(institution);
  const fs::path dir = data / ("store-" + code);
  fs::create_directories(dir);
  ingest_and_count(state, dir, {data / code}, code);
  fs::remove_all(dir);
}
BENCHMARK(BM_IngestSynth)
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3)
    ->UseRealTime();

}  // namespace
