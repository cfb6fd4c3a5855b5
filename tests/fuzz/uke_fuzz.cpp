// libFuzzer target: claims files — UKE through CP932 decoding and every record reader, and the
// same bytes as a DPC EF file.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tokumei/ingest/receipt/dpc_ef.h"
#include "tokumei/ingest/receipt/uke.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto outcome = tokumei::ingest::receipt::read_uke("fuzz.UKE", bytes, "1310000001");
  std::size_t n = outcome.extract.events() + outcome.problems.size();
  n += tokumei::ingest::receipt::read_dpc_ef("EFn_fuzz.txt", bytes, "1310000001").extract.events();
  n += tokumei::ingest::receipt::claims_date(bytes.substr(0, 8)).size();
  n += tokumei::ingest::receipt::claims_month(bytes.substr(0, 6)).size();
  return n == static_cast<std::size_t>(-1) ? 1 : 0;
}
