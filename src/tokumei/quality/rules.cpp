#include "tokumei/quality/rules.h"

#include <algorithm>

namespace tokumei::quality {
namespace {

bool digits(std::string_view s, std::size_t n) {
  return s.size() == n &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}
bool alnum(std::string_view s, std::size_t n) {
  return s.size() == n && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z');
         });
}

}  // namespace

std::string_view severity_name(Severity s) { return s == Severity::error ? "error" : "warning"; }

const std::vector<Rule>& rules() {
  static const std::vector<Rule> all = {
      {rule::before_birth,
       1,
       Severity::error,
       true,
       {"生年月日より前の日付の記録", "an event dated before the patient's birth"}},
      {rule::after_death,
       1,
       Severity::error,
       true,
       {"死亡日より後の日付の記録", "an event dated after the patient's death"}},
      {rule::future,
       1,
       Severity::error,
       true,
       {"点検した日より後 (未来) の日付の記録", "an event dated in the future"}},
      {rule::after_extraction,
       1,
       Severity::error,
       true,
       {"データ抽出日より後の日付の記録", "an event dated after the data were extracted"}},
      {rule::discharge_before_admission,
       1,
       Severity::error,
       true,
       {"退院日が入院日より前", "a discharge before its admission"}},
      {rule::outside_encounter,
       1,
       Severity::error,
       true,
       {"処方・注射・検査結果・処置の日付が、その記録の属する受診・入院の期間外",
        "an order, result or procedure dated outside the encounter it belongs to"}},
      {rule::several_names,
       1,
       Severity::error,
       true,
       {"一つの患者IDに複数の氏名 (正規化後に異なる)",
        "one patient ID with several names (different after normalization)"}},
      {rule::conflicting_demographics,
       1,
       Severity::error,
       true,
       {"一つの患者IDで性別か生年月日が記録によって異なる",
        "one patient ID with different sexes or birth dates in different records"}},
      {rule::orphan_id,
       1,
       Severity::warning,
       false,
       {"患者の基本情報のない記録 (どのファイルにもない患者を指す) "
        "か、診療記録がなくレセプトにだけ現れる患者ID",
        "records of a patient no patient record describes (they name a patient in no file), or "
        "a patient ID found only in claims, with no clinical data"}},
      {rule::duplicate,
       1,
       Severity::warning,
       false,
       {"同じ患者・種類・コード・日付・値の記録が重複", "the same event recorded more than once"}},
      {rule::not_notified,
       1,
       Severity::error,
       false,
       {"通知の記録がない患者 (レセプト等で来院が確認された)、または通知日より前の記録 — "
        "取得時に除外",
        "a patient seen (in claims or clinical data) with no notification on record, or records "
        "dated before the notification — held out at acquisition"}},
      {rule::invalid_code,
       1,
       Severity::warning,
       false,
       {"コード体系の形式に合わないコード (ICD-10、JLAC10、HOT、レセ電コードなど)",
        "a code that does not have its code system's form (ICD-10, JLAC10, HOT, claims codes, "
        "...)"}},
  };
  return all;
}

const Rule* find_rule(std::string_view id) {
  for (const Rule& r : rules()) {
    if (r.id == id) return &r;
  }
  return nullptr;
}

bool valid_code(std::string_view system, std::string_view code) {
  if (system == "ICD10") {
    std::string compact;
    for (char c : code) {
      if (c != '.') compact.push_back(c);
    }
    if (compact.size() < 3 || compact.size() > 7) return false;
    if (compact[0] < 'A' || compact[0] > 'Z') return false;
    if (!digits(std::string_view(compact).substr(1, 2), 2)) return false;
    return alnum(std::string_view(compact).substr(3), compact.size() - 3);
  }
  if (system == "JLAC10" || system == "JC10") return alnum(code, 17);
  if (system == "HOT9") return digits(code, 9);
  if (system == "HOT13") return digits(code, 13);
  if (system == "YJ") return alnum(code, 12);
  if (system == "MDCDX2") return digits(code, 8);
  if (system == "claims-disease") return digits(code, 7);
  if (system == "claims-procedure" || system == "claims-drug") return digits(code, 9);
  return true;
}

}  // namespace tokumei::quality
