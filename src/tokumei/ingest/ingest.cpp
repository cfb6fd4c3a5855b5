#include "tokumei/ingest/ingest.h"

#include <fmt/format.h>

#include <algorithm>

#include "tokumei/base/files.h"
#include "tokumei/ingest/fhir/reader.h"
#include "tokumei/ingest/receipt/uke.h"
#include "tokumei/ingest/ssmix2/reader.h"

namespace tokumei::ingest {
namespace fs = std::filesystem;
namespace {

enum class Form { ssmix2, fhir, uke, unknown };

struct Input {
  fs::path file;      // to read
  fs::path relative;  // SS-MIX2: relative to the storage root; else the file's name
  Form form = Form::unknown;
};

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

Form form_of(const fs::path& file, const fs::path& relative) {
  const std::string ext = lower(file.extension().string());
  if (ext == ".json" || ext == ".ndjson") return Form::fhir;
  if (ext == ".uke") return Form::uke;
  const std::string name = file.filename().string();
  if (ext.empty() && std::distance(relative.begin(), relative.end()) >= 6 &&
      std::count(name.begin(), name.end(), '_') == 6) {
    return Form::ssmix2;
  }
  return Form::unknown;
}

// An SS-MIX2 file's path within its storage: the last six parts (the storage root may be
// anywhere above them).
fs::path storage_relative(const fs::path& relative) {
  std::vector<fs::path> parts(relative.begin(), relative.end());
  fs::path out;
  for (std::size_t i = parts.size() - 6; i < parts.size(); ++i) out /= parts[i];
  return out;
}

}  // namespace

Result<IngestSummary> ingest_paths(BatchStore& store, const std::vector<fs::path>& inputs,
                                   const std::string& institution,
                                   const std::function<void(const IngestProgress&)>& progress) {
  // Every file, in a stable order.
  std::vector<Input> files;
  for (const auto& input : inputs) {
    std::error_code ec;
    if (fs::is_directory(input, ec)) {
      std::vector<fs::path> found;
      for (fs::recursive_directory_iterator it(input, ec), end; !ec && it != end;
           it.increment(ec)) {
        if (it->is_regular_file(ec)) found.push_back(it->path());
      }
      if (ec) {
        return fail(Errc::io,
                    {fmt::format("{} を読めません: {}", input.string(), ec.message()),
                     fmt::format("cannot walk {}: {}", input.string(), ec.message())},
                    Location{.file = input.string()});
      }
      std::sort(found.begin(), found.end());
      for (auto& f : found) {
        fs::path relative = f.lexically_relative(input);
        const Form form = form_of(f, relative);
        files.push_back({f, form == Form::ssmix2 ? storage_relative(relative) : relative, form});
      }
    } else if (fs::is_regular_file(input, ec)) {
      files.push_back({input, input.filename(), form_of(input, input.filename())});
    } else {
      return fail(Errc::not_found,
                  {fmt::format("{} がありません", input.string()),
                   fmt::format("{} does not exist", input.string())},
                  Location{.file = input.string()});
    }
  }

  // The batch is opened when the first new file arrives: a run with nothing new makes none.
  IngestSummary summary;
  fhir::Reader fhir_reader(institution);
  for (const auto& f : files) {
    if (f.form != Form::fhir) continue;
    if (auto bytes = read_file(f.file)) fhir_reader.learn_patients(*bytes);
  }

  IngestProgress done{.files_total = files.size()};
  for (const auto& f : files) {
    FileOutcome outcome;
    auto bytes = read_file(f.file);
    crypto::Digest hash{};
    if (!bytes) {
      outcome = {.path = f.relative.generic_string(), .kind = FileOutcome::Kind::quarantined};
      outcome.problems.push_back(bytes.error());
      hash = crypto::sha256(as_bytes(f.file.string()));
    } else {
      hash = crypto::sha256(as_bytes(*bytes));
      TKM_ASSIGN_OR_RETURN(bool taken, store.already_taken(institution, hash));
      if (taken) {
        ++summary.files_already_taken;
        ++done.files_done;
        if (progress) progress(done);
        continue;
      }
      switch (f.form) {
        case Form::ssmix2:
          outcome = ssmix2::read_storage_bytes(f.relative, *bytes, institution);
          break;
        case Form::fhir:
          outcome = fhir_reader.read(f.relative.generic_string(), *bytes);
          break;
        case Form::uke:
          outcome = receipt::read_uke(f.relative.generic_string(), *bytes, institution);
          break;
        case Form::unknown:
          outcome = {.path = f.relative.generic_string(), .kind = FileOutcome::Kind::not_read};
          outcome.problems.emplace_back(
              Errc::invalid_argument,
              Text{"SS-MIX2、FHIR (.json, .ndjson)、レセプト (.UKE) のどれでもありません",
                   "neither SS-MIX2, FHIR (.json, .ndjson) nor claims (.UKE)"},
              Location{.file = f.relative.generic_string()});
          break;
      }
    }
    if (summary.batch_id == 0) {
      TKM_ASSIGN_OR_RETURN(summary.batch_id, store.open_batch(institution));
    }
    TKM_ASSIGN_OR_RETURN(bool recorded,
                         store.record(summary.batch_id, institution, hash, outcome, summary));
    if (!recorded) ++summary.files_already_taken;
    ++done.files_done;
    if (progress) progress(done);
  }
  if (summary.batch_id != 0) TKM_RETURN_IF_ERROR(store.finish_batch(summary.batch_id));
  return summary;
}

}  // namespace tokumei::ingest
