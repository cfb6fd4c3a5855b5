#include "tokumei/ingest/fhir/bundle_parts.h"

#include <fmt/format.h>
#include <simdjson.h>

#include "tokumei/ingest/screening.h"

namespace tokumei::ingest::fhir {
namespace {

constexpr std::string_view kPrefix = R"({"resourceType":"Bundle","entry":[)";
constexpr std::string_view kSuffix = "]}";

bool white(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

}  // namespace

std::unexpected<Error> BundleParts::invalid(std::int64_t offset, std::string_view why_ja,
                                            std::string_view why_en) const {
  return fail(
      Errc::invalid_input,
      {fmt::format("JSON として読めません: {}", why_ja), fmt::format("not valid JSON: {}", why_en)},
      Location{.file = path_, .offset = offset});
}

void BundleParts::complete_element(std::size_t end) {
  if (!first_ready_) first_ready_ = *element_;
  ready_end_ = end;
  ++ready_;
  element_.reset();
  after_element_ = true;
}

void BundleParts::scan() {
  for (std::size_t i = scanned_; i < buffer_.size() && !error_; ++i) {
    const char c = buffer_[i];
    const std::int64_t at = buffer_at_ + static_cast<std::int64_t>(i);
    const JsonStrings::Step step = strings_.step(c);
    if (step == JsonStrings::Step::inside) continue;
    if (step == JsonStrings::Step::closes) {
      if (depth_ == 1) {
        const std::string_view text(buffer_.data() + string_start_, i - string_start_);
        if (expect_key_) {
          key_ = text;
          expect_key_ = false;
        } else if (in_value_ && key_ == "resourceType") {
          resource_type_ = text;
        }
      }
      if (element_) element_last_ = i + 1;
      continue;
    }
    if (white(c)) continue;
    // A byte order mark before the document, skipped as Reader::read skips it.
    if (depth_ == 0 && byte_order_mark_byte(at, c)) continue;
    if (ended_) {
      error_ = invalid(at, "文書の後に余分な文字があります", "text after the end of the document")
                   .error();
      return;
    }
    if (depth_ == 0 && c != '{') {
      error_ = invalid(at, "JSON のオブジェクトではありません", "not a JSON object").error();
      return;
    }
    // The entry array's own level: elements, and one comma between each two.
    if (in_entries_ && depth_ == 2) {
      if (c == ',' || c == ']') {
        if (element_) complete_element(element_last_);  // a scalar or a string ends
        if (c == ',' ? !after_element_ : after_comma_) {
          error_ = invalid(at, "エントリの間のカンマが正しくありません",
                           "a comma where no entry is on one side of it")
                       .error();
          return;
        }
        after_element_ = false;
        after_comma_ = c == ',';
      } else if (!element_) {
        if (after_element_) {
          error_ =
              invalid(at, "エントリの間にカンマがありません", "entries without a comma between")
                  .error();
          return;
        }
        element_ = i;
        after_comma_ = false;
      }
    }
    switch (c) {
      case '"':  // opens a string
        string_start_ = i + 1;
        break;
      case '{':
      case '[':
        if (depth_ == 1 && c == '[' && in_value_ && key_ == "entry" && !entries_seen_ &&
            resource_type_ == "Bundle") {
          in_entries_ = entries_seen_ = true;
          // Nothing was read before the entries; a byte order mark is left out.
          const std::size_t from = buffer_.starts_with("\xEF\xBB\xBF") ? 3 : 0;
          skeleton_.assign(buffer_, from, i + 1 - from);
        }
        if (depth_ == 0) expect_key_ = true;
        ++depth_;
        break;
      case '}':
      case ']':
        --depth_;
        if (in_entries_ && depth_ == 2 && element_) {
          complete_element(i + 1);
        } else if (in_entries_ && depth_ == 1) {
          in_entries_ = false;
          after_entries_ = i;
        }
        if (depth_ == 0) ended_ = true;
        break;
      case ',':
        if (depth_ == 1) {
          expect_key_ = true;
          in_value_ = false;
        }
        break;
      case ':':
        if (depth_ == 1) in_value_ = true;
        break;
      default:
        break;
    }
    if (element_ && c != '"') element_last_ = i + 1;
  }
  scanned_ = buffer_.size();
}

Result<std::optional<BundleParts::Ready>> BundleParts::take(std::string_view piece, bool last,
                                                            bool& whole) {
  whole = false;
  if (error_) return std::unexpected(*error_);
  buffer_ += piece;
  scan();
  if (error_) return std::unexpected(*error_);
  if (last && (!ended_ || strings_.in_string())) {
    error_ = invalid(buffer_at_ + static_cast<std::int64_t>(buffer_.size()), "途中で終わっています",
                     "the document ends early")
                 .error();
    return std::unexpected(*error_);
  }
  std::optional<Ready> ready;
  if (ready_ > 0) {
    // The complete entries, as they are in the file (with the commas between them).
    const std::size_t begin = *first_ready_;
    ready.emplace();
    ready->json.reserve(kPrefix.size() + (ready_end_ - begin) + kSuffix.size());
    ready->json += kPrefix;
    ready->json.append(buffer_, begin, ready_end_ - begin);
    ready->json += kSuffix;
    ready->first_entry = entries_read_;
    ready->json_at =
        buffer_at_ + static_cast<std::int64_t>(begin) - static_cast<std::int64_t>(kPrefix.size());
    entries_read_ += ready_;
    ready_ = 0;
    first_ready_.reset();
    // Forget what was read: everything before the end of the last complete entry.
    const std::size_t gone = ready_end_;
    buffer_.erase(0, gone);
    buffer_at_ += static_cast<std::int64_t>(gone);
    scanned_ -= gone;
    string_start_ = string_start_ >= gone ? string_start_ - gone : 0;
    if (element_) *element_ -= gone;
    element_last_ = element_last_ >= gone ? element_last_ - gone : 0;
    if (after_entries_) *after_entries_ -= gone;
    ready_end_ = 0;
  }
  if (last) {
    if (!entries_seen_) {
      whole = true;  // not a Bundle read in parts: buffer_ holds the whole document
      return ready;
    }
    // What is left outside the entries must be JSON too.
    skeleton_.append(buffer_, *after_entries_, std::string::npos);
    simdjson::dom::parser parser;
    simdjson::padded_string padded(skeleton_);
    if (simdjson::dom::element doc; parser.parse(padded).get(doc) != simdjson::SUCCESS) {
      error_ = invalid(-1, "エントリ以外の部分が JSON ではありません",
                       "what surrounds the entries is not JSON")
                   .error();
      return std::unexpected(*error_);
    }
  }
  return ready;
}

FileOutcome BundleParts::read(std::string_view piece, int lines_before, std::int64_t bytes_before,
                              bool last) {
  FileOutcome out{.path = path_};
  if (auto number = screen_for_individual_numbers(piece, path_, lines_before, bytes_before)) {
    out.kind = FileOutcome::Kind::quarantined;  // INTAKE-07
    out.problems.push_back(std::move(*number));
    return out;
  }
  bool whole = false;
  auto ready = take(piece, last, whole);
  if (!ready) {
    out.kind = FileOutcome::Kind::quarantined;
    out.problems.push_back(ready.error());
    return out;
  }
  if (whole) return reader_.read(path_, buffer_);
  if (!*ready) {
    out.kind = FileOutcome::Kind::not_read;  // nothing complete in this piece
    return out;
  }
  return reader_.read_bundle_entries(path_, (*ready)->json, (*ready)->first_entry,
                                     (*ready)->json_at);
}

void BundleParts::learn(std::string_view piece, bool last) {
  bool whole = false;
  auto ready = take(piece, last, whole);
  if (!ready) return;
  if (*ready) reader_.learn_document((*ready)->json);
  if (whole) reader_.learn_patients(buffer_);
}

}  // namespace tokumei::ingest::fhir
