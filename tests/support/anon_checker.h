#pragma once
// An independent check of anonymized releases, for the anonymizer's tests. It shares no code with
// the engine's search or evaluation (nothing from anon/detail, no anonymize/evaluate): it reads
// the released table as strings, groups rows by their quasi-identifier values with std::map and
// judges every equivalence class against the privacy model by the textbook definitions:
//
//   k-anonymity            class size ≥ k
//   distinct ℓ-diversity   at least ℓ distinct sensitive values
//   entropy ℓ-diversity    −Σ p·ln p ≥ ln ℓ
//   recursive (c,ℓ)        r1 < c·(rℓ + … + rm), frequencies sorted descending
//   t-closeness (equal)    ½·Σ|p − q| ≤ t against the whole input's distribution
//   t-closeness (hier.)    Earth Mover's Distance with ground distance (level where two values
//                          meet) / (hierarchy height − 1), by the closed form for tree metrics:
//                          Σ over the hierarchy's edges of |mass imbalance below| / (2·(height −
//                          1))
//   highest risk           1 / class size ≤ threshold
//   average risk           released classes / released rows ≤ threshold
//   suppression            suppressed rows ≤ floor(limit · rows)
//
// Comparisons allow 1e-9 of rounding, always in the release's favour: a class exactly at a
// threshold is accepted whichever way the engine rounded.

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "tokumei/anon/hierarchy.h"
#include "tokumei/anon/privacy_model.h"
#include "tokumei/anon/table.h"

namespace tokumei::anon::checker {

// What a released table must satisfy.
struct Requirements {
  std::vector<std::string> quasi_identifiers;  // column names
  // k, ℓ-diversity (every variant), t-closeness, the risk thresholds and the suppression limit.
  // Each criterion names its sensitive column.
  PrivacyModel model;
  std::size_t original_rows = 0;
  // The input table, when available: t-closeness then compares with its distribution (otherwise
  // with the distribution of all released rows, suppressed ones included).
  const Table* original = nullptr;
  // The hierarchy of each sensitive column under hierarchical t-closeness (a criterion without
  // one is reported as a violation).
  std::map<std::string, const GeneralizationHierarchy*> sensitive_hierarchies{};
};

// Every way `released` breaks `r`, as readable strings; empty when it satisfies them.
//
// A row whose quasi-identifiers are all "*" counts as suppressed. Those rows look alike to anyone
// reading the release, so when they are more than the suppression limit allows they are accepted
// only if, taken as one class, they satisfy the model themselves (the release at the top of every
// hierarchy, nothing suppressed).
std::vector<std::string> check_release(const Table& released, const Requirements& r);

// A quasi-identifier and its hierarchy, for the independent evaluation below.
struct QuasiIdentifier {
  std::string column;
  const GeneralizationHierarchy* hierarchy = nullptr;
};

// Verifies that `released` is `original` under the full-domain generalization `levels`: the
// identifying columns are gone, the other columns are in order, every kept non-QI value is
// unchanged, and every quasi-identifier is either the level's label of the original value or,
// for a suppressed row, "*" in all of them. Returns the differences (first few only).
std::vector<std::string> check_generalization(const Table& original, const Table& released,
                                              const std::vector<QuasiIdentifier>& qis,
                                              const std::vector<std::string>& identifying,
                                              const std::vector<int>& levels);

// The independent verdict on one transformation of `original`: the classes that fail the model
// are suppressed. Classes within rounding of a threshold are "borderline": suppressed_min counts
// them as passing, suppressed_max as failing, so an engine that rounds either way must report a
// number between the two.
struct Verdict {
  std::size_t rows = 0;
  std::size_t classes = 0;  // all classes, failing ones included
  std::size_t suppressed_min = 0, suppressed_max = 0;
  std::size_t limit_rows = 0;  // floor(limit · rows)
  bool certain() const { return suppressed_min == suppressed_max; }
  // Whether the model holds with the allowed suppression: certain when both bounds agree.
  bool surely_satisfies = false;
  bool surely_fails = false;
  // With certain() only: utility metrics computed from scratch (see the engine's definitions in
  // privacy_model.h). precision: mean generalization height, a suppressed row counting as fully
  // generalized. discernibility: Σ size² over released classes + suppressed · rows.
  // average_class_size: rows / (released classes + 1 if anything is suppressed).
  double precision = 0;
  double discernibility = 0;
  double average_class_size = 0;
};
Verdict judge_transformation(
    const Table& original, const std::vector<QuasiIdentifier>& qis, const std::vector<int>& levels,
    const PrivacyModel& model,
    const std::map<std::string, const GeneralizationHierarchy*>& sensitive_hierarchies = {});

}  // namespace tokumei::anon::checker
