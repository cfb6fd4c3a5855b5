// libFuzzer target: FHIR JSON and NDJSON through the reader (learning patients, then reading),
// so every mapper and the syntax-error path are exercised.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tokumei/ingest/fhir/reader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  tokumei::ingest::fhir::Reader reader("0000000000");
  reader.learn_patients(bytes);
  auto outcome = reader.read("fuzz.json", bytes);
  return outcome.extract.events() == static_cast<std::size_t>(-1) ? 1 : 0;
}
