#include <gtest/gtest.h>

#include <cstdio>

#include "support/test_support.h"
#include "tokumei/anon/anonymizer.h"
using namespace tokumei::anon;
TEST(Scratch, Adult) {
  auto dir = tokumei::testing::shared_data_dir() / "arx";
  auto t = read_table(dir / "adult.csv");
  ASSERT_TRUE(t) << t.error().describe();
  struct Case {
    std::vector<std::string> qis;
    int k;
    double supp;
    Metric m;
    int l;
  };
  std::vector<std::string> nine{
      "sex",       "age",        "race",        "marital-status", "education", "native-country",
      "workclass", "occupation", "salary-class"};
  std::vector<std::string> eight{
      "sex",       "age",         "race", "marital-status", "education", "native-country",
      "workclass", "salary-class"};
  std::vector<Case> cases{{nine, 5, 0.04, Metric::entropy, 0}, {nine, 5, 0.0, Metric::entropy, 0},
                          {eight, 5, 0.0, Metric::loss, 0},    {eight, 5, 0.05, Metric::loss, 0},
                          {eight, 0, 0.05, Metric::loss, 2},   {eight, 0, 0.05, Metric::loss, 3}};
  if (getenv("ONLY")) {
    int i = atoi(getenv("ONLY"));
    cases = {cases[i]};
  }
  for (int rep = 0; rep < (getenv("REP") ? atoi(getenv("REP")) : 1); ++rep)
    for (auto& c : cases) {
      AnonymizationSpec spec;
      for (auto& name : nine) {
        AttributeSpec a{.column = name};
        if (std::find(c.qis.begin(), c.qis.end(), name) != c.qis.end()) {
          a.role = AttributeRole::quasi_identifying;
          auto h = GeneralizationHierarchy::read(dir / ("adult_hierarchy_" + name + ".csv"));
          ASSERT_TRUE(h) << h.error().describe();
          a.hierarchy = std::move(*h);
        } else
          a.role = AttributeRole::sensitive;
        spec.attributes.push_back(std::move(a));
      }
      spec.model.k = c.k;
      spec.model.suppression_limit = c.supp;
      spec.metric.metric = c.m;
      if (c.l) spec.model.l_diversity.push_back({.attribute = "occupation", .l = double(c.l)});
      auto r = anonymize(*t, spec);
      ASSERT_TRUE(r) << r.error().describe();
      std::string lv;
      for (int l : r->best.levels) lv += std::to_string(l) + ",";
      std::printf(
          "found=%d levels=%s il=%.17g supp=%zu eval=%zu pruned=%zu rolled=%zu time=%.3fms\n",
          r->found, lv.c_str(), r->best.information_loss, r->best.suppressed_rows,
          r->statistics.evaluated, r->statistics.pruned, r->statistics.classes_rolled_up,
          r->statistics.elapsed.count() / 1e6);
    }
}
