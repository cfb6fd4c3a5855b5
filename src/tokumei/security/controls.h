#pragma once
// The monitors' hands (MONITOR-03): what audit::Monitor decides, done through the security
// module — ending sessions and locking accounts — and the exit queue freeze the monitor keeps.

#include "tokumei/audit/monitor.h"
#include "tokumei/security/accounts.h"
#include "tokumei/security/sessions.h"

namespace tokumei::security {

class MonitorControls final : public audit::Controls {
 public:
  MonitorControls(Sessions& sessions, AccountStore& accounts, audit::Monitor& monitor,
                  audit::Actor by)
      : sessions_(&sessions), accounts_(&accounts), monitor_(&monitor), by_(std::move(by)) {}

  Status end_sessions(const std::string& user, const std::string& reason) override {
    return status_of(sessions_->end_sessions(by_, user, reason));
  }
  Status lock_account(const std::string& user, const std::string& reason) override {
    return accounts_->lock(by_, user, reason);
  }
  Status freeze_exit(const std::string& reason) override {
    return monitor_->freeze_exit(by_, reason);
  }

 private:
  Sessions* sessions_;
  AccountStore* accounts_;
  audit::Monitor* monitor_;
  audit::Actor by_;
};

}  // namespace tokumei::security
