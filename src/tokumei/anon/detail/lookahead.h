#pragma once
// A second thread for the search: it evaluates one transformation while the search thread
// evaluates another (see search.cpp).

#include <atomic>
#include <exception>
#include <thread>

#include "tokumei/anon/detail/evaluator.h"

namespace tokumei::anon::detail {

class Lookahead {
 public:
  explicit Lookahead(const Problem& p);
  // Lets a started evaluation finish first (the search may be ending by an exception).
  ~Lookahead();
  Lookahead(const Lookahead&) = delete;
  Lookahead& operator=(const Lookahead&) = delete;

  // Starts `e` on the other thread; call only when nothing is started or after wait().
  void start(Evaluation e);
  // Waits for the evaluation started last and hands it over (or rethrows what it threw).
  Evaluation wait();

 private:
  static constexpr int kIdle = 0, kStarted = 1, kDone = 2, kStop = 3;
  void work();

  const Problem& p_;
  EvaluationScratch scratch_;
  // Owned by the thread whose turn the state says it is.
  Evaluation task_;
  std::exception_ptr failure_;
  std::atomic<int> state_{kIdle};
  std::thread thread_;  // last: started once the members it uses are
};

}  // namespace tokumei::anon::detail
