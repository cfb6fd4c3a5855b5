#pragma once
// Privacy models (プライバシーモデル) a released table must satisfy, and the utility metrics by
// which the least-distorting transformation is chosen. The definitions follow ARX, so a
// statistician gets the same answer from Tokumei as from ARX for the same settings.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tokumei::anon {

// ℓ-diversity of a sensitive attribute within every equivalence class.
struct LDiversity {
  enum class Variant {
    distinct,   // at least ℓ distinct values
    entropy,    // entropy of the values (natural log) at least ln ℓ
    recursive,  // recursive (c,ℓ): r1 < c·(rℓ + … + rm), r sorted by frequency, descending
  };
  std::string attribute;
  Variant variant = Variant::distinct;
  double l = 2;
  double c = 0;  // recursive only
};

// t-closeness: the distance between the sensitive attribute's distribution in every class and in
// the whole table is at most t (Earth Mover's Distance).
struct TCloseness {
  enum class Distance {
    equal,         // every pair of different values is distance 1 apart
    hierarchical,  // distance by the level at which two values meet in the attribute's hierarchy
  };
  std::string attribute;
  Distance distance = Distance::equal;
  double t = 0.2;
};

struct PrivacyModel {
  int k = 0;  // k-anonymity; 0 or 1 means none
  std::vector<LDiversity> l_diversity;
  std::vector<TCloseness> t_closeness;
  // Thresholds on the prosecutor re-identification risk of the released rows (0 = none).
  // Highest: 1 / smallest class size. Average: released classes / released rows.
  double highest_risk = 0;
  double average_risk = 0;
  // Fraction of rows that may be suppressed (0 ≤ limit ≤ 1). At most floor(limit · rows).
  double suppression_limit = 0;
};

enum class Metric {
  loss,                // ARX's default "Loss": generalization share, suppression counted as 1
  entropy,             // non-uniform entropy
  discernibility,      // Σ class size² (suppressed rows: size × rows)
  average_class_size,  // rows / classes
  precision,           // mean generalization height (Sweeney's Prec)
};

struct MetricSpec {
  Metric metric = Metric::loss;
  // Loss only: weight of generalization against suppression (0.5 = equal, ARX's default).
  double gs_factor = 0.5;
};

std::string_view metric_name(Metric m);
std::optional<Metric> parse_metric(std::string_view name);

}  // namespace tokumei::anon
