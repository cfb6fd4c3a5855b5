#include "tokumei/ingest/ingest.h"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <future>
#include <mutex>
#include <optional>
#include <thread>

#include "tokumei/base/files.h"
#include "tokumei/crypto/hash.h"
#include "tokumei/ingest/fhir/bundle_parts.h"
#include "tokumei/ingest/fhir/reader.h"
#include "tokumei/ingest/receipt/dpc_ef.h"
#include "tokumei/ingest/receipt/uke.h"
#include "tokumei/ingest/ssmix2/reader.h"

namespace tokumei::ingest {
namespace fs = std::filesystem;
namespace {

enum class Form { ssmix2, fhir, uke, dpc_ef, unknown };

struct Input {
  fs::path file;      // to read
  fs::path relative;  // SS-MIX2: relative to the storage root; else the file's name
  Form form = Form::unknown;
  // During the walk: the open folder holding the file, and its name there (AT_FDCWD: use `file`).
  int folder = AT_FDCWD;
  std::string name{};

  Result<std::string> read() const {
    return folder == AT_FDCWD ? read_file(file) : read_file_at(folder, name.c_str(), file);
  }
};

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return out;
}

// A file name's extension as std::filesystem has it: from its last dot, none for ".name".
std::string_view extension_of(std::string_view name) {
  const std::size_t dot = name.rfind('.');
  return dot == std::string_view::npos || dot == 0 ? std::string_view() : name.substr(dot);
}

// The form of the file `name`, `depth` folders below where the walk started (counting itself).
Form form_of(std::string_view name, std::size_t depth) {
  const std::string ext = lower(extension_of(name));
  if (ext == ".json" || ext == ".ndjson") return Form::fhir;
  if (ext == ".uke") return Form::uke;
  // DPC EF files: EFn_<facility>_<yymm>.txt and the like.
  if (ext == ".txt") {
    const std::string low = lower(name);
    if (low.find("efn_") != std::string::npos || low.find("efg_") != std::string::npos ||
        low.starts_with("ef")) {
      return Form::dpc_ef;
    }
  }
  if (ext.empty() && depth >= 6 && std::count(name.begin(), name.end(), '_') == 6) {
    return Form::ssmix2;
  }
  return Form::unknown;
}

// An SS-MIX2 file's path within its storage: the last six parts of `relative` (the storage root
// may be anywhere above them).
std::string_view storage_relative(std::string_view relative) {
  std::size_t start = relative.size();
  for (int parts = 0; parts < 6 && start != std::string_view::npos && start > 0; ++parts) {
    start = relative.rfind('/', start - 1);
  }
  return start == std::string_view::npos ? relative : relative.substr(start + 1);
}

std::unexpected<Error> missing(const fs::path& input) {
  return fail(Errc::not_found,
              {fmt::format("{} がありません", input.string()),
               fmt::format("{} does not exist", input.string())},
              Location{.file = input.string()});
}

std::unexpected<Error> cannot_walk(const fs::path& folder, int error) {
  const std::string reason = std::generic_category().message(error);
  return fail(Errc::io,
              {fmt::format("{} を読めません: {}", folder.string(), reason),
               fmt::format("cannot walk {}: {}", folder.string(), reason)},
              Location{.file = folder.string()});
}

// Calls visit(input) for every file under the folder `fd` (opened, and closed here), in name
// order, depth first. `relative` is the folder's path below the walk's root ("" at the root,
// else ending in '/'); `above` identifies the folders the walk is in. Folders are opened relative
// to their parent (openat), so no path is looked up from the root again; one folder's entries
// are held at a time, never the whole tree (an SS-MIX2 storage may hold millions of files).
Status walk_folder(int fd, const fs::path& root, std::string& relative,
                   std::vector<std::pair<dev_t, ino_t>>& above,
                   const std::function<Status(const Input&)>& visit) {
  // A link back to a folder the walk is in (a loop) is not followed again.
  struct stat self {};
  if (::fstat(fd, &self) == 0) {
    const std::pair<dev_t, ino_t> id(self.st_dev, self.st_ino);
    if (std::ranges::find(above, id) != above.end()) {
      ::close(fd);
      return ok();
    }
    above.push_back(id);
  } else {
    above.emplace_back(0, 0);
  }
  struct Leave {
    std::vector<std::pair<dev_t, ino_t>>& above;
    ~Leave() { above.pop_back(); }
  } leave{above};
  const std::size_t depth = above.size() - 1;  // folders between the root and this one
  DIR* dir = fdopendir(fd);
  if (dir == nullptr) {
    const int error = errno;
    ::close(fd);
    return cannot_walk(root / relative, error);
  }
  struct Closer {
    DIR* dir;
    ~Closer() { closedir(dir); }
  } closer{dir};
  struct Entry {
    std::string name;
    bool folder;
  };
  std::vector<Entry> entries;
  for (;;) {
    errno = 0;
    const dirent* e = readdir(dir);
    if (e == nullptr) {
      const int error = errno;
      if (error != 0) return cannot_walk(root / relative, error);
      break;
    }
    const std::string_view name = e->d_name;
    if (name == "." || name == "..") continue;
    bool folder = e->d_type == DT_DIR, file = e->d_type == DT_REG;
    if (e->d_type == DT_LNK || e->d_type == DT_UNKNOWN) {  // followed, as a path would be
      struct stat st {};
      if (fstatat(fd, e->d_name, &st, 0) != 0) continue;  // a dangling link: nothing to read
      folder = S_ISDIR(st.st_mode);
      file = S_ISREG(st.st_mode);
    }
    if (folder || file) entries.push_back({std::string(name), folder});
  }
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return a.name < b.name; });
  const std::size_t length = relative.size();
  for (const Entry& e : entries) {
    relative.resize(length);
    relative += e.name;
    if (e.folder) {
      const int sub = ::openat(fd, e.name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (sub < 0) {
        const int error = errno;
        return cannot_walk(root / relative, error);
      }
      relative += '/';
      TKM_RETURN_IF_ERROR(walk_folder(sub, root, relative, above, visit));
    } else {
      const Form form = form_of(e.name, depth + 1);
      TKM_RETURN_IF_ERROR(
          visit({.file = root / relative,
                 .relative = form == Form::ssmix2 ? fs::path(storage_relative(relative))
                                                  : fs::path(relative),
                 .form = form,
                 .folder = fd,
                 .name = e.name}));
    }
  }
  return ok();
}

