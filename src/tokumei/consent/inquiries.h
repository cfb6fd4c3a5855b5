#pragma once
// The consultation center's tickets (相談センター, CONSENT-05): inquiries and complaints from
// patients, institutions and recipients, from intake through routing and answer to closure, each
// step with its time and who took it. What people wrote or said may identify them, so summaries
// and notes are sealed under the vault key; the states, times and kinds are in clear for the
// periodic report. A ticket not answered within the answer time (14 days unless the deployment
// says otherwise) is overdue and flagged.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tokumei/audit/audit_log.h"
#include "tokumei/crypto/key_ring.h"

namespace tokumei::consent {

struct InquiryStep {
  std::string state;  // received, routed, answered, closed
  std::string note;   // decrypted
  std::string by;
  TimePoint at{};
};

struct Inquiry {
  std::int64_t id = 0;
  std::string from;     // patient, institution, recipient, other
  std::string channel;  // phone, email, letter, visit, web
  std::string kind;     // inquiry, complaint, opt_out_request
  std::string state;    // the latest step's
  TimePoint received{};
  std::optional<TimePoint> answered{};
  bool overdue = false;  // not answered within the answer time
  std::vector<InquiryStep> steps{};
};

struct InquiryReport {
  TimePoint from{}, to{};
  std::size_t received = 0, answered = 0, closed = 0, open = 0, overdue = 0;
  std::vector<Inquiry> open_items{};    // not closed at `to`
  std::vector<Inquiry> closed_items{};  // closed in [from, to)
};

class InquiryStore {
 public:
  InquiryStore(store::Database& db, crypto::KeyRing& keys, audit::AuditLog& audit,
               const Clock& clock, std::chrono::days answer_within = std::chrono::days(14))
      : db_(db), keys_(keys), audit_(audit), clock_(clock), answer_within_(answer_within) {}
  static store::SchemaModule schema();

  // Intake: what came in, from whom, how; `summary` is sealed.
  Result<std::int64_t> receive(const audit::Actor& by, const std::string& from,
                               const std::string& channel, const std::string& kind,
                               const std::string& summary);
  // routed (to whom, in the note), answered, closed. A closed ticket takes no more steps; it is
  // answered before it is closed.
  Status step(const audit::Actor& by, std::int64_t id, const std::string& state,
              const std::string& note);
  // Every ticket, or those not closed; notes decrypted (reading them is logged).
  Result<std::vector<Inquiry>> list(const audit::Actor& by, bool open_only);
  // The periodic report for [from, to): counts, what is still open at `to`, what was closed.
  Result<InquiryReport> report(const audit::Actor& by, TimePoint from, TimePoint to);

 private:
  Result<std::vector<Inquiry>> load(bool decrypt, TimePoint now);

  store::Database& db_;
  crypto::KeyRing& keys_;
  audit::AuditLog& audit_;
  const Clock& clock_;
  std::chrono::days answer_within_;
};

}  // namespace tokumei::consent
