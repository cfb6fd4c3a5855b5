// libFuzzer target: SS-MIX2 files (ISO-2022-JP decoding, HL7 v2 parsing and mapping by data
// type), HL7 text straight into the parser, and the table decoders against ICU. Any crash, leak
// or undefined behaviour is a bug; refusals are the expected outcome for almost every input.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "tokumei/ingest/ssmix2/hl7.h"
#include "tokumei/ingest/ssmix2/reader.h"
#include "tokumei/ingest/text_encoding.h"

namespace {

// One path per data type the reader maps, and one it only recognizes.
constexpr const char* kPaths[] = {
    "123/456/1234567/-/ADT-00/1234567_-_ADT-00_999999999999999_20240105093000123_-_1",
    "123/456/1234567/20240105/ADT-22/"
    "1234567_20240105_ADT-22_999999999999999_20240105093000123_01_1",
    "123/456/1234567/20240105/ADT-52/"
    "1234567_20240105_ADT-52_999999999999999_20240105093000123_01_1",
    "123/456/1234567/-/PPR-01/1234567_-_PPR-01_999999999999999_20240105093000123_01_1",
    "123/456/1234567/20240105/OMP-01/"
    "1234567_20240105_OMP-01_000000000000042_20240105093000123_01_1",
    "123/456/1234567/20240105/OMP-02/"
    "1234567_20240105_OMP-02_000000000000042_20240105093000123_01_0",
    "123/456/1234567/20240105/OML-11/"
    "1234567_20240105_OML-11_000000000000042_20240105093000123_01_1",
    "123/456/1234567/20240105/OMG-01/"
    "1234567_20240105_OMG-01_000000000000042_20240105093000123_01_1",
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const char* path = kPaths[data[0] % std::size(kPaths)];
  std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);

  auto outcome = tokumei::ingest::ssmix2::read_storage_bytes(path, bytes, "0000000000");
  std::size_t seen = outcome.extract.events() + outcome.problems.size() + outcome.warnings.size();

  auto message = tokumei::ingest::hl7::Message::parse(std::string(bytes), "fuzz");
  if (message) {
    for (const auto& s : message->segments()) {
      for (std::size_t f = 0; f < s.fields.size() + 2; ++f) {
        for (std::size_t r = 1; r <= message->repetitions(s, f) + 1; ++r) {
          for (std::size_t c = 1; c <= 3; ++c) seen += message->value(s, f, c, 2, r).size();
        }
      }
    }
    seen += message->message_type().size();
  }

  // The table decoders answer exactly as ICU alone does, whatever the bytes.
  using tokumei::ingest::Charset;
  for (Charset charset : {Charset::iso_2022_jp, Charset::cp932, Charset::utf8}) {
    auto fast = tokumei::ingest::decode_to_utf8(bytes, charset, "fuzz");
    auto icu = tokumei::ingest::decode_to_utf8_with_icu(bytes, charset, "fuzz");
    if (fast.has_value() != icu.has_value()) std::abort();
    if (fast ? *fast != *icu : fast.error().where().offset != icu.error().where().offset) {
      std::abort();
    }
  }
  return seen == static_cast<std::size_t>(-1) ? 1 : 0;
}
