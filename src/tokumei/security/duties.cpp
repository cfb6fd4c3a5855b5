#include "tokumei/security/duties.h"

namespace tokumei::security {

Status check_release_approval(const Account& approver, const std::string& builder,
                              const std::optional<std::string>& first_approver) {
  auto refuse = [](std::string ja, std::string en) {
    return fail(Errc::permission_denied, {std::move(ja), std::move(en)});
  };
  if (approver.contractor) {
    return refuse("委託先の職員は提供を承認できません",
                  "contractor staff cannot approve a release");
  }
  if (approver.role != Role::provision_approver) {
    return refuse(role_label(approver.role).ja + "は提供を承認できません",
                  "a " + role_label(approver.role).en + " cannot approve a release");
  }
  if (approver.user_id == builder) {
    return refuse("データセットを作成した人は、その提供を承認できません",
                  "whoever built a dataset cannot approve its release");
  }
  if (first_approver && *first_approver == approver.user_id) {
    return refuse("二人目の承認は一人目と別の人が行ってください",
                  "the second approval must come from someone other than the first");
  }
  return ok();
}

}  // namespace tokumei::security