// Calls visit(input) for every file under the inputs, in path order.
Status for_each_input(const std::vector<fs::path>& inputs,
                      const std::function<Status(const Input&)>& visit) {
  for (const auto& input : inputs) {
    std::error_code ec;
    if (fs::is_directory(input, ec)) {
      const int fd = ::open(input.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (fd < 0) {
        const int error = errno;
        return cannot_walk(input, error);
      }
      std::string relative;
      std::vector<std::pair<dev_t, ino_t>> above;
      TKM_RETURN_IF_ERROR(walk_folder(fd, input, relative, above, visit));
    } else if (fs::is_regular_file(input, ec)) {
      const std::string name = input.filename().string();
      TKM_RETURN_IF_ERROR(visit({input, input.filename(), form_of(name, 1)}));
    } else {
      return missing(input);
    }
  }
  return ok();
}

// Files larger than this are read part by part where their form allows it (NDJSON: whole lines
// at a time), so that memory stays the same whatever the size of a bulk export. 2 MiB of
// Observations (some 8 000 lines) make about 17 MiB of model events.
constexpr std::size_t kPartBytes = 2u << 20;

// Reads a file in parts of about kPartBytes, each ending at a line end, hashing what it reads.
class FileParts {
 public:
  // Where parts may end: after a line end; after any of \n , { } [ ] (where no value of
  // interest, an Individual Number above all, is cut in two: a JSON document on one line); or
  // anywhere (only hashing).
  enum class Cuts { lines, json, anywhere };
  explicit FileParts(const fs::path& file, Cuts cuts = Cuts::lines)
      : file_(file),
        in_(file, std::ios::binary),
        cuts_(cuts == Cuts::lines  ? "\n"
              : cuts == Cuts::json ? "\n,{}[]"
                                   : nullptr) {}

  // The next part (empty after the last), with the lines and bytes before it.
  Result<std::string_view> next() {
    lines_before_ += lines_in_part_;
    bytes_before_ += static_cast<std::int64_t>(part_size_);
    buffer_.erase(0, part_size_);
    if (!in_.is_open() || in_.bad()) return io_error();
    // Read on until the part holds a place to cut (a line longer than a part makes a longer
    // part), looking for one only in what each read adds.
    bool can_cut = cuts_ == nullptr || buffer_.find_first_of(cuts_) != std::string::npos;
    while (!in_.eof() && (buffer_.size() < kPartBytes || !can_cut)) {
      const std::size_t had = buffer_.size();
      buffer_.resize(had + kPartBytes);
      in_.read(buffer_.data() + had, static_cast<std::streamsize>(kPartBytes));
      if (in_.bad()) return io_error();
      buffer_.resize(had + static_cast<std::size_t>(in_.gcount()));
      hash_.update(as_bytes(std::string_view(buffer_).substr(had)));
      can_cut = can_cut || buffer_.find_first_of(cuts_, had) != std::string::npos;
    }
    const std::size_t end = cuts_ == nullptr ? std::string::npos : buffer_.find_last_of(cuts_);
    part_size_ = in_.eof() || end == std::string::npos ? buffer_.size() : end + 1;
    const std::string_view part(buffer_.data(), part_size_);
    lines_in_part_ = static_cast<int>(std::count(part.begin(), part.end(), '\n'));
    return part;
  }
  int lines_before() const { return lines_before_; }
  std::int64_t bytes_before() const { return bytes_before_; }
  // The content hash of everything read; call after the last part.
  crypto::Digest digest() { return hash_.finish(); }

 private:
  std::unexpected<Error> io_error() const {
    std::error_code ec;
    return fail(fs::exists(file_, ec) ? Errc::io : Errc::not_found,
                {fmt::format("{} を読めません", file_.string()),
                 fmt::format("cannot read {}", file_.string())},
                Location{.file = file_.string(), .offset = bytes_before_});
  }
  fs::path file_;
  std::ifstream in_;
  const char* cuts_;
  std::string buffer_;
  std::size_t part_size_ = 0;
  int lines_before_ = 0, lines_in_part_ = 0;
  std::int64_t bytes_before_ = 0;
  crypto::Sha256 hash_;
};

// Whether `f` is too large to read whole and of a form read in parts: FHIR (NDJSON, or a JSON
// document: fhir::BundleParts), claims, EF.
bool streamed(const Input& f) {
  if (f.form != Form::fhir && f.form != Form::uke && f.form != Form::dpc_ef) return false;
  std::error_code ec;
  const auto size = fs::file_size(f.file, ec);
  return !ec && size > kPartBytes;
}

// Whether a FHIR file is NDJSON (else a JSON document), read from its beginning until that is
// known (its first line may be long: a Patient with a photo).
bool ndjson_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  fhir::NdjsonSniffer sniffer;
  std::string chunk(65536, '\0');
  while (in) {
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    const auto got = static_cast<std::size_t>(in.gcount());
    if (got == 0 || sniffer.feed(std::string_view(chunk).substr(0, got))) break;
  }
  return sniffer.ndjson();
}

