#include "tokumei/ingest/receipt/uke.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <memory>
#include <optional>
#include <set>
#include <vector>

#include "tokumei/identity/japanese.h"
#include "tokumei/ingest/fields.h"
#include "tokumei/ingest/screening.h"
#include "tokumei/ingest/text_encoding.h"

namespace tokumei::ingest::receipt {
namespace {

int number(std::string_view s) {
  int v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

// (year, rest) from yyyy… or G YY…, given the length of the western form.
std::optional<std::pair<int, std::string_view>> year_of(std::string_view text,
                                                        std::size_t western_length) {
  if (!all_digits(text)) return std::nullopt;
  if (text.size() == western_length) return std::pair{number(text.substr(0, 4)), text.substr(4)};
  if (text.size() == western_length - 1) {
    const auto year = identity::western_year(text.substr(0, 1), number(text.substr(1, 2)));
    if (!year) return std::nullopt;
    return std::pair{*year, text.substr(3)};
  }
  return std::nullopt;
}

std::string_view field(const std::vector<std::string_view>& f, std::size_t i) {
  return i < f.size() ? f[i] : std::string_view{};
}

// Record types of the specification that carry nothing the model takes (read for their days
// where they have day columns: TO).
const std::set<std::string_view>& known_types() {
  static const std::set<std::string_view> all{"IR", "RE", "HO", "KO", "SY", "SI", "IY", "TO",
                                              "CO", "SN", "JD", "MF", "GO", "SJ", "TI", "TR",
                                              "TS", "GR", "NI", "ND", "KH", "CD", "GA", "GT"};
  return all;
}

std::string outcome_name(std::string_view code) {
  if (code == "1") return "continuing";  // 継続
  if (code == "2") return "cured";       // 治ゆ
  if (code == "3") return "died";        // 死亡
  if (code == "4") return "stopped";     // 中止
  return std::string(code);
}

class UkeReader {
 public:
  UkeReader(const std::string& path, const std::string& institution, FileOutcome& out)
      : path_(path), institution_(institution), out_(&out) {}
  // Where what is read next goes (the next part of a file read part by part); a claim still open
  // goes there when it ends.
  void write_to(FileOutcome& out) { out_ = &out; }

  void record(std::string_view line, int number) {
    line_ = number;
    auto f = split(line, ',');
    type_ = f[0];
    if (number_of_records_++ == 0 && type_ != "IR") {
      refuse_file(fmt::format("最初のレコードが IR (医療機関情報) ではなく「{}」です", type_),
                  fmt::format("the first record is \"{}\", not IR (医療機関情報)", type_));
      return;
    }
    if (type_ == "IR") return ir(f);
    if (type_ == "RE") return re(f);
    if (!known_types().contains(type_)) {
      warn("", fmt::format("記録条件仕様にないレコード種別「{}」を読み飛ばしました", type_),
           fmt::format("record type \"{}\" is not in the specification; skipped", type_));
      return;
    }
    if (type_ == "GO") return;
    if (!claim_) {
      problem("", fmt::format("{} レコードが RE (レセプト共通) より前にあります", type_),
              fmt::format("{} record before any RE (claim) record", type_));
      return;
    }
    if (type_ == "HO") return ho(f);
    if (type_ == "KO") return ko(f);
    if (type_ == "SY") return sy(f);
    if (type_ == "SI" || type_ == "IY" || type_ == "TO") return detail(f);
    if (type_ == "JD") return jd(f);
  }

  void finish() { flush(); }
  bool refused() const { return refused_; }

 private:
  struct Claim {
    model::PersonIdentity person;
    model::ClaimVisit visit;
    std::set<int> days;
    std::string month;  // yyyy-MM
    std::string number;
    std::vector<model::Medication> medications;
    std::vector<model::Procedure> procedures;
    std::vector<model::Diagnosis> diagnoses;
  };

  model::SourceRef ref() const {
    return {.file = path_, .line = line_, .element = std::string(type_)};
  }
  Error located(std::string field, std::string ja, std::string en) const {
    return Error(
        Errc::invalid_input, {std::move(ja), std::move(en)},
        Location{.file = path_,
                 .line = line_,
                 .field = field.empty() ? std::string(type_) : fmt::format("{}-{}", type_, field)});
  }
  void warn(std::string field, std::string ja, std::string en) {
    out_->warnings.push_back(located(std::move(field), std::move(ja), std::move(en)));
  }
  void problem(std::string field, std::string ja, std::string en) {
    out_->problems.push_back(located(std::move(field), std::move(ja), std::move(en)));
  }
  void refuse_file(std::string ja, std::string en) {
    refused_ = true;
    problem("", std::move(ja), std::move(en));
  }

  std::string date(std::string_view text, std::size_t index) {
    if (text.empty()) return {};
    std::string d = claims_date(text);
    if (d.empty()) {
      warn(std::to_string(index), fmt::format("日付「{}」を読めません", text),
           fmt::format("date \"{}\" is neither yyyyMMdd nor GYYMMDD", text));
    }
    return d;
  }

  void ir(const std::vector<std::string_view>& f) {
    // 都道府県 (2) + 点数表 (1) + 医療機関コード (7) make the 10-digit institution code.
    const std::string code =
        std::string(field(f, 2)) + std::string(field(f, 3)) + std::string(field(f, 4));
    if (!institution_.empty() && code.size() == 10 && code != institution_) {
      warn("4", fmt::format("IR の医療機関コード {} が指定の {} と異なります", code, institution_),
           fmt::format("IR institution code {} differs from the given {}", code, institution_));
    }
    claim_month_ = claims_month(field(f, 7));
  }

  void re(const std::vector<std::string_view>& f) {
    flush();
    claim_.emplace();
    Claim& c = *claim_;
    c.number = field(f, 1);
    c.month = claims_month(field(f, 3));
    if (c.month.empty()) {
      warn("3", fmt::format("診療年月「{}」を読めません", field(f, 3)),
           fmt::format("claim month \"{}\" is neither yyyyMM nor GYYMM", field(f, 3)));
      c.month = claim_month_;
    }
    model::PersonIdentity& p = c.person;
    p.institution = institution_;
    p.patient_id = field(f, 13);  // カルテ番号等
    if (p.patient_id.empty()) {
      p.patient_id = fmt::format("receipt:{}:{}", c.month, c.number);
      warn("13", "カルテ番号がないため、病院の記録と結び付けられません",
           "no カルテ番号 (patient ID): the claim cannot be linked to hospital records");
    }
    p.name_kanji = field(f, 4);
    p.name_kana = field(f, 36);
    p.sex = field(f, 5) == "1"   ? model::Sex::male
            : field(f, 5) == "2" ? model::Sex::female
                                 : model::Sex::unknown;
    p.birth_date = date(field(f, 6), 6);
    p.source = ref();
    c.visit = {.patient_id = p.patient_id,
               .claim_month = c.month,
               .source_key = fmt::format("{}/{}", c.month, c.number),
               .source = ref()};
  }

  void ho(const std::vector<std::string_view>& f) {
    claim_->person.insurance.push_back({.insurer_number = std::string(field(f, 1)),
                                        .symbol = std::string(field(f, 2)),
                                        .number = std::string(field(f, 3))});
  }
  void ko(const std::vector<std::string_view>& f) {
    claim_->person.insurance.push_back(
        {.insurer_number = std::string(field(f, 1)), .number = std::string(field(f, 2))});
  }

  void sy(const std::vector<std::string_view>& f) {
    Claim& c = *claim_;
    model::Diagnosis d{.patient_id = c.person.patient_id};
    d.disease = {.system = "claims-disease", .code = std::string(field(f, 1))};
    if (field(f, 1) == "0000999") d.disease.display = field(f, 5);  // 未コード化傷病名
    if (!all_digits(d.disease.code)) {
      problem("1", fmt::format("傷病名コード「{}」が数字ではありません", field(f, 1)),
              fmt::format("disease code \"{}\" is not numeric", field(f, 1)));
      return;
    }
    d.onset = date(field(f, 2), 2);
    d.outcome = outcome_name(field(f, 3));
    // 修飾語コード: 4-digit codes one after another; 8002 is 「の疑い」.
    const std::string_view modifiers = field(f, 4);
    for (std::size_t i = 0; i + 4 <= modifiers.size(); i += 4) {
      if (modifiers.substr(i, 4) == "8002") d.suspected = true;
    }
    d.recorded = c.month;
    d.source_key = fmt::format("{}/{}/{}", c.month, c.number, line_);
    d.source = ref();
    c.diagnoses.push_back(std::move(d));
  }

  // SI, IY, TO: the item, and its day columns (fields 13..43 = days 1..31).
  void detail(const std::vector<std::string_view>& f) {
    Claim& c = *claim_;
    int first_day = 0;
    for (int day = 1; day <= 31; ++day) {
      std::string_view count = field(f, 12 + static_cast<std::size_t>(day));
      if (!count.empty() && count != "0") {
        c.days.insert(day);
        if (first_day == 0) first_day = day;
      }
    }
    const std::string when =
        first_day == 0 || c.month.empty() ? c.month : fmt::format("{}-{:02}", c.month, first_day);
    const std::string key = fmt::format("{}/{}/{}", c.month, c.number, line_);
    if (type_ == "SI") {
      c.procedures.push_back(
          {.patient_id = c.person.patient_id,
           .code = {.system = "claims-procedure", .code = std::string(field(f, 3))},
           .performed = when,
           .source_key = key,
           .source = ref()});
    } else if (type_ == "IY") {
      model::Medication m{.patient_id = c.person.patient_id,
                          .drug = {.system = "claims-drug", .code = std::string(field(f, 3))},
                          .start = when,
                          .source_key = key,
                          .source = ref()};
      const std::string_view a = field(f, 4);
      m.dose = parse_number(a);
      if (!a.empty() && !m.dose) {
        warn("4", fmt::format("使用量「{}」が数値ではありません", a),
             fmt::format("amount \"{}\" is not a number", a));
      }
      // 内服 (診療識別 21): 回数 is the number of days.
      if (field(f, 1) == "21" && all_digits(field(f, 6))) m.days = number(field(f, 6));
      c.medications.push_back(std::move(m));
    }
  }

  // JD 受診日等: fields 2..32 = days 1..31.
  void jd(const std::vector<std::string_view>& f) {
    for (int day = 1; day <= 31; ++day) {
      std::string_view v = field(f, 1 + static_cast<std::size_t>(day));
      if (!v.empty() && v != "0") claim_->days.insert(day);
    }
  }

  void flush() {
    if (!claim_) return;
    Claim& c = *claim_;
    for (int day : c.days) {
      if (!c.month.empty()) c.visit.visit_dates.push_back(fmt::format("{}-{:02}", c.month, day));
    }
    model::Extract& x = out_->extract;
    x.persons.push_back(std::move(c.person));
    x.claim_visits.push_back(std::move(c.visit));
    for (auto& d : c.diagnoses) x.diagnoses.push_back(std::move(d));
    for (auto& m : c.medications) x.medications.push_back(std::move(m));
    for (auto& p : c.procedures) x.procedures.push_back(std::move(p));
    claim_.reset();
  }

  const std::string& path_;
  const std::string& institution_;
  FileOutcome* out_;
  std::optional<Claim> claim_;
  std::string claim_month_;
  std::string_view type_;
  int line_ = 0;
  std::size_t number_of_records_ = 0;
  bool refused_ = false;
};

}  // namespace

std::string claims_date(std::string_view text) {
  auto y = year_of(text, 8);
  if (!y) return {};
  auto [year, rest] = *y;
  int month = number(rest.substr(0, 2)), day = number(rest.substr(2, 2));
  if (month < 1 || month > 12 || day < 1 || day > 31) return {};
  return fmt::format("{:04}-{:02}-{:02}", year, month, day);
}

std::string claims_month(std::string_view text) {
  auto y = year_of(text, 6);
  if (!y) return {};
  auto [year, rest] = *y;
  int month = number(rest.substr(0, 2));
  if (month < 1 || month > 12) return {};
  return fmt::format("{:04}-{:02}", year, month);
}

// One file's reading, whole or part by part.
struct UkeParts::State {
  // The reader refers to `path` and `institution`: these copies, which live as long as it does.
  State(std::string file, std::string code)
      : path(std::move(file)),
        institution(std::move(code)),
        reader(path, institution, placeholder) {}
  std::string path;
  std::string institution;
  FileOutcome placeholder;
  UkeReader reader;
  int lines = 0;
};

UkeParts::UkeParts(const std::string& path, const std::string& institution)
    : state_(std::make_unique<State>(path, institution)) {}
UkeParts::~UkeParts() = default;

FileOutcome UkeParts::read(std::string_view bytes, int lines_before, std::int64_t bytes_before,
                           bool last) {
  const std::string& path = state_->path;
  FileOutcome out{.path = path, .record_type = "UKE"};
  // An EOF byte (0x1A) may end the file (after the last line end, so at the end of a part).
  while (!bytes.empty() && (bytes.back() == '\x1a')) bytes.remove_suffix(1);
  auto text = decode_to_utf8(bytes, Charset::cp932, path, bytes_before);
  if (!text) {
    out.kind = FileOutcome::Kind::quarantined;
    out.problems.push_back(text.error());
    return out;
  }
  if (auto number = screen_for_individual_numbers(*text, path, lines_before,
                                                  bytes_before)) {  // INTAKE-07
    out.kind = FileOutcome::Kind::quarantined;
    out.problems.push_back(std::move(*number));
    return out;
  }
  UkeReader& reader = state_->reader;
  reader.write_to(out);
  for_each_line(*text, [&](std::string_view line, int number) {
    state_->lines = lines_before + number;
    if (!line.empty()) reader.record(line, lines_before + number);
    return !reader.refused();
  });
  if (reader.refused()) {
    out.kind = FileOutcome::Kind::quarantined;
    out.extract = {};
    return out;
  }
  if (last) {
    reader.finish();
    if (state_->lines == 0) {
      out.kind = FileOutcome::Kind::quarantined;
      out.problems.emplace_back(Errc::invalid_input, Text{"ファイルが空です", "the file is empty"},
                                Location{.file = path});
    }
  }
  reader.write_to(state_->placeholder);
  return out;
}

FileOutcome read_uke(const std::string& path, std::string_view bytes,
                     const std::string& institution) {
  return UkeParts(path, institution).read(bytes, 0, 0, true);
}

}  // namespace tokumei::ingest::receipt
