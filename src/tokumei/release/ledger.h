#pragma once
// The provision ledger (帳簿, 法第13条; LEDGER-01..05).
//
// One entry for every provision, written in the same transaction as the release it records, and
// one for every permitted onward provision (LEDGER-02). Entries are append-only (triggers refuse
// UPDATE and DELETE, so nothing in the retention period — or after it — can be deleted) and
// hash-chained; each entry's hash also goes into the audit log, whose signed checkpoints fix when
// it was written. A correction is a new entry referring to the one it corrects, entered by one
// person and confirmed by another (LEDGER-03).
//
// For an inspection (法第35条) the ledger of any period exports as CSV (UTF-8 with a BOM, which
// spreadsheet programs expect) with a signature file (SHA-256 of the CSV signed with the
// deployment's ledger-signing key) and as a printable HTML page.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "tokumei/release/registry.h"

namespace tokumei::release {

struct LedgerEntry {
  std::int64_t seq = 0;
  std::string kind = "provision";       // provision, onward, correction
  std::string day{};                    // of the provision (JST)
  std::string recipient{};              // 提供先 (for onward: the recipient who passes it on)
  std::string dataset{};                // the dataset's ID
  std::string contents{};               // description of its content
  std::string data_kind{};              // anonymized, pseudonymized
  std::string approval{};               // committee decision
  std::string contract{};               // contract ID
  std::string delivery{};               // method of delivery
  std::vector<std::string> checkers{};  // the two who confirmed the release
  std::string onward{};                 // onward recipient and permission (kind onward)
  std::optional<std::int64_t> corrects{};
  std::string entrant{};
  std::string confirmer{};
  TimePoint at{};
  std::string hash{};  // hex
};

// Every field of an entry (the hash included), for --json and the API.
nlohmann::json ledger_entry_json(const LedgerEntry& e);

struct LedgerCheck {
  std::int64_t entries = 0;
  std::optional<std::int64_t> first_bad{};
  std::string head{};  // hash of the last entry, hex
};

struct LedgerExport {
  std::string csv{};
  std::string signature{};  // JSON: sha256, rows, period, signed_at, public_key, signature
  std::string html{};
};

inline constexpr const char* kLedgerSigningKey = "ledger-signing";

class Ledger {
 public:
  explicit Ledger(Context ctx) : ctx_(ctx) {}

  // Appends inside the caller's transaction (with its audit entry).
  Result<LedgerEntry> append(store::Transaction& tx, const audit::Actor& by, LedgerEntry entry);
  Result<std::vector<LedgerEntry>> entries(const std::string& from = "",
                                           const std::string& to = "");
  // LEDGER-02: everyone who holds `dataset`: its recipients and their permitted onward recipients.
  Result<std::vector<std::string>> holders(const std::string& dataset);
  // LEDGER-03: recomputes the chain.
  Result<LedgerCheck> verify();

  // A correction: `change` names fields of the entry and their corrected values.
  Result<std::int64_t> propose_correction(
      const audit::Actor& by, std::int64_t seq,
      const std::vector<std::pair<std::string, std::string>>& change, const std::string& reason);
  // Another person confirms it; the correction entry is appended.
  Result<LedgerEntry> confirm_correction(const audit::Actor& by, std::int64_t pending_id);

  // LEDGER-04. Logged.
  Result<LedgerExport> export_period(const audit::Actor& by, const std::string& from,
                                     const std::string& to);

 private:
  Context ctx_;
};

// Checks an exported CSV against its signature file and the deployment's ledger-signing public
// keys. Errc::integrity naming what does not match.
Status verify_ledger_export(const std::string& csv, const std::string& signature,
                            const std::vector<Bytes>& trusted_keys);

}  // namespace tokumei::release
