#include "tokumei/ingest/receipt/dpc_ef.h"

#include <fmt/format.h>

#include <memory>
#include <set>
#include <vector>

#include "tokumei/ingest/fields.h"
#include "tokumei/ingest/screening.h"
#include "tokumei/ingest/text_encoding.h"

namespace tokumei::ingest::receipt {
namespace {

constexpr std::size_t kColumns = 31;

// yyyymmdd → yyyy-mm-dd; "" for 00000000 (not yet known); nullopt when malformed.
std::optional<std::string> ef_date(std::string_view s) {
  if (s == "00000000" || s.empty()) return std::string();
  std::string iso = s.size() == 8 ? iso_datetime(s) : std::string();
  if (iso.empty()) return std::nullopt;
  return iso;
}

}  // namespace

struct EfParts::State {
  std::string path, institution;
  std::set<std::pair<std::string, std::string>> admissions{}, persons{};
  bool title = true;
  bool layout_unknown = false;
};

EfParts::EfParts(const std::string& path, const std::string& institution)
    : state_(std::make_unique<State>(State{.path = path, .institution = institution})) {}
EfParts::~EfParts() = default;

FileOutcome EfParts::read(std::string_view bytes, int lines_before, std::int64_t bytes_before,
                          bool last) {
  const std::string& path = state_->path;
  const std::string& institution = state_->institution;
  FileOutcome out{.path = path, .record_type = "DPC EF"};
  if (state_->layout_unknown) {
    out.kind = FileOutcome::Kind::not_read;
    return out;
  }
  // Shift_JIS as the specification says; UTF-8 when that is what it is.
  auto text = decode_to_utf8(bytes, Charset::utf8, path, bytes_before);
  if (!text) text = decode_to_utf8(bytes, Charset::cp932, path, bytes_before);
  if (!text) {
    out.kind = FileOutcome::Kind::quarantined;
    out.problems.push_back(text.error());
    return out;
  }
  if (bytes_before == 0 && text->starts_with("\xEF\xBB\xBF")) text->erase(0, 3);
  if (auto number = screen_for_individual_numbers(*text, path, lines_before,
                                                  bytes_before)) {  // INTAKE-07
    out.kind = FileOutcome::Kind::quarantined;
    out.problems.push_back(std::move(*number));
    return out;
  }
  auto& admissions = state_->admissions;
  auto& persons = state_->persons;
  bool& title = state_->title;
  bool& layout_unknown = state_->layout_unknown;
  for_each_line(*text, [&](std::string_view line, int line_in_part) {
    const int line_number = lines_before + line_in_part;
    if (line.empty()) return true;
    auto f = split(line, '\t');
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
        layout_unknown = true;
        return false;
      }
      return true;
    }
    if (f.size() != kColumns) {
      refuse("columns", fmt::format("列が {} 個あります ({} 個のはず)", f.size(), kColumns),
             fmt::format("{} columns, not {}", f.size(), kColumns));
      return true;
    }
    const std::string patient(f[1]);
    auto admitted = ef_date(f[3]), discharged = ef_date(f[2]), performed = ef_date(f[23]);
    if (!admitted || !discharged || !performed || patient.empty()) {
      refuse(!admitted     ? "入院年月日"
             : !discharged ? "退院年月日"
             : !performed  ? "実施年月日"
                           : "データ識別番号",
             "日付またはデータ識別番号が正しくありません", "a date or the data ID is malformed");
      return true;
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
    if (f[6] == "000") return true;  // the group's head: its details follow
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
      m.dose = parse_number(f[11]);
      out.extract.medications.push_back(std::move(m));
    }
    return true;
  });
  if (layout_unknown || !last) return out;
  if (title) {
    out.kind = FileOutcome::Kind::quarantined;
    out.problems.emplace_back(Errc::invalid_input, Text{"ファイルが空です", "the file is empty"},
                              Location{.file = path});
  }
  return out;
}

FileOutcome read_dpc_ef(const std::string& path, std::string_view bytes,
                        const std::string& institution) {
  return EfParts(path, institution).read(bytes, 0, 0, true);
}

}  // namespace tokumei::ingest::receipt
