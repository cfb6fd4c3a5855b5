#pragma once
// Group commit for the audit log: many threads hand in entries, one writer thread appends whatever
// has queued up in one transaction and makes it durable with one disk write, then tells each
// submitter its sequence number. Under load, the cost of the disk write is shared by the batch.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <future>
#include <mutex>
#include <thread>

#include "tokumei/audit/audit_log.h"

namespace tokumei::audit {

class GroupWriter {
 public:
  // Uses `log` and its database connection from the writer thread only, until destroyed: nothing
  // else may use that connection meanwhile.
  explicit GroupWriter(AuditLog& log, std::size_t max_batch = 4096);
  // Writes everything already submitted, then stops.
  ~GroupWriter();
  GroupWriter(const GroupWriter&) = delete;
  GroupWriter& operator=(const GroupWriter&) = delete;

  // Queues `entry`; the future gives its sequence number once it is on disk, or why it is not
  // (an entry refused by AuditLog::append fails alone; a database error fails its whole batch).
  std::future<Result<std::int64_t>> submit(Entry entry);

 private:
  struct Pending {
    Entry entry;
    std::promise<Result<std::int64_t>> done;
  };
  void run();
  void write(std::deque<Pending>& batch);

  AuditLog* log_;
  std::size_t max_batch_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Pending> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace tokumei::audit
