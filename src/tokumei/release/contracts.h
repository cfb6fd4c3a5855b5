#pragma once
// Contracts with institutions (inbound, CONTRACT-01) and recipients (outbound, CONTRACT-02), and
// the onward provisions a recipient may make with the operator's prior permission (PROVISION-07).
//
// A contract is recorded as a draft with its terms (never edited afterwards); each clause of its
// checklist is ticked with the article of the contract where it stands; it becomes active only
// with every clause ticked, and is closed only with the return or erasure of the data recorded
// (CONTRACT-05). A release needs an active, unexpired outbound contract for the request
// (check_release_contract). An institution may submit only under an active inbound contract.

#include <optional>
#include <string>
#include <vector>

#include "tokumei/release/registry.h"

namespace tokumei::release {

enum class ContractKind { inbound, outbound };
std::string_view contract_kind_name(ContractKind kind);
Result<ContractKind> parse_contract_kind(std::string_view name);

struct Clause {
  std::string id{};  // "purpose_form_scope", …
  Text label;
};
// The checklist of each kind: CONTRACT-01 for inbound, CONTRACT-02 for outbound.
const std::vector<Clause>& clauses(ContractKind kind);

struct Contract {
  std::int64_t id = 0;
  ContractKind kind = ContractKind::outbound;
  std::string party{};  // institution code (inbound) or recipient ID (outbound)
  std::optional<std::int64_t> request_id{};  // outbound: the request it covers
  std::string title{};
  std::string signed_on{};
  std::string valid_until{};
  std::string document_sha256;
  std::string state = "draft";  // draft, active, closed
  std::vector<std::string> ticked{};
  std::string closed_on{};
  std::string closure{};  // how the data was returned or erased, with its evidence
  std::string created_by{};
};

struct OnwardPermission {
  std::int64_t id = 0;
  std::int64_t contract_id = 0;
  std::string party{};    // the onward recipient
  std::string purpose{};  // checked: usage purpose, form and scope
  std::string scope{};
  std::string contract_ref{};  // the contract between recipient and onward recipient
  bool permitted = false;
  std::string reason{};
  std::string decided_by{};
  std::string decided_on{};
  std::int64_t ledger_seq = 0;  // the ledger entry of a permission (LEDGER-02)
};

class Ledger;

class Contracts {
 public:
  explicit Contracts(Context ctx) : ctx_(ctx) {}

  Result<Contract> create(const audit::Actor& by, Contract contract);
  Result<Contract> get(std::int64_t id);
  Result<std::vector<Contract>> list();
  // Ticks a clause, naming the article of the contract where it stands.
  Status tick(const audit::Actor& by, std::int64_t id, const std::string& clause,
              const std::string& reference);
  // draft → active: refused with the open clauses named (CONTRACT-01/02).
  Status activate(const audit::Actor& by, std::int64_t id);
  // active → closed, with the return or erasure of the data and its evidence (CONTRACT-05).
  Status close(const audit::Actor& by, std::int64_t id, const std::string& closure,
               const std::string& evidence_sha256);
  // Active contracts whose end is within `days` of `day`: what the expiry warning lists.
  Result<std::vector<Contract>> expiring(const std::string& day, int days);

  // CONTRACT-02 / PROVISION-02 (b): an active, unexpired outbound contract with `recipient`
  // covering `request_id`, every clause ticked. Errc::policy_violation naming the problem.
  Result<Contract> check_release_contract(std::int64_t request_id, const std::string& recipient,
                                          const std::string& day);
  // CONTRACT-01 / INTAKE-01: whether the institution has an active, unexpired inbound contract.
  Result<bool> institution_contract_active(const std::string& institution, const std::string& day);

  // PROVISION-07: the operator's decision on a recipient's wish to pass data on. A permission
  // needs the contract with the onward recipient and an active contract not suspended, and writes
  // the ledger entry (LEDGER-02); a refusal is recorded too.
  Result<OnwardPermission> decide_onward(const audit::Actor& by, OnwardPermission permission,
                                         Ledger& ledger);
  Result<std::vector<OnwardPermission>> onward(std::int64_t contract_id);
  // Whether `party` holds a permission under `contract_id`; Errc::policy_violation if not.
  Status check_onward(std::int64_t contract_id, const std::string& party);

 private:
  Context ctx_;
};

}  // namespace tokumei::release
