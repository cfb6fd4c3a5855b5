#pragma once
// Who may do what (AUTHZ-02 least privilege): every operation the library offers to people, and
// the roles allowed to call it. The CLI and the API ask Sessions::authorize for the operation
// before they call the library; nothing else grants a right. The matrix is written out once here
// and repeated independently in the authorization test, so a change to either shows.

#include <span>
#include <string_view>

#include "tokumei/base/error.h"
#include "tokumei/security/accounts.h"

namespace tokumei::security {

enum class Operation {
  // accounts and terminals
  account_manage,     // create, change role, disable (AUTHN-13, AUTHZ-01)
  account_unlock,     // unlock or reset a password after an identity check (AUTHN-07/10)
  account_list,       // the account inventory (AUTHN-14)
  terminal_register,  // register or retire a terminal ID
  key_manage,         // rotate or destroy keys
  // data work on the core server
  ingest_run,        // read batches into the store
  link_run,          // record linkage and its review
  quality_check,     // run the checks, raise queries
  quality_decide,    // decide a finding (QUALITY-06)
  acquire,           // mark a batch acquired
  correction_enter,  // enter a correction of a source record
  correction_confirm,
  consent_manage,  // notification documents, opt-outs, inquiries
  anonymize,       // build an anonymized or pseudonymized dataset
  // provision
  request_review,    // the committee's review
  release_approve,   // approve a release (the second person)
  registry_manage,   // institutions, recipients and sanctions
  request_manage,    // enter and withdraw requests, their materials and end reports
  committee_manage,  // roster, rules, meetings, the yearly publication
  contract_manage,   // contracts, clauses, onward permissions
  ledger_read,       // read and export the provision ledger (LEDGER-04)
  ledger_correct,    // propose or confirm a ledger correction (LEDGER-03)
  provision_read,    // see registries, requests, decisions, contracts, packages
  release_package,   // make the package of a build (the release gate)
  build_read,        // see builds with their risk and utility reports (they name the method)
  // oversight
  audit_read,        // read entries of the log (itself logged, AUDIT-06)
  audit_verify,      // verify, prove, checkpoint, export
  audit_review,      // periodic review sign-off (AUDIT-08)
  monitor_run,       // run the monitors' cycle
  incident_manage,   // alerts and incidents (MONITOR-11)
  exit_freeze,       // freeze or release the exit queue (MONITOR-03)
  break_glass_open,  // emergency access (EMERG-02/03)
  break_glass_approve,
  break_glass_review,
  // outside parties, on the intake and exit servers
  submit,   // send files to intake
  receive,  // fetch a delivered dataset from exit
};
inline constexpr int kOperationCount = 36;

struct OperationInfo {
  Operation op;
  std::string_view name;  // "account.manage", …
  Text label;
};

// Every operation, in declaration order.
std::span<const OperationInfo> operations();
const OperationInfo& operation_info(Operation op);
Result<Operation> parse_operation(std::string_view name);

// True when `role` may perform `op`.
bool permitted(Role role, Operation op);

}  // namespace tokumei::security
