#include "tokumei/audit/group_writer.h"

#include <vector>

namespace tokumei::audit {

GroupWriter::GroupWriter(AuditLog& log, std::size_t max_batch)
    : log_(&log), max_batch_(max_batch == 0 ? 1 : max_batch), thread_([this] { run(); }) {}

GroupWriter::~GroupWriter() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

std::future<Result<std::int64_t>> GroupWriter::submit(Entry entry) {
  Pending p{std::move(entry), {}};
  auto future = p.done.get_future();
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(p));
  }
  wake_.notify_one();
  return future;
}

void GroupWriter::run() {
  std::deque<Pending> batch;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and nothing left
      std::size_t n = std::min(queue_.size(), max_batch_);
      for (std::size_t i = 0; i < n; ++i) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    write(batch);
    batch.clear();
  }
}

void GroupWriter::write(std::deque<Pending>& batch) {
  auto fail_all = [&](const Error& e) {
    for (auto& p : batch) p.done.set_value(std::unexpected(e));
  };
  std::vector<Entry> entries;
  entries.reserve(batch.size());
  for (auto& p : batch) entries.push_back(std::move(p.entry));
  auto tx = log_->database().begin();
  if (!tx) return fail_all(tx.error());
  auto results = log_->append_all(*tx, entries);
  if (!results) return fail_all(results.error());  // the transaction rolls back
  if (auto committed = tx->commit(); !committed) return fail_all(committed.error());
  for (std::size_t i = 0; i < batch.size(); ++i) batch[i].done.set_value(std::move((*results)[i]));
}

}  // namespace tokumei::audit
