#include "tokumei/release/package.h"

#include <fmt/format.h>

#include <cstring>
#include <set>
#include <unordered_set>

#include "tokumei/base/files.h"
#include "tokumei/crypto/cms.h"
#include "tokumei/crypto/hash.h"
#include "tokumei/crypto/x509.h"
#include "tokumei/release/committee.h"
#include "tokumei/release/contracts.h"
#include "tokumei/release/detail/common.h"
#include "tokumei/security/duties.h"

namespace tokumei::release {
namespace {

using nlohmann::json;

constexpr const char* kSigningKey = "package-signing";
constexpr std::size_t kBlock = 512;

void octal(char* field, std::size_t width, std::uint64_t value) {
  std::string text = fmt::format("{:0{}o}", value, width - 1);
  std::memcpy(field, text.data(), width - 1);
  field[width - 1] = '\0';
}

std::unexpected<Error> not_found(std::int64_t id) {
  return fail(Errc::not_found,
              {fmt::format("パッケージ {} はありません", id), fmt::format("no package {}", id)});
}

std::string readme(const PackageRecord& p, const BuildRecord& b, std::string_view label) {
  return fmt::format(
      "{label}\n"
      "{en}\n\n"
      "このパッケージは、次世代医療基盤法に基づき認定事業者が作成した{label}です。\n"
      "契約で定めた目的・範囲の外で利用しないでください。他の情報と照合して本人を識別しないで\n"
      "ください。第三者への提供には事業者の事前の許可と契約が必要です。\n\n"
      "データセット: {dataset}\n利用申請: {request}\n提供先: {recipient}\n"
      "審査委員会の承認: 決定 {approval}\n契約: {contract}\n"
      "人数: {persons} / 事象: {events}\n\n"
      "ファイル: persons.csv (者), events.csv (事象), dictionary.json (データ定義書), "
      "manifest.json (目録とハッシュ)\n\n"
      "開き方: tokumei open PACKAGE --cert 受取人証明書.pem --key 受取人秘密鍵.pem "
      "--operator-cert 事業者の署名証明書.pem --out DIR\n"
      "または: openssl cms -decrypt -inform DER -in PACKAGE -recip 証明書 -inkey 秘密鍵 "
      "-out signed.der && openssl cms -verify -inform DER -in signed.der -binary -noverify "
      "-certfile 事業者の署名証明書 -out dataset.tar\n",
      fmt::arg("label", label),
      fmt::arg("en", b.kind == DatasetKind::anonymized ? "Anonymized medical information"
                                                       : "Pseudonymized medical information"),
      fmt::arg("dataset", p.dataset), fmt::arg("request", b.request_id),
      fmt::arg("recipient", p.recipient), fmt::arg("approval", p.approval),
      fmt::arg("contract", p.contract), fmt::arg("persons", b.persons),
      fmt::arg("events", b.events));
}

}  // namespace

Bytes tar_archive(const std::map<std::string, std::string>& files, std::int64_t mtime) {
  Bytes out;
  for (const auto& [name, content] : files) {
    std::array<char, kBlock> h{};
    std::memcpy(h.data(), name.data(), std::min<std::size_t>(name.size(), 99));
    octal(&h[100], 8, 0644);
    octal(&h[108], 8, 0);
    octal(&h[116], 8, 0);
    octal(&h[124], 12, content.size());
    octal(&h[136], 12, static_cast<std::uint64_t>(mtime));
    h[156] = '0';
    std::memcpy(&h[257], "ustar", 6);
    std::memcpy(&h[263], "00", 2);
    std::memset(&h[148], ' ', 8);
    unsigned sum = 0;
    for (char c : h) sum += static_cast<unsigned char>(c);
    octal(&h[148], 7, sum);
    h[155] = ' ';
    out.insert(out.end(), h.begin(), h.end());
    out.insert(out.end(), content.begin(), content.end());
    out.resize((out.size() + kBlock - 1) / kBlock * kBlock, 0);
  }
  out.resize(out.size() + 2 * kBlock, 0);
  return out;
}

Result<std::map<std::string, std::string>> read_tar(ByteView a) {
  std::map<std::string, std::string> files;
  std::size_t at = 0;
  auto bad = [&](const char* ja, const char* en) {
    return fail(Errc::invalid_input, {std::string("tar: ") + ja, std::string("tar: ") + en},
                Location{.offset = static_cast<std::int64_t>(at)});
  };
  while (at + kBlock <= a.size()) {
    const auto* h = reinterpret_cast<const char*>(a.data() + at);
    if (std::all_of(h, h + kBlock, [](char c) { return c == 0; })) return files;
    std::string name(h, strnlen(h, 100));
    std::uint64_t size = 0;
    for (int i = 124; i < 136 && h[i] >= '0' && h[i] <= '7'; ++i) size = size * 8 + (h[i] - '0');
    if (name.empty() || name.find("..") != std::string::npos ||
        name.find('/') != std::string::npos) {
      return bad("不正なファイル名です", "bad file name");
    }
    if (at + kBlock + size > a.size()) return bad("途中で切れています", "truncated");
    files[name] = std::string(reinterpret_cast<const char*>(a.data() + at + kBlock), size);
    at += kBlock + (size + kBlock - 1) / kBlock * kBlock;
  }
  return bad("終わりの印がありません", "no end marker");
}

Result<Packages::Signer> Packages::signer(const audit::Actor* by) {
  TKM_ASSIGN_OR_RETURN(store::Rows rows,
                       ctx_.db.query("SELECT certificate, key_sealed FROM release_signers ORDER BY "
                                     "id DESC LIMIT 1"));
  if (!rows.empty()) {
    TKM_ASSIGN_OR_RETURN(Bytes key,
                         ctx_.keys.open(kSigningKey, as_bytes("signer"), rows[0].blob(1)));
    return Signer{rows[0].text(0), std::string(key.begin(), key.end())};
  }
  if (by == nullptr) {
    return fail(Errc::not_found,
                {"提供パッケージの署名証明書はまだありません (最初のパッケージで作られます)",
                 "there is no package-signing certificate yet (the first package makes it)"});
  }
  TKM_RETURN_IF_ERROR(ctx_.keys.ensure_key(kSigningKey));
  TKM_ASSIGN_OR_RETURN(
      auto pair, crypto::self_signed_certificate("Tokumei 提供パッケージ署名", "認定作成事業者",
                                                 3650, ctx_.clock));
  TKM_ASSIGN_OR_RETURN(Bytes sealed, ctx_.keys.seal(kSigningKey, as_bytes("signer"),
                                                    as_bytes(pair.private_key_pem)));
  TKM_ASSIGN_OR_RETURN(store::Transaction tx, ctx_.db.begin());
  TKM_RETURN_IF_ERROR(ctx_.db.execute(
      "INSERT INTO release_signers (certificate, key_sealed, at_ms) VALUES (?, ?, ?)",
      {pair.certificate_pem, sealed, to_unix_ms(ctx_.clock.now())}));
  TKM_ASSIGN_OR_RETURN(auto cert, crypto::parse_certificate(pair.certificate_pem));
  TKM_RETURN_IF_ERROR(detail::log(ctx_.audit, tx, *by, "package.signer.create",
                                  "signer:" + cert.fingerprint.substr(0, 16),
                                  {{"fingerprint", cert.fingerprint}}));
  TKM_RETURN_IF_ERROR(tx.commit());
  return Signer{pair.certificate_pem, pair.private_key_pem};
}

Result<std::string> Packages::signer_certificate() {
  TKM_ASSIGN_OR_RETURN(Signer s, signer(nullptr));
  return s.certificate;
}

Result<Packages::Gate> Packages::gate(const BuildRecord& b) {
  const std::string today = japanese_day(ctx_.clock.now());
  Committee committee(ctx_);
  Contracts contracts(ctx_);
  Registry registry(ctx_);
  // (a) and (e): the approval covers this recipient and exactly this specification.
  TKM_ASSIGN_OR_RETURN(Decision approval,
                       committee.check_approval(b.request_id, b.recipient, b.spec_hash, today));
  // (b)
  TKM_ASSIGN_OR_RETURN(Contract contract,
                       contracts.check_release_contract(b.request_id, b.recipient, today));
  // (c)
  TKM_RETURN_IF_ERROR(registry.check_eligible(b.recipient, b.kind));
  TKM_ASSIGN_OR_RETURN(Recipient recipient, registry.recipient(b.recipient));
  // (d)
  if (!b.risk_passed) {
    return detail::refused("ANON-02", "データセットが再識別リスクの確認を通っていません",
                           "the dataset did not pass its re-identification risk check");
  }
  // CONSENT-03: a person who opted out after the build is not released; build again.
  TKM_ASSIGN_OR_RETURN(store::Rows erased,
                       ctx_.db.query("SELECT COUNT(DISTINCT m.person_key) FROM "
                                     "release_build_members m JOIN identity_erased e ON "
                                     "e.person_key = m.person_key WHERE m.build_id = ?",
                                     {b.id}));
  if (erased.at(0).integer(0) > 0) {
    return detail::refused(
        "CONSENT-03",
        fmt::format("作成後に停止の求めがあった記録が {} 件含まれています。作り直してください",
                    erased.at(0).integer(0)),
        fmt::format("{} records in it were opted out since it was built; build it again",
                    erased.at(0).integer(0)));
  }
  return Gate{std::move(approval), std::move(contract), std::move(recipient)};
}

Result<PackageRecord> Packages::create(const audit::Actor& by, std::int64_t build_id) {
  TKM_ASSIGN_OR_RETURN(BuildRecord b, builds_.get(build_id));
  auto refused = [&](const Error& e) -> Result<PackageRecord> {
    TKM_ASSIGN_OR_RETURN(store::Transaction tx, ctx_.db.begin());
    TKM_RETURN_IF_ERROR(detail::log(ctx_.audit, tx, by, "package.refuse",
                                    fmt::format("build:{}", build_id), {{"reason", e.text().en}},
                                    audit::Outcome::denied));
    TKM_RETURN_IF_ERROR(tx.commit());
    return std::unexpected(e);
  };
  auto gate_passed = gate(b);
  if (!gate_passed) return refused(gate_passed.error());
  {
    auto existing = ctx_.db.query("SELECT id FROM release_packages WHERE build_id = ?", {build_id});
    if (!existing) return std::unexpected(existing.error());
    if (!existing->empty()) {
      return fail(Errc::already_exists,
                  {fmt::format("データセット {} のパッケージは作成済みです (パッケージ {})",
                               build_id, existing->at(0).integer(0)),
                   fmt::format("build {} already has its package ({})", build_id,
                               existing->at(0).integer(0))});
    }
  }
  std::map<std::string, std::string> files;
  for (const auto& f : b.files) {
    TKM_ASSIGN_OR_RETURN(files[f.name], builds_.read_output(build_id, f.name));
    if (hex_encode(crypto::sha256(as_bytes(files[f.name]))) != f.sha256) {
      return fail(Errc::integrity,
                  {f.name + " が作成時と異なります", f.name + " differs from what the build made"});
    }
  }
  {
    // ANON-03 / PSEUDO-03: no internal person key in any file.
    TKM_ASSIGN_OR_RETURN(store::Rows keys,
                         ctx_.db.query("SELECT person_key FROM identity_persons"));
    struct Hash {
      using is_transparent = void;
      std::size_t operator()(std::string_view v) const { return std::hash<std::string_view>{}(v); }
    };
    std::unordered_set<std::string, Hash, std::equal_to<>> internal;
    std::set<std::size_t> lengths;  // only fields of a key's length are looked up
    for (const auto& k : keys) {
      internal.insert(k.text(0));
      lengths.insert(k.text(0).size());
    }
    for (const auto& [name, content] : files) {
      const std::string_view text = content;
      std::size_t start = 0;
      for (std::size_t i = 0; i <= text.size(); ++i) {
        if (i == text.size() || text[i] == ',' || text[i] == '\n' || text[i] == '"') {
          if (lengths.contains(i - start) && internal.contains(text.substr(start, i - start))) {
            return refused(detail::refused("ANON-03", name + " に内部の患者キーが含まれています",
                                           name + " holds an internal person key")
                               .error());
          }
          start = i + 1;
        }
      }
    }
  }
  const Recipient& r = gate_passed->recipient;
  TKM_ASSIGN_OR_RETURN(Signer s, signer(&by));
  PackageRecord p{.build_id = build_id,
                  .dataset = fmt::format("DS-{}-{:05}", japanese_day(b.at).substr(0, 4), build_id),
                  .recipient = b.recipient,
                  .destination = r.endpoint.empty() ? "offline" : r.endpoint,
                  .certificate = r.fingerprint,
                  .approval = gate_passed->approval.id,
                  .contract = gate_passed->contract.id,
                  .created_by = by.user};
  const std::string_view label = dataset_kind_label(b.kind);
  json manifest = {{"label", label},
                   {"kind", dataset_kind_name(b.kind)},
                   {"dataset", p.dataset},
                   {"request", b.request_id},
                   {"recipient", b.recipient},
                   {"recipient_certificate_sha256", p.certificate},
                   {"approval", p.approval},
                   {"contract", p.contract},
                   {"method_version", b.method_version},
                   {"output_hash", b.output_hash},
                   {"persons", b.persons},
                   {"events", b.events},
                   {"created_at", format_utc(ctx_.clock.now())},
                   {"files", json::array()}};
  for (const auto& [name, content] : files) {
    manifest["files"].push_back({{"name", name},
                                 {"sha256", hex_encode(crypto::sha256(as_bytes(content)))},
                                 {"size", content.size()}});
  }
  files["README.txt"] = readme(p, b, label);
  files["manifest.json"] = manifest.dump(2) + "\n";
  // ANON-04 / PSEUDO-02: the package is not made without its label.
  if (files["README.txt"].find(label) == std::string::npos ||
      files["manifest.json"].find(label) == std::string::npos) {
    return fail(Errc::internal, {"ラベルがありません", "the label is missing"});
  }
  const Bytes archive = tar_archive(files, to_unix_ms(ctx_.clock.now()) / 1000);
  TKM_ASSIGN_OR_RETURN(Bytes signed_der, crypto::cms_sign(archive, s.certificate, s.key));
  TKM_ASSIGN_OR_RETURN(Bytes package, crypto::cms_encrypt(signed_der, r.certificate));
  p.sha256 = hex_encode(crypto::sha256(package));
  p.size = package.size();
  std::error_code ec;
  std::filesystem::create_directories(folder_, ec);
  // Written under a name of its own first; a file already there is never replaced.
  const std::filesystem::path file = folder_ / (p.dataset + ".p7m");
  if (std::filesystem::exists(file)) {
    return fail(Errc::already_exists,
                {p.dataset + " のファイルが既にあります", p.dataset + "'s file exists already"},
                Location{.file = file.string()});
  }
  const std::filesystem::path partial = folder_ / (p.dataset + ".p7m.partial");
  TKM_RETURN_IF_ERROR(write_file_atomic(partial, package, 0600));
  TKM_ASSIGN_OR_RETURN(store::Transaction tx, ctx_.db.begin());
  auto id = ctx_.db.insert(
      "INSERT INTO release_packages (build_id, dataset, recipient, destination, certificate, "
      "approval, contract, sha256, size, file, created_by, at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
      "?, ?, ?, ?)",
      {build_id, p.dataset, p.recipient, p.destination, p.certificate, p.approval, p.contract,
       p.sha256, static_cast<std::int64_t>(p.size), file.filename().string(), by.user,
       to_unix_ms(ctx_.clock.now())});
  if (!id) {
    if (id.error().code() == Errc::already_exists) {
      return fail(Errc::already_exists,
                  {fmt::format("データセット {} のパッケージは作成済みです", build_id),
                   fmt::format("build {} already has its package", build_id)});
    }
    return std::unexpected(id.error());
  }
  p.id = id->value_or(0);
  TKM_RETURN_IF_ERROR(detail::log(ctx_.audit, tx, by, "package.create",
                                  fmt::format("package:{}", p.id),
                                  {{"build", build_id},
                                   {"dataset", p.dataset},
                                   {"recipient", p.recipient},
                                   {"sha256", p.sha256},
                                   {"approval", p.approval},
                                   {"contract", p.contract}}));
  TKM_RETURN_IF_ERROR(tx.commit());
  std::filesystem::rename(partial, file, ec);
  if (ec) {
    return fail(Errc::io,
                {"パッケージのファイルを置けません: " + ec.message(),
                 "cannot put the package file in place: " + ec.message()},
                Location{.file = file.string()});
  }
  return p;
}

Result<PackageRecord> Packages::get(std::int64_t id) {
  auto row = ctx_.db.query_one(
      "SELECT p.id, p.build_id, p.dataset, p.recipient, p.destination, p.approval, p.contract, "
      "p.sha256, p.size, p.created_by, r.ledger_seq, p.certificate FROM release_packages p LEFT "
      "JOIN release_releases r ON r.package_id = p.id WHERE p.id = ?",
      {id});
  if (!row) {
    if (row.error().code() != Errc::not_found) return std::unexpected(row.error());
    return not_found(id);
  }
  PackageRecord p{.id = row->integer(0),
                  .build_id = row->integer(1),
                  .dataset = row->text(2),
                  .recipient = row->text(3),
                  .destination = row->text(4),
                  .certificate = row->text(11),
                  .approval = row->integer(5),
                  .contract = row->integer(6),
                  .sha256 = row->text(7),
                  .size = static_cast<std::uint64_t>(row->integer(8)),
                  .created_by = row->text(9),
                  .ledger_seq = row->optional_integer(10)};
  TKM_ASSIGN_OR_RETURN(store::Rows c,
                       ctx_.db.query("SELECT approver, recipient, destination, dataset, sha256, "
                                     "certificate FROM release_confirmations WHERE package_id = ? "
                                     "ORDER BY at_ms, approver",
                                     {id}));
  for (const auto& r : c) {
    p.confirmations.push_back({r.text(0), r.text(1), r.text(2), r.text(3), r.text(4), r.text(5)});
  }
  return p;
}

Result<std::vector<PackageRecord>> Packages::list() {
  TKM_ASSIGN_OR_RETURN(store::Rows rows,
                       ctx_.db.query("SELECT id FROM release_packages ORDER BY id"));
  std::vector<PackageRecord> out;
  for (const auto& r : rows) {
    TKM_ASSIGN_OR_RETURN(auto p, get(r.integer(0)));
    out.push_back(std::move(p));
  }
  return out;
}

Result<PackageRecord> Packages::confirm(const audit::Actor& by, const security::Account& approver,
                                        std::int64_t package_id, const Confirmation& checked) {
  TKM_ASSIGN_OR_RETURN(PackageRecord before, get(package_id));
  TKM_ASSIGN_OR_RETURN(BuildRecord b, builds_.get(before.build_id));
  // Everything below is read again inside the transaction, so two approvers confirming at once
  // are serialized and the second of them releases.
  TKM_ASSIGN_OR_RETURN(store::Transaction tx, ctx_.db.begin());
  TKM_ASSIGN_OR_RETURN(PackageRecord p, get(package_id));
  if (p.released()) {
    return fail(Errc::conflict, {fmt::format("パッケージ {} は提供済みです", package_id),
                                 fmt::format("package {} is already released", package_id)});
  }
  std::optional<std::string> first;
  if (!p.confirmations.empty()) first = p.confirmations.front().approver;
  // The preparer is whoever built the dataset or made its package; neither checks it.
  TKM_RETURN_IF_ERROR(security::check_release_approval(approver, b.built_by, first));
  TKM_RETURN_IF_ERROR(security::check_release_approval(approver, p.created_by, first));
  // Each item is typed by the checker and must be what the record holds.
  const std::array<std::tuple<const char*, const char*, std::string, std::string>, 5> items = {{
      {"recipient", "提供先", checked.recipient, p.recipient},
      {"destination", "送付先", checked.destination, p.destination},
      {"dataset", "データセット", checked.dataset, p.dataset},
      {"sha256", "パッケージのハッシュ", checked.sha256, p.sha256},
      {"certificate", "提供先の証明書の指紋", checked.certificate, p.certificate},
  }};
  for (const auto& [field, ja, claimed, actual] : items) {
    if (claimed != actual) {
      return fail(Errc::policy_violation,
                  {fmt::format("PROVISION-03: 確認した{}「{}」が記録「{}」と一致しません", ja,
                               claimed, actual),
                   fmt::format("PROVISION-03: the {} checked, '{}', is not the recorded '{}'",
                               field, claimed, actual)},
                  Location{.field = field});
    }
  }
  TKM_RETURN_IF_ERROR(ctx_.db.execute(
      "INSERT INTO release_confirmations (package_id, approver, recipient, destination, dataset, "
      "sha256, certificate, at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      {package_id, approver.user_id, checked.recipient, checked.destination, checked.dataset,
       checked.sha256, checked.certificate, to_unix_ms(ctx_.clock.now())}));
  TKM_RETURN_IF_ERROR(
      detail::log(ctx_.audit, tx, by, "package.confirm", fmt::format("package:{}", package_id),
                  {{"confirmation", p.confirmations.size() + 1}, {"sha256", p.sha256}}));
  p.confirmations.push_back({approver.user_id, checked.recipient, checked.destination,
                             checked.dataset, checked.sha256, checked.certificate});
  if (p.confirmations.size() >= 2) {
    // The gate again, as things stand now: a suspension, an amended approval, an ended contract,
    // a new certificate or an opt-out since the package was made stops the release.
    TKM_ASSIGN_OR_RETURN(Gate now, gate(b));
    if (now.approval.id != p.approval || now.contract.id != p.contract ||
        now.recipient.fingerprint != p.certificate) {
      return detail::refused("PROVISION-02",
                             "パッケージ作成後に承認・契約・提供先の証明書が変わりました",
                             "the approval, contract or recipient certificate changed since the "
                             "package was made");
    }
    Ledger ledger(ctx_);
    Committee committee(ctx_);
    TKM_ASSIGN_OR_RETURN(Request q, committee.request(b.request_id));
    const std::string delivery =
        p.destination == "offline" ? "媒体 (offline)" : "出口サーバ経由 " + p.destination;
    TKM_ASSIGN_OR_RETURN(
        LedgerEntry e,
        ledger.append(
            tx, by,
            {.recipient = p.recipient,
             .dataset = p.dataset,
             .contents = fmt::format("{} ({}名, {}件; 仕様 {}; パッケージ {})", q.title, b.persons,
                                     b.events, b.spec_hash.substr(0, 16), p.sha256.substr(0, 16)),
             .data_kind = std::string(dataset_kind_name(b.kind)),
             .approval = std::to_string(p.approval),
             .contract = std::to_string(p.contract),
             .delivery = delivery,
             .checkers = {p.confirmations[0].approver, p.confirmations[1].approver}}));
    TKM_RETURN_IF_ERROR(ctx_.db.execute(
        "INSERT INTO release_releases (package_id, ledger_seq, at_ms) VALUES (?, ?, ?)",
        {package_id, e.seq, to_unix_ms(ctx_.clock.now())}));
    // LEDGER-02: onward recipients already permitted under the contract hold this dataset too.
    Contracts contracts(ctx_);
    TKM_ASSIGN_OR_RETURN(auto onward, contracts.onward(p.contract));
    std::set<std::string> entered;
    for (auto it = onward.rbegin(); it != onward.rend(); ++it) {
      if (!entered.insert(it->party).second || !it->permitted) continue;
      TKM_RETURN_IF_ERROR(ledger.append(
          tx, by,
          {.kind = "onward",
           .recipient = p.recipient,
           .dataset = p.dataset,
           .contents = it->purpose + " / " + it->scope,
           .data_kind = std::string(dataset_kind_name(b.kind)),
           .approval = std::to_string(p.approval),
           .contract = std::to_string(p.contract),
           .delivery = delivery,
           .onward = fmt::format("{} (許可 {}, 契約 {})", it->party, it->id, it->contract_ref)}));
    }
    TKM_RETURN_IF_ERROR(detail::log(ctx_.audit, tx, by, "package.release",
                                    fmt::format("package:{}", package_id),
                                    {{"ledger", e.seq}, {"dataset", p.dataset}}));
    p.ledger_seq = e.seq;
  }
  TKM_RETURN_IF_ERROR(tx.commit());
  return p;
}