Result<crypto::Digest> hash_file(const fs::path& file) {
  FileParts parts(file, FileParts::Cuts::anywhere);
  for (;;) {
    TKM_ASSIGN_OR_RETURN(std::string_view part, parts.next());
    if (part.empty()) return parts.digest();
  }
}

// A file as the reading thread hands it to the recording one.
struct Item {
  enum class Kind { file, streamed, end };
  Kind kind = Kind::file;
  Input input{};
  crypto::Digest hash{};
  bool readable = true;
  std::size_t bytes = 0;  // about what it holds in memory: its input, and its events twice
  FileOutcome outcome{};
  std::optional<Error> error{};  // end: why the walk stopped
  std::promise<void> handled{};  // streamed: set when the recording thread is done with it
};

// The bounded queue between the two threads: at most 512 files or 32 MiB of input and what was
// made of it waiting (and always one), so memory does not grow when reading runs ahead of
// recording, while reading goes on when recording stops for a moment (a commit). Items the
// recording thread is done with come back to be freed by the reading thread, which has time to
// spare and allocated them (freeing in another thread costs the allocator a lock).
class Pipe {
 public:
  // False when the recording side gave up.
  bool push(Item item) {
    std::vector<Item> done;
    std::unique_lock lock(mutex_);
    space_.wait(lock, [&] {
      return cancelled_ || queue_.empty() || (queue_.size() < 512 && bytes_ < (32u << 20));
    });
    if (cancelled_) return false;
    bytes_ += item.bytes;
    queue_.push_back(std::move(item));
    done.swap(done_);
    done_bytes_ = 0;
    ready_.notify_one();
    lock.unlock();
    return true;  // `done` freed here, outside the lock
  }
  void give_back(Item item) {
    std::vector<Item> freed;
    std::lock_guard lock(mutex_);
    done_bytes_ += item.bytes;
    done_.push_back(std::move(item));
    // Should the reading thread be busy for long without handing a file over (learning a bulk
    // file's Patients, waiting for a streamed file), this thread frees them past a bound.
    if (done_bytes_ > (8u << 20)) {
      freed.swap(done_);
      done_bytes_ = 0;
    }
  }
  Item pop() {
    std::unique_lock lock(mutex_);
    ready_.wait(lock, [&] { return !queue_.empty(); });
    Item item = std::move(queue_.front());
    queue_.pop_front();
    bytes_ -= item.bytes;
    space_.notify_one();
    return item;
  }
  void cancel() {
    std::lock_guard lock(mutex_);
    cancelled_ = true;
    queue_.clear();
    space_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable space_, ready_;
  std::deque<Item> queue_;
  std::vector<Item> done_;
  std::size_t bytes_ = 0, done_bytes_ = 0;
  bool cancelled_ = false;
};

}  // namespace

