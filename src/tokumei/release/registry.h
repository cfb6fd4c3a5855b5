#pragma once
// The registries of the outside parties the operator deals with.
//
// - Institutions (医療情報取扱事業者): the 医療機関コード, name, the certificate their submissions
//   are signed with, and the notification method the operator confirmed. Whether they may submit
//   follows their inbound contract (CONTRACT-01, Contracts::institution_contract_active).
// - Recipients (匿名加工医療情報取扱事業者 / 認定仮名加工医療情報利用事業者): organisation, the
//   certificate packages are encrypted to (PROVISION-04), the endpoint exit delivers to, and for
//   pseudonymized data their certification with its end date (PSEUDO-01). A sanction suspends a
//   recipient, which blocks new releases and onward permissions until it is lifted
//   (PROVISION-08); sanctions are append-only, so the record shows date, basis and actions.
//
// Every change is written with its audit entry in one transaction.

#include <optional>
#include <string>
#include <vector>

#include "tokumei/audit/audit_log.h"
#include "tokumei/crypto/key_ring.h"
#include "tokumei/crypto/x509.h"
#include "tokumei/release/cohort_spec.h"

namespace tokumei::release {

// What every provision class works on; all must outlive it.
struct Context {
  store::Database& db;
  crypto::KeyRing& keys;
  audit::AuditLog& audit;
  const Clock& clock;
};

struct Institution {
  std::string code{};  // 医療機関コード (10 digits)
  std::string name{};
  std::string certificate{};          // PEM
  std::string fingerprint{};          // SHA-256 of the certificate
  std::string notification_method{};  // the method the operator confirmed (CONTRACT-01)
  std::string registered_by{};
  TimePoint registered_at{};
};

struct Recipient {
  std::string id{};  // short name chosen by the operator: a-z 0-9 - _ .
  std::string name{};
  std::string certificate{};  // PEM
  std::string endpoint{};     // https://… the exit server delivers to (mutual TLS)
  std::string certification{};  // 認定仮名加工医療情報利用事業者 number; empty when none
  std::string certified_until{};  // YYYY-MM-DD
  std::string fingerprint{};
  std::string registered_by{};
  TimePoint registered_at{};
  bool suspended = false;  // by the latest sanction
};

struct Sanction {
  std::int64_t id = 0;
  std::string recipient{};
  bool suspend = true;  // false: lifts an earlier suspension
  std::string decided_on{};
  std::string basis{};                 // the violation and the contract clause
  std::vector<std::string> actions{};  // stop_use, publication, erasure_demand, …
  std::string decided_by{};
  TimePoint at{};
};

class Registry {
 public:
  explicit Registry(Context ctx) : ctx_(ctx) {}

  // Registers or updates (a new certificate, another method) an institution.
  Status put_institution(const audit::Actor& by, const Institution& institution);
  Result<Institution> institution(const std::string& code);
  Result<std::vector<Institution>> institutions();

  Status put_recipient(const audit::Actor& by, const Recipient& recipient);
  Result<Recipient> recipient(const std::string& id);
  Result<std::vector<Recipient>> recipients();

  // PROVISION-08. A suspension needs a basis and at least one action; a lift needs a suspended
  // recipient.
  Result<Sanction> sanction(const audit::Actor& by, Sanction sanction);
  Result<std::vector<Sanction>> sanctions(const std::string& recipient);

  // Whether `recipient` may receive a dataset of `kind` today: registered, not suspended, its
  // certificate valid, and for pseudonymized data a current certification (PROVISION-02 (c),
  // PSEUDO-01). Errc::policy_violation naming what is missing.
  Status check_eligible(const std::string& recipient, DatasetKind kind);

 private:
  Context ctx_;
};

// Checks an ID chosen by the operator (recipients): 2–40 of a-z 0-9 - _ ., starting with a letter.
Status check_party_id(const std::string& id, const char* field);

}  // namespace tokumei::release
