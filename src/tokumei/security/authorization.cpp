#include "tokumei/security/authorization.h"

#include <array>
#include <initializer_list>

namespace tokumei::security {
namespace {

struct Grant {
  OperationInfo info;
  std::initializer_list<Role> roles;
};

using R = Role;
const std::array<Grant, kOperationCount>& grants() {
  static const std::array<Grant, kOperationCount> table = {{
      {{Operation::account_manage, "account.manage", {"アカウント管理", "manage accounts"}},
       {R::security_officer, R::senior_security_manager}},
      {{Operation::account_unlock, "account.unlock", {"ロック解除・再発行", "unlock or reset"}},
       {R::security_officer, R::system_administrator}},
      {{Operation::account_list, "account.list", {"アカウント一覧", "list accounts"}},
       {R::security_officer, R::senior_security_manager, R::system_administrator, R::auditor}},
      {{Operation::terminal_register, "terminal.register", {"端末の登録", "register terminals"}},
       {R::system_administrator, R::security_officer}},
      {{Operation::key_manage, "key.manage", {"鍵の管理", "manage keys"}}, {R::security_officer}},
      {{Operation::ingest_run, "ingest.run", {"取り込み", "ingest"}}, {R::processing_staff}},
      {{Operation::link_run, "link.run", {"名寄せ", "record linkage"}}, {R::processing_staff}},
      {{Operation::quality_check, "quality.check", {"品質確認", "quality check"}},
       {R::processing_staff, R::quality_reviewer}},
      {{Operation::quality_decide, "quality.decide", {"指摘の判断", "decide findings"}},
       {R::quality_reviewer}},
      {{Operation::acquire, "acquire", {"取得の確定", "acquire a batch"}}, {R::processing_staff}},
      {{Operation::correction_enter, "correction.enter", {"訂正の入力", "enter a correction"}},
       {R::processing_staff, R::quality_reviewer}},
      {{Operation::correction_confirm,
        "correction.confirm",
        {"訂正の確認", "confirm a correction"}},
       {R::processing_staff, R::quality_reviewer}},
      {{Operation::consent_manage, "consent.manage", {"通知・停止の求め", "notices and opt-outs"}},
       {R::processing_staff}},
      {{Operation::anonymize, "anonymize", {"加工", "anonymize"}}, {R::processing_staff}},
      {{Operation::request_review, "request.review", {"提供の審査", "review requests"}},
       {R::committee_member}},
      {{Operation::release_approve, "release.approve", {"提供の承認", "approve a release"}},
       {R::provision_approver}},
      {{Operation::registry_manage, "registry.manage", {"提供先・医療機関の登録", "registries"}},
       {R::provision_coordinator}},
      {{Operation::request_manage, "request.manage", {"利用申請の受付", "manage requests"}},
       {R::provision_coordinator}},
      {{Operation::committee_manage, "committee.manage", {"審査委員会の運営", "run the committee"}},
       {R::provision_coordinator}},
      {{Operation::contract_manage, "contract.manage", {"契約の管理", "manage contracts"}},
       {R::provision_coordinator}},
      {{Operation::ledger_read, "ledger.read", {"帳簿の閲覧・出力", "read the ledger"}},
       {R::provision_coordinator, R::provision_approver, R::auditor, R::security_officer}},
      {{Operation::ledger_correct, "ledger.correct", {"帳簿の訂正", "correct the ledger"}},
       {R::provision_coordinator, R::provision_approver}},
      {{Operation::provision_read, "provision.read", {"提供の記録の閲覧", "see provision records"}},
       {R::provision_coordinator, R::committee_member, R::provision_approver, R::processing_staff,
        R::auditor}},
      {{Operation::release_package,
        "release.package",
        {"提供パッケージの作成", "make a release package"}},
       {R::processing_staff}},
      {{Operation::build_read,
        "build.read",
        {"データセットと報告の閲覧", "see builds and reports"}},
       {R::processing_staff, R::provision_approver, R::auditor}},
      {{Operation::audit_read, "audit.read", {"監査ログの閲覧", "read the audit log"}},
       {R::auditor}},
      {{Operation::audit_verify, "audit.verify", {"監査ログの検証", "verify the audit log"}},
       {R::auditor, R::security_officer}},
      {{Operation::audit_review, "audit.review", {"監査ログのレビュー", "review the audit log"}},
       {R::auditor, R::senior_security_manager}},
      {{Operation::monitor_run, "monitor.run", {"監視の実行", "run the monitors"}},
       {R::security_officer, R::system_administrator}},
      {{Operation::incident_manage, "incident.manage", {"インシデント管理", "manage incidents"}},
       {R::security_officer, R::senior_security_manager}},
      {{Operation::exit_freeze, "exit.freeze", {"出口の停止・再開", "freeze or release exit"}},
       {R::security_officer, R::senior_security_manager}},
      {{Operation::break_glass_open, "break_glass.open", {"緊急アクセス", "emergency access"}},
       {R::processing_staff, R::system_administrator}},
      {{Operation::break_glass_approve,
        "break_glass.approve",
        {"緊急アクセスの承認", "approve emergency access"}},
       {R::system_administrator}},
      {{Operation::break_glass_review,
        "break_glass.review",
        {"緊急アクセスの事後確認", "review emergency access"}},
       {R::security_officer}},
      {{Operation::submit, "submit", {"データの提出", "submit data"}}, {R::institution_submitter}},
      {{Operation::receive, "receive", {"データの受領", "receive data"}}, {R::recipient}},
  }};
  return table;
}

}  // namespace

std::span<const OperationInfo> operations() {
  static const std::array<OperationInfo, kOperationCount> list = [] {
    std::array<OperationInfo, kOperationCount> out{};
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = grants()[i].info;
    return out;
  }();
  return list;
}

const OperationInfo& operation_info(Operation op) {
  return grants()[static_cast<std::size_t>(op)].info;
}

Result<Operation> parse_operation(std::string_view name) {
  for (const auto& g : grants()) {
    if (g.info.name == name) return g.info.op;
  }
  return fail(Errc::invalid_input, {"操作「" + std::string(name) + "」はありません",
                                    "unknown operation '" + std::string(name) + "'"});
}

bool permitted(Role role, Operation op) {
  for (Role r : grants()[static_cast<std::size_t>(op)].roles) {
    if (r == role) return true;
  }
  return false;
}

}  // namespace tokumei::security
