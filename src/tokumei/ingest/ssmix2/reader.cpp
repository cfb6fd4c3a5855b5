#include "tokumei/ingest/ssmix2/reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <system_error>

#include "tokumei/base/files.h"
#include "tokumei/ingest/screening.h"
#include "tokumei/ingest/ssmix2/hl7.h"
#include "tokumei/ingest/ssmix2/messages.h"
#include "tokumei/ingest/text_encoding.h"

namespace tokumei::ingest::ssmix2 {

FileOutcome read_storage_bytes(const std::filesystem::path& relative, std::string_view bytes,
                               const std::string& institution) {
  FileOutcome out;
  out.path = relative.generic_string();
  const std::string& source = out.path;
  auto quarantine = [&](Error e) {
    out.kind = FileOutcome::Kind::quarantined;
    out.problems.push_back(std::move(e));
  };

  // Every check runs, so that the hospital learns all that is wrong with the file at once.
  auto storage = parse_storage_path(relative, source);
  if (storage) {
    out.record_type = storage->data_type;
  } else {
    quarantine(storage.error());
  }
  auto text = decode_to_utf8(bytes, Charset::iso_2022_jp, source);
  if (!text) {
    quarantine(text.error());
    return out;
  }
  if (auto number = screen_for_individual_numbers(*text, source)) {
    quarantine(std::move(*number));  // INTAKE-07
    return out;
  }
  auto message = hl7::Message::parse(std::move(*text), source);
  if (!message) {
    quarantine(message.error());
    return out;
  }
  if (out.kind == FileOutcome::Kind::quarantined) return out;

  if (!reads_data_type(storage->data_type)) {
    out.kind = FileOutcome::Kind::not_read;
    out.problems.emplace_back(
        Errc::invalid_argument,
        Text{fmt::format("データ種別 {} はまだ取り込み対象ではありません", storage->data_type),
             fmt::format("data type {} is not taken in yet", storage->data_type)},
        Location{.file = source});
    return out;
  }
  auto mapped = map_message(*message, *storage, institution, source);
  if (!mapped) {
    quarantine(mapped.error());
    return out;
  }
  out.extract = std::move(mapped->extract);
  out.warnings = std::move(mapped->warnings);
  return out;
}

FileOutcome read_storage_file(const std::filesystem::path& root,
                              const std::filesystem::path& relative,
                              const std::string& institution) {
  auto bytes = read_file(root / relative);
  if (!bytes) {
    FileOutcome out{.path = relative.generic_string(), .kind = FileOutcome::Kind::quarantined};
    out.problems.push_back(bytes.error());
    return out;
  }
  return read_storage_bytes(relative, *bytes, institution);
}

Status read_storage(const std::filesystem::path& root, const std::string& institution,
                    const std::function<void(FileOutcome&&)>& sink) {
  std::error_code ec;
  if (!std::filesystem::is_directory(root, ec)) {
    return fail(Errc::not_found,
                {fmt::format("標準化ストレージのフォルダ {} がありません", root.string()),
                 fmt::format("the standardized-storage folder {} does not exist", root.string())},
                Location{.file = root.string()});
  }
  std::vector<std::filesystem::path> files;
  std::filesystem::recursive_directory_iterator it(root, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file(ec)) files.push_back(it->path().lexically_relative(root));
  }
  if (ec) {
    return fail(Errc::io,
                {fmt::format("フォルダ {} を読めません: {}", root.string(), ec.message()),
                 fmt::format("cannot walk {}: {}", root.string(), ec.message())},
                Location{.file = root.string()});
  }
  std::sort(files.begin(), files.end());
  for (const auto& relative : files) sink(read_storage_file(root, relative, institution));
  return ok();
}

}  // namespace tokumei::ingest::ssmix2
