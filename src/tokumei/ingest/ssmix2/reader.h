#pragma once
// Reads an SS-MIX2 standardized-storage tree, file by file, into the canonical model. A file
// that is misplaced, not ISO-2022-JP, not one well-formed HL7 message, or whose message type does
// not match its data type is quarantined with every problem found, located (path, line or byte
// offset, segment or field); the rest of the tree is read regardless.

#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "tokumei/base/error.h"
#include "tokumei/ingest/outcome.h"

namespace tokumei::ingest::ssmix2 {

using ingest::FileOutcome;

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
