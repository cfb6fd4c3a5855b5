// The search's second thread (detail/lookahead.h): handing an evaluation over and back gives the
// evaluation the search thread would have made, and ending the search while one is under way
// (an exception from the progress callback, say) waits for it instead of hanging.

#include "tokumei/anon/detail/lookahead.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "tokumei/anon/anonymizer.h"
#include "tokumei/anon/detail/problem.h"

namespace tokumei::anon::detail {
namespace {

// Four quasi-identifiers of 1 000 values each (value → tens → hundreds → *), 300 000 random rows:
// nearly every row its own class, so rolling the original classes up takes milliseconds.
struct Large {
  Table table;
  AnonymizationSpec spec;
};

Large large() {
  std::vector<std::vector<std::string>> rows;
  for (int v = 0; v < 1000; ++v) {
    rows.push_back(
        {std::to_string(v), std::to_string(v / 10) + "x", std::to_string(v / 100) + "xx", "*"});
  }
  auto h = GeneralizationHierarchy::from_rows(rows, "numbers");
  EXPECT_TRUE(h);
  std::mt19937_64 random(7);
  std::vector<Column> columns;
  Large l;
  for (int c = 0; c < 4; ++c) {
    Column column{.name = "q" + std::to_string(c)};
    for (int v = 0; v < 1000; ++v) column.dictionary.intern(std::to_string(v));
    column.codes.reserve(300'000);
    for (int r = 0; r < 300'000; ++r) column.codes.push_back(random() % 1000);
    columns.push_back(std::move(column));
    l.spec.attributes.push_back({.column = "q" + std::to_string(c),
                                 .role = AttributeRole::quasi_identifying,
                                 .hierarchy = *h});
  }
  l.table = Table::from_columns(std::move(columns));
  l.spec.model.k = 1;
  l.spec.model.suppression_limit = 1;
  return l;
}

TEST(Lookahead, GivesBackWhatTheSearchThreadWouldHaveComputed) {
  Large l = large();
  auto p = prepare(l.table, l.spec);
  ASSERT_TRUE(p) << p.error().describe(Lang::en);
  Evaluator evaluator(*p, {0, 0, 0, 0});
  const std::vector<int> levels{1, 0, 2, 0};
  auto plan = evaluator.plan(levels);
  ASSERT_TRUE(plan);
  Lookahead lookahead(*p);
  lookahead.start(std::move(*plan));
  Evaluation e = lookahead.wait();
  ASSERT_NE(e.classes, nullptr);
  const Assessment got = e.assessment;
  const Assessment want = Evaluator(*p, {0, 0, 0, 0}).evaluate(levels);
  EXPECT_EQ(got.satisfies, want.satisfies);
  EXPECT_EQ(got.classes, want.classes);
  EXPECT_EQ(got.outliers, want.outliers);
  EXPECT_EQ(got.information_loss, want.information_loss);
  EXPECT_EQ(e.classes->size(), got.classes);
}

// Destroyed while its thread is inside an evaluation (as when the search ends by an exception
// with one under way): the destructor waits for it to finish and returns. Run in a child process
// that an alarm ends if it hangs.
TEST(LookaheadDeathTest, DestroyedDuringAnEvaluationDoesNotHang) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        alarm(30);
        Large l = large();
        auto p = prepare(l.table, l.spec);
        if (!p) std::_Exit(2);
        Evaluator evaluator(*p, {0, 0, 0, 0});
        for (int round = 0; round < 5; ++round) {
          auto plan = evaluator.plan({1, 1, 0, 0});
          if (!plan) std::_Exit(3);
          Lookahead lookahead(*p);
          lookahead.start(std::move(*plan));
          // Let the other thread take the evaluation up (it takes milliseconds).
          std::this_thread::sleep_for(std::chrono::microseconds(500));
        }
        std::_Exit(0);
      },
      ::testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace tokumei::anon::detail
