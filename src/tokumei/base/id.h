#pragma once
// Identifiers: 26-character, time-ordered, Crockford base32 (48-bit millisecond time + 80 random
// bits, the ULID layout), so ids sort by creation and carry no meaning about a person.

#include <string>
#include <string_view>

#include "tokumei/base/clock.h"
#include "tokumei/base/random.h"

namespace tokumei {

std::string new_id(const Clock& clock, Random& random);

// True if `s` has the shape of an id made by new_id.
bool is_id(std::string_view s);

}  // namespace tokumei
