#pragma once
// `tokumei ingest`: takes folders and files from one institution into a batch. Each file is read
// by the reader its form calls for — an SS-MIX2 standardized-storage tree (files without an
// extension, named PID_date_type_order_time_dept_flag, six or more levels below the folder given:
// the last six parts of the path are its place in the storage), FHIR (.json, .ndjson), claims
// (.UKE), DPC EF files (EFn_….txt) — and
// recorded by the BatchStore; anything else is recorded as not read. Files are handled one at a
// time (large NDJSON, claims and EF files in parts), so memory does not grow with the input; a
// second thread reads and parses while the calling thread records.

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "tokumei/ingest/batch.h"

namespace tokumei::ingest {

struct IngestProgress {
  std::size_t files_done = 0;
  std::size_t files_total = 0;  // 0 until the inputs have all been walked once
};

// Ingests `inputs` (folders or files) for `institution` into the institution's open batch and
// closes it (pending); when every file was taken in before, no batch is made (batch_id 0) unless
// an earlier, stopped run left one unfinished, which is then closed. Fails
// only when an input does not exist or the store fails; everything wrong with the files themselves
// is in the summary and the quarantine. `on_finish` runs inside the transaction that closes the
// batch, so what it writes (the audit record of the reception) exists exactly when the batch is
// closed, whatever stopped earlier runs.
Result<IngestSummary> ingest_paths(
    BatchStore& store, const std::vector<std::filesystem::path>& inputs,
    const std::string& institution, const std::function<void(const IngestProgress&)>& progress = {},
    const std::function<Status(const IngestSummary&)>& on_finish = {});

}  // namespace tokumei::ingest
