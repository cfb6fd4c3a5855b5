#pragma once
// Separation of duties for releases (AUTHZ-08, PROVISION-03, REVIEW-09): the person who built a
// dataset does not approve it, the two approvals of a release come from two different people,
// and neither may be contractor staff. The release workflow calls check_release_approval before
// it records an approval; the other separations live where their duty is (an audit review leaves
// out the reviewer's own actions, a break-glass is never approved or reviewed by its requester,
// nobody changes their own role or unlocks themselves).

#include <optional>
#include <string>

#include "tokumei/base/error.h"
#include "tokumei/security/accounts.h"

namespace tokumei::security {

// Checks that `approver` may approve the release of a dataset built by `builder`, given the
// approval already recorded (if any). Errc::permission_denied naming the rule broken.
Status check_release_approval(const Account& approver, const std::string& builder,
                              const std::optional<std::string>& first_approver);

}  // namespace tokumei::security