Result<IngestSummary> ingest_paths(BatchStore& store, const std::vector<fs::path>& inputs,
                                   const std::string& institution,
                                   const std::function<void(const IngestProgress&)>& progress,
                                   const std::function<Status(const IngestSummary&)>& on_finish) {
  // Every input must be there before anything is taken in.
  for (const auto& input : inputs) {
    std::error_code ec;
    if (!fs::is_directory(input, ec) && !fs::is_regular_file(input, ec)) return missing(input);
  }
  // Groups are committed without waiting for the disk: killing the process loses nothing
  // committed, and a power cut may lose the last groups, whose files the next run reads again
  // (a file is known by its content only once committed). The batch is closed by a commit that
  // waits, which makes everything before it durable before the run reports it. (Not when called
  // inside the caller's transaction, which commits as it chooses.)
  const bool relaxed = store.set_commit_waits_for_disk(false).has_value();
  struct WaitAgain {
    BatchStore& store;
    bool relaxed;
    ~WaitAgain() {
      if (relaxed) (void)store.set_commit_waits_for_disk(true);
    }
  } wait_again{store, relaxed};
  IngestSummary summary;  // the batch is opened when the first new file arrives
  fhir::Reader fhir_reader(institution);
  std::atomic<std::size_t> counted{0};  // files found by the first walk, once it is over

  IngestProgress done;
  auto advance = [&] {
    ++done.files_done;
    done.files_total = counted;
    if (progress) progress(done);
  };
  // Files are committed in groups (each still whole or absent after a crash; a group cut short
  // is read again on the next run).
  constexpr std::size_t kGroupFiles = 2000;
  constexpr auto kGroupTime = std::chrono::milliseconds(1000);
  std::optional<store::Transaction> group;
  auto group_started = std::chrono::steady_clock::now();
  std::size_t in_group = 0;
  auto open_group = [&]() -> Status {
    if (summary.batch_id == 0) {
      // Outside any transaction: it may create data keys.
      TKM_ASSIGN_OR_RETURN(summary.batch_id, store.open_batch(institution));
    }
    if (!group) {
      TKM_ASSIGN_OR_RETURN(store::Transaction tx, store.begin_group());
      group.emplace(std::move(tx));
      group_started = std::chrono::steady_clock::now();
      in_group = 0;
    }
    return ok();
  };
  auto file_done = [&](bool recorded) -> Status {
    if (!recorded) ++summary.files_already_taken;
    if (++in_group >= kGroupFiles ||
        std::chrono::steady_clock::now() - group_started > kGroupTime) {
      TKM_RETURN_IF_ERROR(group->commit());
      group.reset();
    }
    advance();
    return ok();
  };
  // A file read whole, into the current group.
  auto record_whole = [&](const crypto::Digest& hash, const FileOutcome& outcome) -> Status {
    TKM_RETURN_IF_ERROR(open_group());
    TKM_ASSIGN_OR_RETURN(bool recorded,
                         store.record(summary.batch_id, institution, hash, outcome, summary));
    return file_done(recorded);
  };
  // A bulk NDJSON, claims or EF file, part by part, in one transaction of its own.
  auto record_streamed = [&](const Input& f) -> Status {
    auto hashed = hash_file(f.file);
    if (!hashed) {
      // Unreadable (gone since the walk found it): quarantined, as a small file would be.
      FileOutcome outcome{.path = f.relative.generic_string(),
                          .kind = FileOutcome::Kind::quarantined};
      outcome.problems.push_back(hashed.error());
      return record_whole(crypto::sha256(as_bytes(f.file.string())), outcome);
    }
    const crypto::Digest hash = *hashed;
    TKM_ASSIGN_OR_RETURN(bool taken, store.already_taken(institution, hash));
    if (taken) {
      ++summary.files_already_taken;
      advance();
      return ok();
    }
    if (group) {
      TKM_RETURN_IF_ERROR(group->commit());
      group.reset();
    }
    TKM_RETURN_IF_ERROR(open_group());
    const std::string path = f.relative.generic_string();
    std::optional<receipt::UkeParts> claims;
    std::optional<receipt::EfParts> ef;
    std::optional<fhir::BundleParts> bundle;
    if (f.form == Form::uke) claims.emplace(path, institution);
    if (f.form == Form::dpc_ef) ef.emplace(path, institution);
    if (f.form == Form::fhir && !ndjson_file(f.file)) bundle.emplace(fhir_reader, path);
    FileParts parts(f.file, bundle ? FileParts::Cuts::json : FileParts::Cuts::lines);
    FileOutcome outcome;
    // The next part through the reader of the file's form; `last` completes what the end of
    // the file completes (the claim still open, the Bundle's end, an empty file).
    auto read_part = [&](std::string_view part, bool last) {
      const int lines = parts.lines_before();
      const std::int64_t before = parts.bytes_before();
      if (claims) return claims->read(part, lines, before, last);
      if (ef) return ef->read(part, lines, before, last);
      if (bundle) return bundle->read(part, lines, before, last);
      return fhir_reader.read_ndjson_part(path, part, lines, before);
    };
    bool ended = false;
    TKM_ASSIGN_OR_RETURN(
        bool recorded, store.record_parts(
                           summary.batch_id, institution, hash, path,
                           [&]() -> Result<const FileOutcome*> {
                             if (ended) return nullptr;
                             TKM_ASSIGN_OR_RETURN(std::string_view part, parts.next());
                             if (part.empty()) {
                               ended = true;
                               if (parts.digest() != hash) {
                                 return fail(
                                     Errc::io,
                                     {fmt::format("{} が読み込み中に変わりました", f.file.string()),
                                      fmt::format("{} changed while it was read", f.file.string())},
                                     Location{.file = f.file.string()});
                               }
                               if (!claims && !ef && !bundle) {
                                 return nullptr;  // NDJSON lines need no ending
                               }
                             }
                             outcome = read_part(part, ended);
                             return &outcome;
                           },
                           summary));
    in_group = kGroupFiles;  // committed on its own
    return file_done(recorded);
  };

  // One thread walks, reads, hashes and parses files; this one records them, in the order given.
  // The first walk hands over every file but the FHIR ones, whose Patients it learns; a second
  // walk, only when there were FHIR files, hands those over, so that a reference resolves
  // whichever file holds its Patient. A bulk file read in parts is read and recorded here while
  // the walking thread waits (the FHIR reader is never used by both at once).
  Pipe pipe;
  std::thread reading([&] {
    auto hand_over = [&](const Input& f) -> Status {
      Item item{.input = f};
      item.input.folder = AT_FDCWD;  // closed once the walk moves on
      if (streamed(f)) {
        item.kind = Item::Kind::streamed;
        std::future<void> handled = item.handled.get_future();
        if (!pipe.push(std::move(item))) return fail(Errc::internal, {"中止", "stopped"});
        handled.wait();
        return ok();
      }
      const std::string path = f.relative.generic_string();
      auto bytes = f.read();
      if (!bytes) {
        item.readable = false;
        item.outcome = {.path = path, .kind = FileOutcome::Kind::quarantined};
        item.outcome.problems.push_back(bytes.error());
        item.hash = crypto::sha256(as_bytes(f.file.string()));
      } else {
        // Read before knowing whether the same content was taken in already (only the recording
        // thread may ask the store); such a file is then just counted.
        item.bytes = bytes->size();
        item.hash = crypto::sha256(as_bytes(*bytes));
        switch (f.form) {
          case Form::ssmix2:
            item.outcome = ssmix2::read_storage_bytes(f.relative, *bytes, institution);
            break;
          case Form::fhir:
            item.outcome = fhir_reader.read(path, *bytes);
            break;
          case Form::uke:
            item.outcome = receipt::read_uke(path, *bytes, institution);
            break;
          case Form::dpc_ef:
            item.outcome = receipt::read_dpc_ef(path, *bytes, institution);
            break;
          case Form::unknown:
            item.outcome = {.path = path, .kind = FileOutcome::Kind::not_read};
            item.outcome.problems.emplace_back(
                Errc::invalid_argument,
                Text{"SS-MIX2、FHIR (.json, .ndjson)、レセプト (.UKE)、DPC EF (EFn_….txt) の"
                     "どれでもありません",
                     "neither SS-MIX2, FHIR (.json, .ndjson), claims (.UKE) nor DPC EF "
                     "(EFn_….txt)"},
                Location{.file = path});
            break;
        }
        // The records the store seals, made here while the recording thread stores.
        if (item.outcome.kind == FileOutcome::Kind::read) {
          item.outcome.records = encode_events(item.outcome.extract);
          // What the item holds: its bytes, and its events twice (records, model).
          item.bytes += 2 * item.outcome.records.text.size();
        }
      }
      if (!pipe.push(std::move(item))) return fail(Errc::internal, {"中止", "stopped"});
      return ok();
    };
    std::size_t files = 0;
    bool fhir_files = false;
    Status walked = for_each_input(inputs, [&](const Input& f) -> Status {
      ++files;
      if (f.form != Form::fhir) return hand_over(f);
      fhir_files = true;
      if (streamed(f)) {
        std::optional<fhir::BundleParts> bundle;
        if (!ndjson_file(f.file)) bundle.emplace(fhir_reader, f.relative.generic_string());
        FileParts parts(f.file, bundle ? FileParts::Cuts::json : FileParts::Cuts::lines);
        for (;;) {
          auto part = parts.next();
          if (!part) break;  // unreadable: reported when handed over
          if (bundle) {
            bundle->learn(*part, part->empty());
          } else {
            fhir_reader.learn_patients(*part);
          }
          if (part->empty()) break;
        }
      } else if (auto bytes = f.read()) {
        fhir_reader.learn_patients(*bytes);
      }
      return ok();
    });
    counted = files;
    if (walked && fhir_files) {
      walked = for_each_input(inputs, [&](const Input& f) -> Status {
        return f.form == Form::fhir ? hand_over(f) : ok();
      });
    }
    Item last{.kind = Item::Kind::end};
    if (!walked) last.error = walked.error();
    pipe.push(std::move(last));
  });
  struct Join {
    Pipe& pipe;
    std::thread& thread;
    ~Join() {
      pipe.cancel();
      thread.join();
    }
  } join{pipe, reading};

  for (;;) {
    Item item = pipe.pop();
    if (item.kind == Item::Kind::end) {
      if (item.error) return std::unexpected(std::move(*item.error));
      break;
    }
    if (item.kind == Item::Kind::streamed) {
      const Status recorded = record_streamed(item.input);
      item.handled.set_value();
      TKM_RETURN_IF_ERROR(recorded);
      continue;
    }
    // Until a batch is open, a file taken in before must not open one; after, record() finds out
    // itself (and writes nothing).
    if (item.readable && summary.batch_id == 0) {
      TKM_ASSIGN_OR_RETURN(bool taken, store.already_taken(institution, item.hash));
      if (taken) {
        ++summary.files_already_taken;
        advance();
        continue;
      }
    }
    TKM_RETURN_IF_ERROR(record_whole(item.hash, item.outcome));
    pipe.give_back(std::move(item));
  }
  if (group) TKM_RETURN_IF_ERROR(group->commit());
  if (summary.batch_id == 0) {
    // Nothing new, but an earlier run may have been stopped after its last file and before
    // finishing its batch: finish that one now.
    TKM_ASSIGN_OR_RETURN(std::optional<std::int64_t> unfinished,
                         store.unfinished_batch(institution));
    summary.batch_id = unfinished.value_or(0);
  }
  if (relaxed) {
    TKM_RETURN_IF_ERROR(store.set_commit_waits_for_disk(true));
    wait_again.relaxed = false;
  }
  if (summary.batch_id != 0) {
    TKM_ASSIGN_OR_RETURN(store::Transaction finish, store.begin_group());
    TKM_ASSIGN_OR_RETURN(summary.batch_files, store.finish_batch(summary.batch_id));
    if (on_finish) TKM_RETURN_IF_ERROR(on_finish(summary));
    TKM_RETURN_IF_ERROR(finish.commit());
  }
  return summary;
}

}  // namespace tokumei::ingest
