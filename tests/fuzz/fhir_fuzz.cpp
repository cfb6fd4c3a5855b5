// libFuzzer target: FHIR JSON and NDJSON through the reader (learning patients, then reading),
// so every mapper and the syntax-error path are exercised; the same input is also read as the
// parts of a bulk NDJSON file (cut at a line end) and as the pieces of a large JSON document
// (fhir::BundleParts: the same events as the whole read), and every event written to its stored
// record and read back.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "tokumei/ingest/event_record.h"
#include "tokumei/ingest/fhir/bundle_parts.h"
#include "tokumei/ingest/fhir/reader.h"

namespace {

template <typename T>
void round_trip(const std::vector<T>& events, std::string& text) {
  for (const auto& e : events) {
    tokumei::ingest::encode_event(e, text);
    auto back =
        tokumei::ingest::decode_event(tokumei::ingest::event_type(tokumei::ingest::Event{e}), text);
    if (!back) std::abort();  // every record written must read back
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  tokumei::ingest::fhir::Reader reader("0000000000");
  reader.learn_patients(bytes);
  auto outcome = reader.read("fuzz.json", bytes);
  std::string text;
  const auto& x = outcome.extract;
  round_trip(x.encounters, text);
  round_trip(x.diagnoses, text);
  round_trip(x.medications, text);
  round_trip(x.lab_results, text);
  round_trip(x.procedures, text);

  const std::size_t cut = bytes.find('\n', bytes.size() / 2);
  if (cut != std::string_view::npos) {
    const std::string_view first = bytes.substr(0, cut + 1), second = bytes.substr(cut + 1);
    tokumei::ingest::fhir::Reader parts("0000000000");
    parts.learn_patients(first);
    parts.learn_patients(second);
    auto a = parts.read_ndjson_part("fuzz.ndjson", first, 0, 0);
    int lines = 0;
    for (char c : first) lines += c == '\n' ? 1 : 0;
    auto b = parts.read_ndjson_part("fuzz.ndjson", second, lines,
                                    static_cast<std::int64_t>(first.size()));
    (void)a;
    (void)b;
  }

  // As a large JSON document read in pieces (cut after one of \n , { } [ ] near the middle):
  // unless one of the two reads refuses the file, the same events as the whole read of a
  // document (NDJSON is read in line parts, above).
  const std::size_t piece = bytes.find_first_of("\n,{}[]", bytes.size() / 2);
  if (piece != std::string_view::npos && !tokumei::ingest::fhir::looks_like_ndjson(bytes)) {
    tokumei::ingest::fhir::Reader in_parts("0000000000");
    tokumei::ingest::fhir::BundleParts learner(in_parts, "fuzz.json");
    const std::string_view first = bytes.substr(0, piece + 1), second = bytes.substr(piece + 1);
    learner.learn(first, false);
    learner.learn(second, true);
    tokumei::ingest::fhir::BundleParts reader_parts(in_parts, "fuzz.json");
    auto a = reader_parts.read(first, 0, 0, false);
    auto b = reader_parts.read(second, 0, static_cast<std::int64_t>(first.size()), true);
    using Kind = tokumei::ingest::FileOutcome::Kind;
    const bool refused = outcome.kind == Kind::quarantined || a.kind == Kind::quarantined ||
                         b.kind == Kind::quarantined;
    if (!refused) {
      auto joined = a.extract.lab_results;
      joined.insert(joined.end(), b.extract.lab_results.begin(), b.extract.lab_results.end());
      if (!(joined == x.lab_results)) std::abort();
    }
  }
  return 0;
}
