#pragma once
// Reads an SS-MIX2 standardized-storage tree, file by file, into the canonical model. A file
// that is misplaced, not ISO-2022-JP, not one well-formed HL7 message, or whose message type does
// not match its data type is quarantined with every problem found, located (path, line or byte
// offset, segment or field); the rest of the tree is read regardless.

#include <cstddef>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "tokumei/base/error.h"
#include "tokumei/ingest/ssmix2/storage.h"
#include "tokumei/model/clinical.h"

namespace tokumei::ingest::ssmix2 {

struct FileOutcome {
  enum class Kind {
    read,         // mapped into `extract`
    not_read,     // valid SS-MIX2, but a data type the model does not take yet
    quarantined,  // refused: see `problems`
  };
  std::string path;  // relative to the storage root, with '/' separators
  Kind kind = Kind::read;
  std::optional<StoragePath> storage{};
  model::Extract extract{};
  std::vector<Error> problems{};  // why it was quarantined (or, for not_read, why not read)
  std::vector<Error> warnings{};  // read, but worth telling the hospital
};

// One file at `relative` under `root`.
FileOutcome read_storage_file(const std::filesystem::path& root,
                              const std::filesystem::path& relative,
                              const std::string& institution);
// The same for file content already in memory (`bytes` as stored, ISO-2022-JP).
FileOutcome read_storage_bytes(const std::filesystem::path& relative, std::string_view bytes,
                               const std::string& institution);

// Every regular file under `root`, in path order, each handed to `sink` as soon as it is read
// (one file in memory at a time). Fails only when the tree cannot be walked.
Status read_storage(const std::filesystem::path& root, const std::string& institution,
                    const std::function<void(FileOutcome&&)>& sink);

}  // namespace tokumei::ingest::ssmix2
