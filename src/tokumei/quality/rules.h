#pragma once
// The quality check rules (QUALITY-01..03, 07): each rule is data — a stable ID, a version, a
// Japanese and an English description, a severity, and whether an open finding blocks the batch's
// acquisition. Changing what a rule does means a new version; the registry in the store keeps
// every version with the time it was first used, so findings say which version found them.

#include <string>
#include <string_view>
#include <vector>

#include "tokumei/base/error.h"

namespace tokumei::quality {

enum class Severity { error, warning };
std::string_view severity_name(Severity s);

struct Rule {
  std::string_view id;  // "date.before_birth"
  int version = 1;
  Severity severity = Severity::error;
  bool blocking = true;
  Text description;
};

// Every rule the checker runs, in the order reports list them.
const std::vector<Rule>& rules();
// The rule with this ID; nullptr when there is none.
const Rule* find_rule(std::string_view id);

// Rule IDs.
namespace rule {
inline constexpr std::string_view before_birth = "date.before_birth";
inline constexpr std::string_view after_death = "date.after_death";
inline constexpr std::string_view future = "date.future";
inline constexpr std::string_view after_extraction = "date.after_extraction";
inline constexpr std::string_view discharge_before_admission =
    "encounter.discharge_before_admission";
inline constexpr std::string_view outside_encounter = "encounter.order_outside";
inline constexpr std::string_view several_names = "identity.several_names";
inline constexpr std::string_view conflicting_demographics = "identity.conflicting_demographics";
inline constexpr std::string_view orphan_id = "identity.orphan_id";
inline constexpr std::string_view duplicate = "event.duplicate";
inline constexpr std::string_view invalid_code = "code.invalid";
inline constexpr std::string_view not_notified = "consent.not_notified";
}  // namespace rule

// Whether `code` has the shape its code system requires: ICD10 (a letter, two digits, up to four
// more characters, an optional dot), JLAC10/JC10 (17 letters or digits), HOT9 (9 digits), HOT13
// (13), YJ (12 letters or digits), MDCDX2 (8 digits), claims codes (claims-disease 7 digits,
// claims-procedure and claims-drug 9). Systems not listed are not checked (true).
bool valid_code(std::string_view system, std::string_view code);

}  // namespace tokumei::quality
