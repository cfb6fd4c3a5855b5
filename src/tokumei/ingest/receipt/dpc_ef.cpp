#include "tokumei/ingest/receipt/dpc_ef.h"

#include <fmt/format.h>

#include <charconv>
#include <set>
#include <vector>

#include "tokumei/ingest/screening.h"
#include "tokumei/ingest/text_encoding.h"

namespace tokumei::ingest::receipt {
namespace {

constexpr std::size_t kColumns = 31;

std::vector<std::string_view> split_tabs(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    std::size_t tab = line.find('\t', start);
    out.push_back(
        line.substr(start, tab == std::string_view::npos ? std::string_view::npos : tab - start));
    if (tab == std::string_view::npos) break;
    start = tab + 1;
  }
  return out;
}

// yyyymmdd → yyyy-mm-dd; "" for 00000000 (not yet known) or a malformed date (nullopt).
std::optional<std::string> ef_date(std::string_view s) {
  if (s == "00000000" || s.empty()) return std::string();
  if (s.size() != 8 || s.find_first_not_of("0123456789") != std::string_view::npos)
    return std::nullopt;
  int month = (s[4] - '0') * 10 + (s[5] - '0'), day = (s[6] - '0') * 10 + (s[7] - '0');
  if (month < 1 || month > 12 || day < 1 || day > 31) return std::nullopt;
  return fmt::format("{}-{}-{}", s.substr(0, 4), s.substr(4, 2), s.substr(6, 2));
}

}  // namespace

FileOutcome read_dpc_ef(const std::string& path, std::string_view bytes,
                        const std::string& institution) {
  FileOutcome out{.path = path, .record_type = "DPC EF"};
  // Shift_JIS as the specification says; UTF-8 when that is what it is.
  auto text = decode_to_utf8(bytes, Charset::utf8, path);
  if (!text) text = decode_to_utf8(bytes, Charset::cp932, path);
  if (!text) {
    out.kind = FileOutcome::Kind::quarantined;
    out.problems.push_back(text.error());
    return out;
  }
  if (text->starts_with("\xEF\xBB\xBF")) text->erase(0, 3);
  if (auto number = screen_for_individual_numbers(*text, path)) {  // INTAKE-07
    out.kind = FileOutcome::Kind::quarantined;
    out.problems.push_back(std::move(*number));
    return out;
  }
  std::string_view all = *text;
  std::set<std::pair<std::string, std::string>> admissions, persons;
  int line_number = 0;
  bool title = true;
  for (std::size_t start = 0; start < all.size();) {
    std::size_t end = all.find('\n', start);
    if (end == std::string_view::npos) end = all.size();
    std::string_view line = all.substr(start, end - start);
    start = end + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    auto f = split_tabs(line);
    auto refuse = [&](std::string field, std::string ja, std::string en) {
      out.problems.emplace_back(
          Errc::invalid_input, Text{std::move(ja), std::move(en)},
          Location{.file = path, .line = line_number, .field = std::move(field)});
    };
    if (title) {
      title = false;
      if (f.size() < 2 || f[0] != "施設コード" || f[1] != "データ識別番号") {
        out.kind = FileOutcome::Kind::not_read;
        out.problems.emplace_back(
            Errc::invalid_argument,
            Text{"入院EF統合ファイルの見出し行 (施設コード、データ識別番号、…) がありません",
                 "no DPC EF title row (施設コード, データ識別番号, …)"},
            Location{.file = path, .line = 1});
        return out;
      }
      continue;
    }
    if (f.size() != kColumns) {
      refuse("columns", fmt::format("列が {} 個あります ({} 個のはず)", f.size(), kColumns),
             fmt::format("{} columns, not {}", f.size(), kColumns));
      continue;
    }
    const std::string patient(f[1]);
    auto admitted = ef_date(f[3]), discharged = ef_date(f[2]), performed = ef_date(f[23]);
    if (!admitted || !discharged || !performed || patient.empty()) {
      refuse(!admitted     ? "入院年月日"
             : !discharged ? "退院年月日"
             : !performed  ? "実施年月日"
                           : "データ識別番号",
             "日付またはデータ識別番号が正しくありません", "a date or the data ID is malformed");
      continue;
    }
    if (persons.insert({patient, ""}).second) {
      out.extract.persons.push_back(
          {.institution = institution,
           .patient_id = patient,
           .source = {.file = path, .line = line_number, .element = "EF"}});
    }
    if (admissions.insert({patient, *admitted}).second) {
      out.extract.encounters.push_back(
          {.patient_id = patient,
           .kind = model::EncounterKind::admission,
           .start = *admitted,
           .end = *discharged,
           .department = {.system = "DPC-department", .code = std::string(f[25])},
           .source_key = fmt::format("{}/{}", patient, *admitted),
           .source = {.file = path, .line = line_number, .element = "EF"}});
    }
    if (f[6] == "000") continue;  // the group's head: its details follow
    const std::string code(f[8]);
    const std::string key = fmt::format("{}/{}/{}/{}", patient, *admitted, f[5], f[6]);
    const model::SourceRef ref{.file = path, .line = line_number, .element = "EF"};
    if (code.starts_with('1')) {
      out.extract.procedures.push_back(
          {.patient_id = patient,
           .code = {.system = "claims-procedure", .code = code, .display = std::string(f[10])},
           .performed = *performed,
           .source_key = key,
           .source = ref});
    } else if (code.starts_with('6')) {
      model::Medication m{
          .patient_id = patient,
          .kind = f[4].starts_with('3') ? model::MedicationKind::injection
                                        : model::MedicationKind::prescription,
          .drug = {.system = "claims-drug", .code = code, .display = std::string(f[10])},
          .start = *performed,
          .source_key = key,
          .source = ref};
      double amount = 0;
      std::string_view a = f[11];
      auto [ptr, ec] = std::from_chars(a.data(), a.data() + a.size(), amount);
      if (ec == std::errc() && ptr == a.data() + a.size()) m.dose = amount;
      out.extract.medications.push_back(std::move(m));
    }
  }
  if (title) {
    out.kind = FileOutcome::Kind::quarantined;
    out.problems.emplace_back(Errc::invalid_input, Text{"ファイルが空です", "the file is empty"},
                              Location{.file = path});
  }
  return out;
}

}  // namespace tokumei::ingest::receipt
