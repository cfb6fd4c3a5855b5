#pragma once
// Individual Numbers (個人番号, マイナンバー) may not be held by the operator at all, not even of
// the deceased (INTAKE-07): a file that carries one is quarantined before anything of it is
// stored, and the number itself is never written anywhere, not even in the quarantine reason.

#include <optional>
#include <string_view>

namespace tokumei::identity {

// Whether `digits` (exactly 12 ASCII digits) has a valid Individual Number check digit: with
// P(n) the n-th digit from the right of the first eleven and Q(n) = n + 1 (n ≤ 6) or n − 5
// (n ≥ 7), the check digit is 0 when Σ P(n)·Q(n) mod 11 ≤ 1, else 11 minus it.
bool valid_individual_number(std::string_view digits);

// Where an Individual Number appears in UTF-8 `text`: a 12-digit value with a valid check digit,
// written plainly, in 4-4-4 groups with hyphens or spaces, or in full-width digits, standing alone
// (not part of a longer run of digits, letters or hyphens such as an order number or a UUID, nor
// of a decimal number), not readable as a yyyyMMddHHmm timestamp, and not starting with four
// zeros (a zero-padded field).
struct Found {
  std::size_t offset = 0;  // byte offset in the text
  int line = 1;            // line of the text (from 1)
};
std::optional<Found> find_individual_number(std::string_view text);

}  // namespace tokumei::identity
