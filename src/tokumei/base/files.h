#pragma once
// File-system helpers with the guarantees the rest of the code relies on: new secret files are
// created exclusively with restrictive permissions, replacements are atomic and durable.

#include <sys/types.h>

#include <filesystem>
#include <string>

#include "tokumei/base/bytes.h"
#include "tokumei/base/error.h"

namespace tokumei {

// Reads a whole file. Errc::not_found if it does not exist, Errc::io otherwise.
Result<std::string> read_file(const std::filesystem::path& path);

// The same for the file `name` in the open folder `folder` (openat(2): no look-up of the folders
// above it); `path` names it in errors.
Result<std::string> read_file_at(int folder, const char* name, const std::filesystem::path& path);

// Creates `path` with `mode` (e.g. 0600) and writes `data`, failing with Errc::already_exists if
// anything is there. The data and the directory entry are fsync'ed before returning.
Status create_file_exclusive(const std::filesystem::path& path, ByteView data, mode_t mode);

// Replaces `path` atomically (write to a temporary file, fsync, rename, fsync the directory).
Status write_file_atomic(const std::filesystem::path& path, ByteView data, mode_t mode);

// Permission bits (e.g. 0600) and owner of an existing file, without following symlinks.
struct FileStatus {
  mode_t mode = 0;  // permission bits only
  uid_t owner = 0;
  bool regular = false;
  bool symlink = false;
  bool directory = false;
};
Result<FileStatus> file_status(const std::filesystem::path& path);

// Secrets on disk (master key file, passphrase file) must be regular files, not symlinks, owned by
// this process's user and closed to group and others. Errc::permission_denied naming what is
// wrong, with `what` ("マスター鍵ファイル" / "master key file") as the subject; Errc::not_found if
// absent.
Status require_owner_only(const std::filesystem::path& path, const Text& what);

// Creates a directory with `mode`; Errc::already_exists if present.
Status make_directory(const std::filesystem::path& path, mode_t mode);

// fsync on a directory, so a rename or create inside it survives a crash.
Status sync_directory(const std::filesystem::path& path);

}  // namespace tokumei
