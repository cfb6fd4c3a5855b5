#pragma once
// `tokumei doctor`: examines a deployment folder and says, in words, what is wrong and how to put
// it right — permissions of the folder and master key, the configuration, the database file and
// schema versions, whether the key ring opens, whether the audit chain verifies, and whether an
// active security officer with a TOTP enrollment exists. It never changes anything.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "tokumei/base/clock.h"
#include "tokumei/base/error.h"
#include "tokumei/base/random.h"

namespace tokumei::zones {

enum class Severity { ok, warning, problem, skipped };  // order used by the CLI's tables

struct Finding {
  std::string check;  // stable identifier: "folder", "config", "master_key", …
  Severity severity;
  Text message;  // what was found
  Text fix;      // what to do (empty when nothing needs doing)
};

struct DoctorOptions {
  std::optional<std::string> passphrase;  // to check a passphrase-protected key ring
};

// Runs every check; later checks that depend on a failed one are reported as skipped.
std::vector<Finding> examine_deployment(const std::filesystem::path& dir,
                                        const DoctorOptions& options, const Clock& clock,
                                        Random& random);

}  // namespace tokumei::zones
