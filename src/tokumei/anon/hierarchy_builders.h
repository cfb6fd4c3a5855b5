#pragma once
// Builders that make a GeneralizationHierarchy from the distinct values of a column, for the kinds
// of attribute medical datasets carry, so a job needs no hand-written hierarchy file for them.
// Each returns a hierarchy whose last level is "*". A value the builder cannot read is refused
// with an error naming the value.

#include <string>
#include <string_view>
#include <vector>

#include "tokumei/anon/hierarchy.h"

namespace tokumei::anon {

// Numbers into intervals aligned at `bottom`: level l+1 uses intervals of width widths[l]; each
// width must be a whole multiple of the one before so that intervals nest. Values below `bottom`
// become "<bottom" (bottom coding) and values at or above `top` become ">=top" (top coding) at
// every level above 0. Integer data gets labels like "20-24", other data "[20.5,25.5)".
struct IntervalSpec {
  double bottom = 0;
  double top = 0;
  std::vector<double> widths;
};
Result<GeneralizationHierarchy> build_interval_hierarchy(const std::vector<std::string>& values,
                                                         const IntervalSpec& spec);

// Dates (YYYY-MM-DD, YYYY/MM/DD or YYYYMMDD) → the chosen levels among "month" (2024-03),
// "quarter" (2024-Q1) and "year" (2024), in that order → "*". Empty `levels` means all three.
Result<GeneralizationHierarchy> build_date_hierarchy(const std::vector<std::string>& values,
                                                     std::vector<std::string> levels = {});

// Codes cut to shorter prefixes: `lengths` (strictly decreasing, in characters) gives one level
// each, e.g. {3, 2, 1} makes K297 → K29 → K2 → K → *. Empty means every length from the longest
// value's minus one down to 1.
Result<GeneralizationHierarchy> build_prefix_hierarchy(const std::vector<std::string>& values,
                                                       std::vector<int> lengths = {});

// ICD-10 codes (K297, K29.7, K29) → 3-character category (K29) → chapter by its code range
// (K00-K93) → *.
Result<GeneralizationHierarchy> build_icd10_chapter_hierarchy(
    const std::vector<std::string>& values);

// 全国地方公共団体コード (6 digits with check digit, or 5 without) → prefecture (東京都) →
// region (関東) → *.
Result<GeneralizationHierarchy> build_municipality_hierarchy(
    const std::vector<std::string>& values);

// Prefecture names (東京都) → region (関東地方) → *.
Result<GeneralizationHierarchy> build_prefecture_hierarchy(const std::vector<std::string>& values);
// The prefecture an address starts with ("東京都新宿区…" → "東京都"), or empty when none does.
std::string_view prefecture_of(std::string_view address);

// Masks trailing characters one more at a time (1234 → 123* → 12** → 1*** → ****) → *.
Result<GeneralizationHierarchy> build_masking_hierarchy(const std::vector<std::string>& values);

}  // namespace tokumei::anon
