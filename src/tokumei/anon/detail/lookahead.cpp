#include "tokumei/anon/detail/lookahead.h"

#include <chrono>
#include <utility>

namespace tokumei::anon::detail {
namespace {

// Waits until `ready(state)`: spinning first, for a short while, then asleep. Hand-overs come
// every few hundred microseconds during a search, and waking a sleeping thread (an idle virtual
// processor) can take about as long.
template <class Ready>
void spin_then_wait(const std::atomic<int>& state, Ready ready) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(300);
  for (int i = 1;; ++i) {
    if (ready(state.load(std::memory_order_acquire))) return;
    if (i % 64 == 0 && std::chrono::steady_clock::now() > until) break;
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }
  while (true) {
    const int now = state.load(std::memory_order_acquire);
    if (ready(now)) return;
    state.wait(now, std::memory_order_acquire);
  }
}

}  // namespace

Lookahead::Lookahead(const Problem& p) : p_(p), thread_([this] { work(); }) {}

Lookahead::~Lookahead() {
  spin_then_wait(state_, [](int s) { return s != kStarted; });
  state_.store(kStop, std::memory_order_release);
  state_.notify_all();
  thread_.join();
}

void Lookahead::start(Evaluation e) {
  task_ = std::move(e);
  state_.store(kStarted, std::memory_order_release);
  state_.notify_all();
}

Evaluation Lookahead::wait() {
  spin_then_wait(state_, [](int s) { return s == kDone; });
  state_.store(kIdle, std::memory_order_relaxed);
  if (failure_) std::rethrow_exception(std::exchange(failure_, nullptr));
  return std::move(task_);
}

void Lookahead::work() {
  while (true) {
    spin_then_wait(state_, [](int s) { return s == kStarted || s == kStop; });
    if (state_.load(std::memory_order_acquire) == kStop) return;
    try {
      run(p_, task_, scratch_);
    } catch (...) {
      failure_ = std::current_exception();
    }
    state_.store(kDone, std::memory_order_release);
    state_.notify_all();
  }
}

}  // namespace tokumei::anon::detail
