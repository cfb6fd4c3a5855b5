#pragma once
// Packages and the release gate (PROVISION-02/03/04, ANON-03/04, LEDGER-01).
//
// create() makes the package of a build only when (a) a committee approval in force covers the
// request, its recipient and the build's specification (REVIEW-05, ANON-05), (b) an active,
// unexpired contract with every clause covers it (CONTRACT-02), (c) the recipient is registered,
// not suspended, with a valid certificate and, for pseudonymized data, a current certification
// (PSEUDO-01), and (d) the build passed its risk check (ANON-02) and its files hold no internal
// person key (ANON-03). Each refusal names its rule.
//
// The package is a CMS AuthEnvelopedData (AES-256-GCM) to the recipient's certificate around a
// SignedData by the operator's package-signing certificate, around a tar archive of README.txt and
// manifest.json (both carrying the label 匿名加工医療情報 or 仮名加工医療情報), dictionary.json,
// persons.csv and events.csv.
//
// Two provision approvers then confirm, each typing what they checked — recipient, destination,
// dataset and package hash; neither may be whoever built or packaged it, nor the same person
// twice (PROVISION-03). With the second confirmation the release is recorded and its ledger entry
// written in the same transaction. Only a released package can be handed out (release_file).

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tokumei/base/random.h"
#include "tokumei/release/build.h"
#include "tokumei/release/committee.h"
#include "tokumei/release/contracts.h"
#include "tokumei/release/ledger.h"
#include "tokumei/security/accounts.h"

namespace tokumei::release {

struct Confirmation {
  std::string approver{};
  std::string recipient;
  std::string destination;
  std::string dataset;
  std::string sha256;
  std::string certificate{};  // the recipient certificate's SHA-256 fingerprint
};

struct PackageRecord {
  std::int64_t id = 0;
  std::int64_t build_id = 0;
  std::string dataset;  // the dataset's ID as the recipient and the ledger know it
  std::string recipient;
  std::string destination;    // the recipient's endpoint, or "offline"
  std::string certificate{};  // SHA-256 of the recipient certificate it is encrypted to
  std::int64_t approval = 0;
  std::int64_t contract = 0;
  std::string sha256{};
  std::uint64_t size = 0;
  std::string created_by{};
  std::vector<Confirmation> confirmations{};
  std::optional<std::int64_t> ledger_seq{};  // set once released
  bool released() const { return ledger_seq.has_value(); }
};

class Packages {
 public:
  // `folder` holds the package files.
  Packages(Context ctx, Random& random, Builds& builds, std::filesystem::path folder)
      : ctx_(ctx), random_(random), builds_(builds), folder_(std::move(folder)) {}

  Result<PackageRecord> create(const audit::Actor& by, std::int64_t build_id);
  // One of the two confirmations; the second releases.
  Result<PackageRecord> confirm(const audit::Actor& by, const security::Account& approver,
                                std::int64_t package_id, const Confirmation& checked);
  Result<PackageRecord> get(std::int64_t id);
  Result<std::vector<PackageRecord>> list();
  // The file of a released package; refused before both confirmations (PROVISION-03).
  Result<std::filesystem::path> release_file(std::int64_t id);
  // The operator's package-signing certificate (PEM): what recipients pin. It is made with the
  // first package; Errc::not_found before that.
  Result<std::string> signer_certificate();

 private:
  // The release gate, (a) to (e) and opt-outs since the build; what each package is made under.
  struct Gate {
    Decision approval;
    Contract contract;
    Recipient recipient;
  };
  Result<Gate> gate(const BuildRecord& build);
  struct Signer {
    std::string certificate;
    std::string key;
  };
  // The signing key and certificate; made (and logged as made by `by`) when there is none and
  // `by` is given.
  Result<Signer> signer(const audit::Actor* by);
  Context ctx_;
  Random& random_;
  Builds& builds_;
  std::filesystem::path folder_;
};

// A tar (ustar) archive of `files`, in name order, with a fixed time.
Bytes tar_archive(const std::map<std::string, std::string>& files, std::int64_t mtime);
// The files of a tar archive; Errc::invalid_input at the offset where it is malformed.
Result<std::map<std::string, std::string>> read_tar(ByteView archive);

struct OpenedPackage {
  nlohmann::json manifest;
  std::map<std::string, std::string> files;  // every file of the archive
  std::string signer_fingerprint;            // SHA-256 of the certificate that signed it
};

// What `tokumei open` does for a recipient: decrypts with their certificate and key, checks the
// operator's signature — against `operator_certificate_pem` when given (the certificate the
// operator published), else against the certificate the package carries, which must then have
// `expected_fingerprint` when that is given — reads the archive, and checks that the manifest
// lists the data files and every file, and that each matches it.
Result<OpenedPackage> open_package(ByteView package, const std::string& certificate_pem,
                                   const std::string& private_key_pem,
                                   const std::string& operator_certificate_pem = "",
                                   const std::string& expected_fingerprint = "");

}  // namespace tokumei::release
