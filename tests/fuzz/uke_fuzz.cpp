// libFuzzer target: claims files — UKE through CP932 decoding and every record reader, and the
// same bytes as a DPC EF file; each also read in two parts cut at a line end (as a large file
// is), which must give as many events as the whole read.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "tokumei/ingest/receipt/dpc_ef.h"
#include "tokumei/ingest/receipt/uke.h"

namespace {

// Reads `bytes` in two parts (and the closing empty one) with a part reader; events given.
template <typename Parts>
std::size_t events_in_parts(std::string_view bytes, std::size_t cut) {
  Parts parts(bytes.size() > 0 ? "fuzz" : "", "1310000001");
  int lines = 0;
  for (std::size_t i = 0; i < cut; ++i) lines += bytes[i] == '\n' ? 1 : 0;
  auto a = parts.read(bytes.substr(0, cut), 0, 0, false);
  auto b = parts.read(bytes.substr(cut), lines, static_cast<std::int64_t>(cut), false);
  auto c = parts.read({}, lines, static_cast<std::int64_t>(bytes.size()), true);
  using Kind = tokumei::ingest::FileOutcome::Kind;
  if (a.kind == Kind::quarantined || b.kind == Kind::quarantined || c.kind == Kind::quarantined) {
    return static_cast<std::size_t>(-1);
  }
  return a.extract.events() + b.extract.events() + c.extract.events();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tokumei::ingest::receipt;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto outcome = read_uke("fuzz", bytes, "1310000001");
  std::size_t n = outcome.extract.events() + outcome.problems.size();
  auto ef = read_dpc_ef("fuzz", bytes, "1310000001");
  n += ef.extract.events();
  n += claims_date(bytes.substr(0, 8)).size();
  n += claims_month(bytes.substr(0, 6)).size();

  // Cut after a line end in the middle (a part ends at a line end; decoding errors and
  // Individual Numbers can only be found part by part, so compare only files read whole).
  const std::size_t newline = bytes.find('\n', bytes.size() / 2);
  if (newline != std::string_view::npos) {
    const std::size_t cut = newline + 1;
    using Kind = tokumei::ingest::FileOutcome::Kind;
    const std::size_t uke = events_in_parts<UkeParts>(bytes, cut);
    if (outcome.kind == Kind::read && uke != static_cast<std::size_t>(-1) &&
        uke != outcome.extract.events()) {
      std::abort();
    }
    const std::size_t efs = events_in_parts<EfParts>(bytes, cut);
    if (ef.kind == Kind::read && efs != static_cast<std::size_t>(-1) &&
        efs != ef.extract.events()) {
      std::abort();
    }
  }
  return n == static_cast<std::size_t>(-1) ? 1 : 0;
}
