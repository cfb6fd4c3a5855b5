#include "tokumei/base/files.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace tokumei {
namespace {

std::unexpected<Error> os_error(const std::filesystem::path& path, std::string_view what_ja,
                                std::string_view what_en, int err) {
  Errc code = err == ENOENT ? Errc::not_found : err == EEXIST ? Errc::already_exists : Errc::io;
  std::string reason = std::strerror(err);
  return fail(code,
              {std::string(what_ja) + "できません: " + reason,
               "cannot " + std::string(what_en) + ": " + reason},
              Location{.file = path.string()});
}

Status write_all(int fd, ByteView data, const std::filesystem::path& path) {
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return os_error(path, "書き込み", "write", errno);
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) return os_error(path, "ディスクへの同期", "fsync", errno);
  return ok();
}

std::filesystem::path parent_of(const std::filesystem::path& path) {
  auto parent = path.parent_path();
  return parent.empty() ? std::filesystem::path(".") : parent;
}

}  // namespace

Result<std::string> read_file(const std::filesystem::path& path) {
  return read_file_at(AT_FDCWD, path.c_str(), path);
}

Result<std::string> read_file_at(int folder, const char* name, const std::filesystem::path& path) {
  int fd = ::openat(folder, name, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return os_error(path, "ファイルを読むことが", "read file", errno);
  // Read straight into a string of the file's size (no second copy); what is not a regular
  // file, or grows meanwhile, is read on to its end.
  struct stat st {};
  std::string out;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
    out.resize(static_cast<std::size_t>(st.st_size));
  std::size_t used = 0;
  for (;;) {
    char more[65536];
    const bool full = used == out.size();
    const ssize_t n =
        full ? ::read(fd, more, sizeof more) : ::read(fd, out.data() + used, out.size() - used);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int e = errno;
      ::close(fd);
      return os_error(path, "ファイルを読むことが", "read file", e);
    }
    if (n == 0) break;
    if (full) out.append(more, static_cast<std::size_t>(n));
    used += static_cast<std::size_t>(n);
  }
  ::close(fd);
  out.resize(used);
  return out;
}

Status create_file_exclusive(const std::filesystem::path& path, ByteView data, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0) return os_error(path, "ファイルを作成", "create file", errno);
  // The umask may have removed bits; it can never have added any, but set the mode explicitly so
  // the file has exactly what was asked.
  Status s = ::fchmod(fd, mode) == 0 ? write_all(fd, data, path)
                                     : os_error(path, "権限を設定", "set mode", errno);
  ::close(fd);
  if (!s) return s;
  return sync_directory(parent_of(path));
}

Status write_file_atomic(const std::filesystem::path& path, ByteView data, mode_t mode) {
  std::string tmp = path.string() + ".tmp-XXXXXX";
  int fd = ::mkstemp(tmp.data());
  if (fd < 0) return os_error(tmp, "一時ファイルを作成", "create temporary file", errno);
  Status s = ::fchmod(fd, mode) == 0 ? write_all(fd, data, tmp)
                                     : os_error(tmp, "権限を設定", "set mode", errno);
  ::close(fd);
  if (s && ::rename(tmp.c_str(), path.c_str()) != 0) {
    s = os_error(path, "ファイルを置き換え", "rename into place", errno);
  }
  if (!s) {
    ::unlink(tmp.c_str());
    return s;
  }
  return sync_directory(parent_of(path));
}

Result<FileStatus> file_status(const std::filesystem::path& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return os_error(path, "状態を取得", "stat", errno);
  FileStatus out;
  out.mode = st.st_mode & 07777;
  out.owner = st.st_uid;
  out.regular = S_ISREG(st.st_mode);
  out.symlink = S_ISLNK(st.st_mode);
  out.directory = S_ISDIR(st.st_mode);
  return out;
}

Status require_owner_only(const std::filesystem::path& path, const Text& what) {
  TKM_ASSIGN_OR_RETURN(FileStatus st, file_status(path));
  Location where{.file = path.string()};
  if (st.symlink || !st.regular) {
    return fail(Errc::permission_denied,
                {what.ja + "が通常のファイルではありません（シンボリックリンク等は使えません）",
                 what.en + " is not a regular file (symlinks are refused)"},
                where);
  }
  if ((st.mode & 0077) != 0) {
    return fail(
        Errc::permission_denied,
        {fmt::format(
             "{}の権限が {:04o} です。所有者以外が読めない 0600 にしてください（chmod 600）",
             what.ja, st.mode),
         fmt::format("{} has mode {:04o}; it must be 0600, owner only (chmod 600)", what.en,
                     st.mode)},
        where);
  }
  if (st.owner != ::geteuid()) {
    return fail(Errc::permission_denied,
                {what.ja + "の所有者がこのプロセスの利用者と異なります",
                 what.en + " is owned by another user"},
                where);
  }
  return ok();
}

Status make_directory(const std::filesystem::path& path, mode_t mode) {
  if (::mkdir(path.c_str(), mode) != 0)
    return os_error(path, "フォルダを作成", "create directory", errno);
  if (::chmod(path.c_str(), mode) != 0) return os_error(path, "権限を設定", "set mode", errno);
  return ok();
}

Status sync_directory(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return os_error(path, "フォルダを開くことが", "open directory", errno);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return os_error(path, "フォルダを同期", "fsync directory", err);
  return ok();
}

}  // namespace tokumei
