#pragma once
// Shared pieces of release/*.cpp only.

#include <fmt/format.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "tokumei/audit/audit_log.h"
#include "tokumei/base/error.h"

namespace tokumei::release::detail {

// Appends the audit entry of a change inside the change's transaction.
inline Status log(audit::AuditLog& audit, store::Transaction& tx, const audit::Actor& by,
                  std::string action, std::string object, const nlohmann::json& detail,
                  audit::Outcome outcome = audit::Outcome::success) {
  auto appended = audit.append(tx, {.actor = by,
                                    .action = std::move(action),
                                    .object = std::move(object),
                                    .outcome = outcome,
                                    .detail = detail.dump(),
                                    .subjects = {}});
  if (!appended) return std::unexpected(appended.error());
  return {};
}

// A required free-text field left empty.
inline std::unexpected<Error> required(const std::string& field, const std::string& ja_name,
                                       const std::string& en_name) {
  return fail(Errc::invalid_input,
              {fmt::format("{} ({}) を記入してください", ja_name, field),
               fmt::format("{} ({}) is required", en_name, field)},
              Location{.field = field});
}

// A day written in any form identity::normalize_date reads, as YYYY-MM-DD; a located error naming
// `field` otherwise.
Result<std::string> day_of(const std::string& text, const char* field);

// A provision refused by one of its gates, naming the rule.
inline std::unexpected<Error> refused(const std::string& rule, const std::string& ja,
                                      const std::string& en) {
  return fail(Errc::policy_violation,
              {fmt::format("{}: {}", rule, ja), fmt::format("{}: {}", rule, en)});
}

// A TOML or JSON document (JSON when it starts with '{') as JSON; `lines` gets the line of each
// top-level TOML key, for located errors.
Result<nlohmann::json> read_document(std::string_view text, const std::string& file,
                                     std::map<std::string, int>& lines);

}  // namespace tokumei::release::detail