Result<std::filesystem::path> Packages::release_file(std::int64_t id) {
  TKM_ASSIGN_OR_RETURN(PackageRecord p, get(id));
  if (!p.released()) {
    return detail::refused(
        "PROVISION-03",
        fmt::format("パッケージ {} は二人の確認が済んでいません ({}/2)", id,
                    p.confirmations.size()),
        fmt::format("package {} lacks its two confirmations ({}/2)", id, p.confirmations.size()));
  }
  // Nothing is handed out that the gate would refuse now (a suspension, an opt-out, …).
  TKM_ASSIGN_OR_RETURN(BuildRecord b, builds_.get(p.build_id));
  TKM_RETURN_IF_ERROR(gate(b));
  const std::filesystem::path file = folder_ / (p.dataset + ".p7m");
  TKM_ASSIGN_OR_RETURN(std::string bytes, read_file(file));
  if (hex_encode(crypto::sha256(as_bytes(bytes))) != p.sha256) {
    return fail(Errc::integrity,
                {"パッケージのファイルが記録のハッシュと一致しません",
                 "the package file does not match its recorded hash"},
                Location{.file = file.string()});
  }
  return file;
}

Result<OpenedPackage> open_package(ByteView package, const std::string& certificate_pem,
                                   const std::string& private_key_pem,
                                   const std::string& operator_certificate_pem,
                                   const std::string& expected_fingerprint) {
  TKM_ASSIGN_OR_RETURN(Bytes signed_der,
                       crypto::cms_decrypt(package, certificate_pem, private_key_pem));
  std::string signer = operator_certificate_pem;
  if (signer.empty()) {
    TKM_ASSIGN_OR_RETURN(signer, crypto::cms_signer(signed_der));
  }
  TKM_ASSIGN_OR_RETURN(Bytes archive, crypto::cms_verify(signed_der, signer));
  TKM_ASSIGN_OR_RETURN(auto cert, crypto::parse_certificate(signer));
  if (!expected_fingerprint.empty() && cert.fingerprint != expected_fingerprint) {
    return fail(
        Errc::integrity,
        {"署名者の証明書の指紋が事業者の公表したものと一致しません: " + cert.fingerprint,
         "the signer's fingerprint is not the one the operator published: " + cert.fingerprint});
  }
  OpenedPackage out;
  out.signer_fingerprint = cert.fingerprint;
  TKM_ASSIGN_OR_RETURN(out.files, read_tar(archive));
  if (!out.files.contains("manifest.json")) {
    return fail(Errc::integrity, {"目録 (manifest.json) がありません", "no manifest.json"});
  }
  out.manifest = json::parse(out.files["manifest.json"], nullptr, false);
  if (out.manifest.is_discarded() || !out.manifest.is_object() || !out.manifest.contains("files") ||
      !out.manifest["files"].is_array() || !out.manifest.contains("label") ||
      !out.manifest["label"].is_string()) {
    return fail(Errc::integrity, {"目録を読めません", "the manifest is unreadable"},
                Location{.file = "manifest.json"});
  }
  std::set<std::string> listed = {"README.txt", "manifest.json"};
  for (const auto& f : out.manifest["files"]) {
    if (!f.is_object() || !f.contains("name") || !f["name"].is_string() || !f.contains("sha256") ||
        !f["sha256"].is_string()) {
      return fail(Errc::integrity, {"目録の項目を読めません", "a manifest entry is unreadable"},
                  Location{.file = "manifest.json", .field = "files"});
    }
    const std::string name = f["name"].get<std::string>();
    listed.insert(name);
    if (!out.files.contains(name) ||
        hex_encode(crypto::sha256(as_bytes(out.files[name]))) != f["sha256"].get<std::string>()) {
      return fail(Errc::integrity,
                  {name + " が目録と一致しません", name + " does not match the manifest"},
                  Location{.file = name});
    }
  }
  for (const char* needed : {"persons.csv", "events.csv", "dictionary.json"}) {
    if (!listed.contains(needed)) {
      return fail(Errc::integrity, {std::string(needed) + " が目録にありません",
                                    std::string(needed) + " is not in the manifest"});
    }
  }
  for (const auto& [name, content] : out.files) {
    if (!listed.contains(name)) {
      return fail(Errc::integrity,
                  {name + " は目録にないファイルです", name + " is not in the manifest"},
                  Location{.file = name});
    }
  }
  return out;
}

}  // namespace tokumei::release
