#include "tokumei/synth/generator.h"

#include <fmt/format.h>

#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <vector>

#include "tokumei/ingest/text_encoding.h"
#include "tokumei/synth/tables.h"

namespace tokumei::synth {
namespace fs = std::filesystem;
using nlohmann::json;

std::string institution_code(int n) {
  // 都道府県 13 (東京), 点数表 1 (医科), then a 7-digit code.
  return fmt::format("131{:07}", 1000 + n);
}

namespace {

// Text as an HL7 field value: the delimiters escaped (a unit such as 10^3/uL).
std::string hl7_escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '|':
        out += "\\F\\";
        break;
      case '^':
        out += "\\S\\";
        break;
      case '&':
        out += "\\T\\";
        break;
      case '~':
        out += "\\R\\";
        break;
      case '\\':
        out += "\\E\\";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

struct Date {
  int y, m, d;
  std::string compact() const { return fmt::format("{:04}{:02}{:02}", y, m, d); }
  std::string iso() const { return fmt::format("{:04}-{:02}-{:02}", y, m, d); }
  std::string month() const { return fmt::format("{:04}{:02}", y, m); }
  std::string iso_month() const { return fmt::format("{:04}-{:02}", y, m); }
  bool operator<(const Date& o) const { return std::tie(y, m, d) < std::tie(o.y, o.m, o.d); }
};

struct Person {
  std::string institution, patient_id;
  std::string family_kanji, family_kana, given_kanji, given_kana;
  std::string birth;  // yyyymmdd
  bool male = true;
  const Municipality* place = nullptr;
  std::string postal, street, phone, insurer;
  std::string kanji() const { return family_kanji + "\u3000" + given_kanji; }
  std::string kana() const { return family_kana + "\u3000" + given_kana; }
};

struct Visit {
  Date date;
  std::vector<const Drug*> drugs{};
  std::vector<std::pair<const LabTest*, std::string>> labs{};  // test, value as written
};

struct Stay {
  Date admit, discharge;
};

struct PatientPlan {
  Person person;
  std::vector<std::pair<const Disease*, Date>> diagnoses;
  std::vector<Visit> visits;
  std::vector<Stay> stays;
  std::string death{};                      // yyyymmdd, in the patient master (ADT-00, Patient)
  bool claims_sex_flipped = false;          // the claims say the other sex
  bool claims_birth_shifted = false;        // the claims give another birth year
  bool prescription_off_encounter = false;  // FHIR: the first visit's prescriptions misdated
};

class Writer {
 public:
  explicit Writer(const SynthOptions& o) : o_(o), random_(o.seed) {}

  Result<SynthReport> run() {
    std::error_code ec;
    if (fs::exists(o_.out, ec) && !fs::is_empty(o_.out, ec)) {
      return fail(Errc::already_exists,
                  {fmt::format("{} は空ではありません", o_.out.string()),
                   fmt::format("{} is not empty", o_.out.string())},
                  Location{.file = o_.out.string()});
    }
    fs::create_directories(o_.out / "truth");
    persons_.open(o_.out / "truth/persons.ndjson");
    events_.open(o_.out / "truth/events.ndjson");
    anomalies_.open(o_.out / "truth/anomalies.ndjson");
    for (int i = 1; i <= o_.institutions; ++i) {
      fs::create_directories(o_.out / institution_code(i));
      notifications_.push_back(
          std::make_unique<std::ofstream>(o_.out / institution_code(i) / "notifications.csv"));
      *notifications_.back() << "patient_id,notified_on\n";
    }
    for (std::size_t n = 0; n < o_.patients; ++n) {
      const int inst = 1 + static_cast<int>(n % static_cast<std::size_t>(o_.institutions));
      PatientPlan plan = make_plan(inst, n);
      PatientPlan written = plan;
      if (o_.anomalies) inject(written, n);
      TKM_RETURN_IF_ERROR(write_patient(inst, written, n));
      // The same person at a second hospital, registered there under another ID with a kana
      // variant (one patient in 50, when there are two or more institutions).
      if (o_.anomalies && o_.institutions > 1 && n % 50 == 7) {
        const int other = inst % o_.institutions + 1;
        PatientPlan twin = plan;
        twin.person.institution = institution_code(other);
        twin.person.patient_id = fmt::format("{:07}", 5000000 + n);
        twin.person.family_kana = kana_variant(twin.person.family_kana);
        twin.visits.resize(std::min<std::size_t>(twin.visits.size(), 2));
        twin.stays.clear();
        TKM_RETURN_IF_ERROR(write_patient(other, twin, n));
        anomaly("same_person_two_hospitals", {{"institution", plan.person.institution},
                                              {"patient_id", plan.person.patient_id},
                                              {"other_institution", twin.person.institution},
                                              {"other_patient_id", twin.person.patient_id}});
      }
      // Claims for a patient ID that has no clinical records (one in 40).
      if (o_.anomalies && n % 40 == 13) {
        PatientPlan orphan = make_plan(inst, n + 1000000);
        orphan.person.patient_id = fmt::format("{:07}", 8000000 + n);
        write_claims_only(inst, orphan);
        anomaly("orphan_claims_id", {{"institution", orphan.person.institution},
                                     {"patient_id", orphan.person.patient_id}});
      }
    }
    for (auto& [key, file] : claims_) finish_claims(*file);
    return report_;
  }

 private:
  // --- randomness ------------------------------------------------------------------------
  std::size_t below(std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(random_);
  }
  bool chance(double p) { return std::uniform_real_distribution<double>(0, 1)(random_) < p; }
  template <class T, std::size_t N>
  const T& pick(const T (&items)[N]) {
    return items[below(N)];
  }
  Date random_date() {
    const int year =
        o_.last_year - o_.years + 1 + static_cast<int>(below(static_cast<std::size_t>(o_.years)));
    return {year, 1 + static_cast<int>(below(12)), 1 + static_cast<int>(below(28))};
  }
  std::string kana_variant(const std::string& kana) {
    for (const auto& v : kKanaVariants) {
      if (auto at = kana.find(v.from); at != std::string::npos) {
        std::string out = kana;
        out.replace(at, v.from.size(), v.to);
        return out;
      }
    }
    return kana + "ー";
  }
  std::string kanji_typo(const std::string& kanji) {
    for (const auto& v : kKanjiTypos) {
      if (auto at = kanji.find(v.from); at != std::string::npos) {
        std::string out = kanji;
        out.replace(at, v.from.size(), v.to);
        return out;
      }
    }
    return kanji + "々";
  }
  // The name with an old or variant kanji (髙, 邊, 﨑, 齋): the same name after normalization.
  static std::string kanji_old_form(const std::string& kanji) {
    for (const auto& v : kKanjiOldForms) {
      if (auto at = kanji.find(v.from); at != std::string::npos) {
        std::string out = kanji;
        out.replace(at, v.from.size(), v.to);
        return out;
      }
    }
    return kanji;
  }

  // Anomalies in what the patient's own hospital holds (not in the copy registered at a second
  // hospital): events before birth, after death, in the future or after the extraction date;
  // demographics that differ in the claims; a prescription recorded twice; a malformed lab code.
  void inject(PatientPlan& p, std::size_t n) {
    const Person& who = p.person;
    auto add_visit = [&](Date d) {
      Visit v{.date = d, .drugs = {&kDrugs[0]}, .labs = {{&kLabTests[0], "100"}}};
      p.visits.push_back(std::move(v));
      std::sort(p.visits.begin(), p.visits.end(),
                [](const Visit& a, const Visit& b) { return a.date < b.date; });
    };
    auto note = [&](const char* kind) {
      anomaly(kind, {{"institution", who.institution}, {"patient_id", who.patient_id}});
    };
    const int birth_year = std::stoi(who.birth.substr(0, 4));
    if (n % 37 == 17) {
      add_visit({birth_year - 1, 6, 15});
      note("event_before_birth");
    } else if (n % 41 == 19 && p.visits.size() >= 2) {
      p.death = p.visits.front().date.compact();
      note("event_after_death");
    } else if (n % 43 == 23) {
      add_visit({2031, 1, 15});
      note("future_date");
    } else if (n % 47 == 29) {
      add_visit({o_.last_year + 1, 2, 10});
      note("date_after_extraction");
    }
    if (n % 53 == 31) {
      p.claims_sex_flipped = true;
      note("conflicting_sex");
    } else if (n % 59 == 37) {
      p.claims_birth_shifted = true;
      note("conflicting_birth_date");
    }
    if (n % 61 == 41 && !p.visits.empty() && !p.visits.front().drugs.empty()) {
      p.visits.front().drugs.push_back(p.visits.front().drugs.front());
      note("duplicate_event");
    }
    if (n % 73 == 53 && !p.visits.empty() && !p.visits.front().drugs.empty()) {
      p.prescription_off_encounter = true;  // noted where FHIR writes it (SS-MIX2 has no links)
    }
    if (n % 67 == 43 && !p.visits.empty() && !p.visits.front().labs.empty()) {
      p.visits.front().labs.front().first = &kMalformedLabTest;
      note("invalid_code");
    }
  }

  // --- plan -------------------------------------------------------------------------------
  PatientPlan make_plan(int inst, std::size_t n) {
    PatientPlan p;
    Person& who = p.person;
    who.institution = institution_code(inst);
    who.patient_id = fmt::format("{:07}", 1000000 + n);
    const Name& family = pick(kFamilyNames);
    who.male = chance(0.5);
    const Name& given = who.male ? pick(kMaleNames) : pick(kFemaleNames);
    who.family_kanji = family.kanji;
    who.family_kana = family.kana;
    who.given_kanji = given.kanji;
    who.given_kana = given.kana;
    who.birth = fmt::format("{:04}{:02}{:02}", 1935 + below(80), 1 + below(12), 1 + below(28));
    who.place = &pick(kMunicipalities);
    who.postal = fmt::format("{}-{:04}", who.place->postal, below(10000));
    who.street = fmt::format("{}{}{}丁目{}番{}号", who.place->prefecture, who.place->city, "中央",
                             1 + below(9), 1 + below(30), 1 + below(20));
    who.phone = fmt::format("0{}-{:04}-{:04}", 3 + below(6), below(10000), below(10000));
    who.insurer = fmt::format("0{}13{:03}{}", 1 + below(6), below(1000), below(10));
    const std::size_t diagnoses = 1 + below(3);
    for (std::size_t i = 0; i < diagnoses; ++i)
      p.diagnoses.emplace_back(&pick(kDiseases), random_date());
    std::set<std::string> days;
    const std::size_t visits = static_cast<std::size_t>(o_.years) * (1 + below(4));
    for (std::size_t i = 0; i < visits; ++i) {
      Date d = random_date();
      if (!days.insert(d.compact()).second) continue;  // one visit a day
      Visit v{.date = d};
      // Different drugs and tests within one visit (the same one twice is an anomaly).
      for (std::size_t k = 0, n_drugs = 1 + below(2); k < n_drugs; ++k) {
        const Drug* drug = &pick(kDrugs);
        if (std::find(v.drugs.begin(), v.drugs.end(), drug) == v.drugs.end()) {
          v.drugs.push_back(drug);
        }
      }
      std::set<const LabTest*> tests;
      for (std::size_t k = 0, n_labs = 2 + below(3); k < n_labs; ++k) {
        const LabTest& t = pick(kLabTests);
        if (!tests.insert(&t).second) continue;
        const double spread = (t.high - t.low) * 0.8;
        const double value =
            std::round(
                (t.low + std::uniform_real_distribution<double>(-0.2, 1.2)(random_) * spread) *
                10) /
            10;
        v.labs.emplace_back(&t, fmt::format("{}", value));
      }
      p.visits.push_back(std::move(v));
    }
    std::sort(p.visits.begin(), p.visits.end(),
              [](const Visit& a, const Visit& b) { return a.date < b.date; });
    if (chance(0.15)) {
      Date admit = random_date();
      Date discharge{admit.y, admit.m, std::min(28, admit.d + 1 + static_cast<int>(below(10)))};
      p.stays.push_back({admit, discharge});
    }
    return p;
  }

  // --- truth ------------------------------------------------------------------------------
  void truth_person(const Person& p, const char* source) {
    persons_ << json{{"institution", p.institution},
                     {"patient_id", p.patient_id},
                     {"name_kanji", p.kanji()},
                     {"name_kana", p.kana()},
                     {"birth_date", fmt::format("{}-{}-{}", p.birth.substr(0, 4),
                                                p.birth.substr(4, 2), p.birth.substr(6, 2))},
                     {"sex", p.male ? "male" : "female"},
                     {"source", source}}
                    .dump()
             << "\n";
    ++report_.persons;
  }
  void truth_event(const Person& p, const std::string& type, const std::string& system,
                   const std::string& code, const std::string& date, const std::string& value,
                   const std::string& unit) {
    events_ << json{{"institution", p.institution},
                    {"patient_id", p.patient_id},
                    {"type", type},
                    {"code_system", system},
                    {"code", code},
                    {"date", date},
                    {"value", value},
                    {"unit", unit}}
                   .dump()
            << "\n";
    ++report_.events[type];
  }
  void anomaly(const std::string& kind, json detail) {
    detail["kind"] = kind;
    anomalies_ << detail.dump() << "\n";
    ++report_.anomalies[kind];
  }

  // --- files ------------------------------------------------------------------------------
  Status write_bytes(const fs::path& path, const std::string& utf8, ingest::Charset charset) {
    std::string bytes = utf8;
    if (charset != ingest::Charset::utf8) {
      TKM_ASSIGN_OR_RETURN(bytes, ingest::encode_from_utf8(utf8, charset));
    }
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << bytes;
    ++report_.files;
    return ok();
  }

  std::string event_time() {
    return fmt::format("{:017}", 20250101000000000ULL + ++event_counter_);
  }

  // PID; `death` (yyyymmdd) goes in PID-29 when given.
  std::string pid_segment(const Person& p, const std::string& kanji, const std::string& address,
                          const std::string& death = "") const {
    return fmt::format(
        "PID|0001||{}^^^^PI||{}^{}^^^^^L^I~{}^{}^^^^^L^P||{}|{}|||^^^^{}^JPN^H^{}||^PRN^PH^^^^^^^^^"
        "{}{}\r",
        p.patient_id, kanji.substr(0, kanji.find("\u3000")), kanji.substr(kanji.find("\u3000") + 3),
        p.family_kana, p.given_kana, p.birth, p.male ? "M" : "F", p.postal, address, p.phone,
        death.empty() ? "" : std::string(16, '|') + death);
  }
  std::string msh(const std::string& type, const std::string& when) {
    return fmt::format("MSH|^~\\&|HIS|SEND|GW|RCV|{}||{}|{}|P|2.5||||||~ISO IR87||ISO 2022-1994\r",
                       when, type, ++message_counter_);
  }
  fs::path storage(const Person& p, const std::string& date, const std::string& type,
                   const std::string& order, const std::string& department) {
    const std::string& id = p.patient_id;
    const std::string file =
        fmt::format("{}_{}_{}_{}_{}_{}_1", id, date, type, order, event_time(), department);
    return o_.out / p.institution / "ssmix2" / id.substr(0, 3) / id.substr(3, 3) / id / date /
           type / file;
  }

  Status write_patient(int inst, const PatientPlan& plan, std::size_t n) {
    const bool ssmix2 = inst % 2 == 1;
    truth_person(plan.person, ssmix2 ? "ssmix2" : "fhir");
    if (ssmix2) {
      TKM_RETURN_IF_ERROR(write_ssmix2(plan, n));
    } else {
      TKM_RETURN_IF_ERROR(write_fhir(plan));
    }
    write_claims(inst, plan);
    // Notified (the list gives no day), except one patient in 30 (care without notification:
    // QUALITY-04); one in 71 was notified only on their second visit, after care had begun.
    auto& list = *notifications_[static_cast<std::size_t>(inst - 1)];
    if (o_.anomalies && n % 30 == 11) {
      anomaly("claims_without_notification",
              {{"institution", plan.person.institution}, {"patient_id", plan.person.patient_id}});
    } else if (o_.anomalies && n % 71 == 47 && plan.visits.size() >= 2 &&
               plan.visits[0].date < plan.visits[1].date) {
      list << plan.person.patient_id << "," << plan.visits[1].date.iso() << "\n";
      anomaly("visits_before_notification",
              {{"institution", plan.person.institution}, {"patient_id", plan.person.patient_id}});
    } else {
      list << plan.person.patient_id << ",\n";
    }
    return ok();
  }

  Status write_ssmix2(const PatientPlan& plan, std::size_t n) {
    const Person& p = plan.person;
    const std::string address = p.street;
    // ADT-00: the patient's details (and, one patient in 25, a later move to a new address).
    auto adt00 = [&](const std::string& kanji, const std::string& addr) -> Status {
      std::string m = msh("ADT^A08^ADT_A01", "20250101090000") + "EVN||202501010900\r" +
                      pid_segment(p, kanji, addr, plan.death) +
                      fmt::format("IN1|1|06^協会^JHSD0001|{}\r", p.insurer);
      return write_bytes(storage(p, "-", "ADT-00", "999999999999999", "-"), m,
                         ingest::Charset::iso_2022_jp);
    };
    TKM_RETURN_IF_ERROR(adt00(p.kanji(), address));
    if (o_.anomalies && n % 25 == 3) {
      const std::string moved =
          std::string(p.place->prefecture) + std::string(p.place->city) + "新町１丁目２番３号";
      TKM_RETURN_IF_ERROR(adt00(p.kanji(), moved));
      anomaly("address_change", {{"institution", p.institution}, {"patient_id", p.patient_id}});
    }
    // One ID with two names (one in 35): an order message carries a different given name; a
    // typo (one in 45): a kanji written another way.
    std::string order_kanji = p.kanji();
    if (o_.anomalies && n % 35 == 5) {
      order_kanji = p.family_kanji + "\u3000" +
                    std::string(p.male ? kFemaleNames[0].kanji : kMaleNames[0].kanji);
      anomaly("one_id_two_names", {{"institution", p.institution}, {"patient_id", p.patient_id}});
    } else if (o_.anomalies && n % 45 == 9) {
      // An old kanji form where the name has one (the same name: no finding is expected), a
      // kanji mistyped otherwise.
      const std::string old_form = kanji_old_form(p.kanji());
      const bool typo = old_form == p.kanji();
      order_kanji = typo ? kanji_typo(p.kanji()) : old_form;
      anomaly(typo ? "name_typo" : "name_old_form",
              {{"institution", p.institution}, {"patient_id", p.patient_id}});
    }
    // PPR-01: the diagnoses.
    std::string ppr = msh("PPR^ZD1^PPR_ZD1", "20250101090000") + pid_segment(p, p.kanji(), address);
    int i = 0;
    for (const auto& [d, onset] : plan.diagnoses) {
      ppr += fmt::format("PRB|AD|{}|{}^{}^MDCDX2|{}|||{}|||{}^^I10|||||||{}\r", onset.compact(),
                         d->mdcdx2, d->name, ++i, onset.compact(), d->icd10, onset.compact());
      truth_event(p, "diagnosis", "ICD10", std::string(d->icd10), onset.iso(), "", "");
    }
    TKM_RETURN_IF_ERROR(write_bytes(storage(p, "-", "PPR-01", "999999999999999", "01"), ppr,
                                    ingest::Charset::iso_2022_jp));
    // Visits: a prescription (OMP-01) and results (OML-11) each.
    int order = 0;
    for (const auto& v : plan.visits) {
      const std::string number =
          fmt::format("{:015}", (n + 1) * 1000 + static_cast<std::size_t>(++order));
      std::string omp = msh("RDE^O11^RDE_O11", v.date.compact() + "090000") +
                        pid_segment(p, order_kanji, address) +
                        fmt::format("ORC|NW|{}||1|||||{}090000\r", number, v.date.compact());
      for (const Drug* drug : v.drugs) {
        omp += fmt::format("RXE||{}^{}^HOT9|{}||{}^錠^MR9P\rTQ1|1|||||14^d|{}\r", drug->hot9,
                           drug->name, drug->dose, drug->unit, v.date.compact());
        truth_event(p, "prescription", "HOT9", std::string(drug->hot9), v.date.iso(),
                    fmt::format("{}", double(drug->dose)), std::string(drug->unit));
      }
      TKM_RETURN_IF_ERROR(write_bytes(storage(p, v.date.compact(), "OMP-01", number, "01"), omp,
                                      ingest::Charset::iso_2022_jp));
      std::string oml =
          msh("OUL^R22^OUL_R22", v.date.compact() + "120000") + pid_segment(p, p.kanji(), address) +
          fmt::format("SPM|1|{}||023^血清^JC10|||||||||||||{}0900\r", number, v.date.compact());
      int k = 0;
      for (const auto& [t, value] : v.labs) {
        const std::string unit = hl7_escape(t->unit);
        oml +=
            fmt::format("OBX|{}|NM|{}^{}^JC10||{}|{}^{}^99XYZ|{}-{}||||F|||{}0900\r", ++k,
                        t->jlac10, t->name, value, unit, unit, t->low, t->high, v.date.compact());
        truth_event(p, "lab_result", "JC10", std::string(t->jlac10), v.date.iso() + "T09:00", value,
                    std::string(t->unit));
      }
      TKM_RETURN_IF_ERROR(write_bytes(storage(p, v.date.compact(), "OML-11", number, "01"), oml,
                                      ingest::Charset::iso_2022_jp));
    }
    // Stays: admission (ADT-22) and discharge (ADT-52); one in 20 discharged "before" admission.
    int stay_number = 0;
    for (const auto& s : plan.stays) {
      Date discharge = s.discharge;
      bool misdated = false;
      if (o_.anomalies && n % 20 == 2) {
        discharge = {s.admit.y, s.admit.m, std::max(1, s.admit.d - 3)};
        if (!(discharge < s.admit)) discharge = {s.admit.y - 1, s.admit.m, s.admit.d};
        anomaly("discharge_before_admission",
                {{"institution", p.institution}, {"patient_id", p.patient_id}});
        misdated = true;
      }
      // PV1-19 names the stay; PV1-44 and -45 give its days.
      const std::string visit = fmt::format("{}{:02}", p.patient_id, ++stay_number);
      const std::string pv1 =
          fmt::format("PV1|0001|I|32^302|||||||01{}{}{}{}1000|{}1500\r", std::string(9, '|'), visit,
                      std::string(25, '|'), s.admit.compact(), discharge.compact());
      // A prescription during the stay that names it: on the day of admission, or (one patient
      // with a stay in 6, an anomaly) the day after discharge.
      if (!misdated) {
        const bool outside = o_.anomalies && n % 6 == 4;
        Date day = s.admit;
        if (outside) {
          day = s.discharge.d < 28   ? Date{s.discharge.y, s.discharge.m, s.discharge.d + 1}
                : s.discharge.m < 12 ? Date{s.discharge.y, s.discharge.m + 1, 1}
                                     : Date{s.discharge.y + 1, 1, 1};
          anomaly("order_outside_encounter",
                  {{"institution", p.institution}, {"patient_id", p.patient_id}});
        }
        const Drug& drug = kDrugs[1];
        const std::string number =
            fmt::format("{:015}", (n + 1) * 1000 + 900 + static_cast<std::size_t>(stay_number));
        std::string omp = msh("RDE^O11^RDE_O11", day.compact() + "110000") +
                          pid_segment(p, p.kanji(), address) + pv1 +
                          fmt::format("ORC|NW|{}||1|||||{}110000\r", number, day.compact()) +
                          fmt::format("RXE||{}^{}^HOT9|{}||{}^錠^MR9P\rTQ1|1|||||7^d|{}\r",
                                      drug.hot9, drug.name, drug.dose, drug.unit, day.compact());
        TKM_RETURN_IF_ERROR(write_bytes(storage(p, day.compact(), "OMP-01", number, "01"), omp,
                                        ingest::Charset::iso_2022_jp));
        truth_event(p, "prescription", "HOT9", std::string(drug.hot9), day.iso(),
                    fmt::format("{}", double(drug.dose)), std::string(drug.unit));
      }
      std::string a01 = msh("ADT^A01^ADT_A01", s.admit.compact() + "100000") +
                        pid_segment(p, p.kanji(), address) + pv1;
      TKM_RETURN_IF_ERROR(
          write_bytes(storage(p, s.admit.compact(), "ADT-22", "999999999999999", "01"), a01,
                      ingest::Charset::iso_2022_jp));
      std::string a03 = msh("ADT^A03^ADT_A03", discharge.compact() + "150000") +
                        pid_segment(p, p.kanji(), address) + pv1;
      TKM_RETURN_IF_ERROR(
          write_bytes(storage(p, discharge.compact(), "ADT-52", "999999999999999", "01"), a03,
                      ingest::Charset::iso_2022_jp));
      const std::string start = s.admit.iso() + "T10:00", end = discharge.iso() + "T15:00";
      truth_event(p, "encounter", "encounter-kind", "admission", start, end, "");
      truth_event(p, "encounter", "encounter-kind", "discharge", start, end, "");
    }
    return ok();
  }

  Status write_fhir(const PatientPlan& plan) {
    const Person& p = plan.person;
    const std::string uuid = "urn:uuid:patient-" + p.patient_id;
    auto name = [](const std::string& family, const std::string& given,
                   const char* representation) {
      return json{{"extension",
                   {{{"url", "http://hl7.org/fhir/StructureDefinition/iso21090-EN-representation"},
                     {"valueCode", representation}}}},
                  {"use", "official"},
                  {"family", family},
                  {"given", {given}}};
    };
    json entries = json::array();
    entries.push_back(
        {{"fullUrl", uuid},
         {"resource",
          {{"resourceType", "Patient"},
           {"id", "patient-" + p.patient_id},
           {"identifier",
            {{{"system", "urn:oid:1.2.392.100495.20.3.51.1" + p.institution},
              {"value", p.patient_id}}}},
           {"name",
            {name(p.family_kanji, p.given_kanji, "IDE"), name(p.family_kana, p.given_kana, "SYL")}},
           {"gender", p.male ? "male" : "female"},
           {"birthDate", fmt::format("{}-{}-{}", p.birth.substr(0, 4), p.birth.substr(4, 2),
                                     p.birth.substr(6, 2))},
           {"address", {{{"postalCode", p.postal}, {"text", p.street}}}},
           {"telecom", {{{"system", "phone"}, {"value", p.phone}}}}}}});
    if (!plan.death.empty()) {
      entries[0]["resource"]["deceasedDateTime"] = fmt::format(
          "{}-{}-{}", plan.death.substr(0, 4), plan.death.substr(4, 2), plan.death.substr(6, 2));
    }
    int k = 0;
    auto add = [&](json resource) {
      resource["id"] = fmt::format("{}-{}", p.patient_id, ++k);
      resource["subject"] = {{"reference", uuid}};
      entries.push_back({{"resource", std::move(resource)}});
    };
    for (const auto& [d, onset] : plan.diagnoses) {
      add({{"resourceType", "Condition"},
           {"code",
            {{"coding",
              {{{"system", "http://hl7.org/fhir/sid/icd-10"}, {"code", d->icd10}},
               {{"system", "http://medis.or.jp/CodeSystem/master-disease-keyNumber"},
                {"code", d->mdcdx2}}}},
             {"text", d->name}}},
           {"onsetDateTime", onset.iso()}});
      truth_event(p, "diagnosis", "ICD10", std::string(d->icd10), onset.iso(), "", "");
    }
    for (const auto& v : plan.visits) {
      const std::string start = v.date.iso() + "T09:00:00", end = v.date.iso() + "T09:30:00";
      add({{"resourceType", "Encounter"},
           {"status", "finished"},
           {"class", {{"code", "AMB"}}},
           {"period", {{"start", start + "+09:00"}, {"end", end + "+09:00"}}}});
      truth_event(p, "encounter", "encounter-kind", "outpatient", start, end, "");
      const json encounter = {{"reference", fmt::format("Encounter/{}-{}", p.patient_id, k)}};
      // The first visit's prescriptions dated a day off their encounter (an anomaly).
      Date authored = v.date;
      if (plan.prescription_off_encounter && &v == &plan.visits.front()) {
        authored.d = v.date.d > 1 ? v.date.d - 1 : v.date.d + 1;
        anomaly("order_outside_encounter",
                {{"institution", p.institution}, {"patient_id", p.patient_id}});
      }
      for (const Drug* drug : v.drugs) {
        add({{"resourceType", "MedicationRequest"},
             {"status", "active"},
             {"intent", "order"},
             {"medicationCodeableConcept",
              {{"coding",
                {{{"system", "urn:oid:1.2.392.200119.4.403.1"},
                  {"code", drug->hot9},
                  {"display", drug->name}}}}}},
             {"authoredOn", authored.iso()},
             {"encounter", encounter},
             {"dosageInstruction",
              {{{"doseAndRate",
                 {{{"doseQuantity", {{"value", drug->dose}, {"unit", drug->unit}}}}}}}}}});
        truth_event(p, "prescription", "HOT9", std::string(drug->hot9), authored.iso(),
                    fmt::format("{}", double(drug->dose)), std::string(drug->unit));
      }
      for (const auto& [t, value] : v.labs) {
        add({{"resourceType", "Observation"},
             {"status", "final"},
             {"code",
              {{"coding",
                {{{"system", "urn:oid:1.2.392.200119.4.504"},
                  {"code", t->jlac10},
                  {"display", t->name}}}}}},
             {"effectiveDateTime", v.date.iso() + "T09:00:00+09:00"},
             {"encounter", encounter},
             {"valueQuantity", {{"value", std::stod(value)}, {"unit", t->unit}}}});
        truth_event(p, "lab_result", "JLAC10", std::string(t->jlac10), v.date.iso() + "T09:00:00",
                    value, std::string(t->unit));
      }
    }
    return write_bytes(
        o_.out / p.institution / "fhir" / (p.patient_id + ".json"),
        json{{"resourceType", "Bundle"}, {"type", "collection"}, {"entry", entries}}.dump(),
        ingest::Charset::utf8);
  }

  // --- claims -----------------------------------------------------------------------------
  struct ClaimsFile {
    std::ofstream out;
    std::string institution;
    int claims = 0;
  };
  ClaimsFile& claims_file(int inst, const std::string& month) {
    const std::string key = institution_code(inst) + "/" + month;
    auto it = claims_.find(key);
    if (it != claims_.end()) return *it->second;
    auto file = std::make_unique<ClaimsFile>();
    const fs::path path = o_.out / institution_code(inst) / "claims" / (month + ".UKE");
    fs::create_directories(path.parent_path());
    file->out.open(path, std::ios::binary);
    file->institution = institution_code(inst);
    line(*file, fmt::format("IR,1,13,1,{},,合成病院{},{},00,0300000000",
                            institution_code(inst).substr(3), inst, month));
    ++report_.files;
    return *claims_.emplace(key, std::move(file)).first->second;
  }
  void line(ClaimsFile& f, const std::string& utf8) {
    auto bytes = ingest::encode_from_utf8(utf8 + "\r\n", ingest::Charset::cp932);
    f.out << (bytes ? *bytes : std::string("\r\n"));
  }
  void finish_claims(ClaimsFile& f) {
    line(f, fmt::format("GO,{},0,99", f.claims));
    f.out << '\x1a';
  }
  static std::string day_columns(const std::set<int>& days) {
    std::string out;
    for (int d = 1; d <= 31; ++d) out += days.contains(d) ? ",1" : ",";
    return out;
  }

  // One RE per month with visits: diagnoses begun by then, a 再診 per visit, and the drugs.
  void write_claims(int inst, const PatientPlan& plan) {
    std::map<std::string, std::vector<const Visit*>> by_month;
    for (const auto& v : plan.visits) by_month[v.date.month()].push_back(&v);
    for (const auto& [month, visits] : by_month) claim(inst, plan, month, visits);
  }
  // A patient the hospital's clinical data and notification list both miss.
  void write_claims_only(int inst, const PatientPlan& plan) {
    truth_person(plan.person, "claims");
    write_claims(inst, plan);
    anomaly("claims_without_notification",
            {{"institution", plan.person.institution}, {"patient_id", plan.person.patient_id}});
  }
  void claim(int inst, const PatientPlan& plan, const std::string& month,
             const std::vector<const Visit*>& visits) {
    const Person& p = plan.person;
    ClaimsFile& f = claims_file(inst, month);
    ++f.claims;
    const bool male = p.male != plan.claims_sex_flipped;
    const std::string birth =
        plan.claims_birth_shifted
            ? fmt::format("{}{}", std::stoi(p.birth.substr(0, 4)) - 1, p.birth.substr(4))
            : p.birth;
    std::string re = fmt::format("RE,{},1112,{},{},{},{},,,,,,,{}", f.claims, month, p.kanji(),
                                 male ? 1 : 2, birth, p.patient_id);
    for (int i = 14; i < 36; ++i) re += ",";
    re += "," + p.kana() + ",";
    line(f, re);
    line(f, fmt::format("HO,{},１２,３４５,{},500,,,,,,,,,", p.insurer, visits.size()));
    const Date& first = visits.front()->date;
    const std::string iso_month = first.iso_month();
    for (const auto& [d, onset] : plan.diagnoses) {
      if (first < onset && !(onset.y == first.y && onset.m == first.m)) continue;
      line(f, fmt::format("SY,{},{},1,,,,", d->claims, onset.compact()));
      truth_event(p, "diagnosis", "claims-disease", std::string(d->claims), onset.iso(), "", "");
    }
    std::set<int> days;
    for (const Visit* v : visits) days.insert(v->date.d);
    line(f, fmt::format("SI,12,1,112007410,,73,{},,,,,,{}", days.size(), day_columns(days)));
    truth_event(p, "procedure", "claims-procedure", "112007410",
                fmt::format("{}-{:02}", iso_month, *days.begin()), "", "");
    std::map<const Drug*, std::set<int>> drug_days;
    for (const Visit* v : visits) {
      for (const Drug* drug : v->drugs) drug_days[drug].insert(v->date.d);
    }
    for (const auto& [drug, on] : drug_days) {
      line(f,
           fmt::format("IY,21,1,{},{},10,14,,,,,,{}", drug->claims, drug->dose, day_columns(on)));
      truth_event(p, "prescription", "claims-drug", std::string(drug->claims),
                  fmt::format("{}-{:02}", iso_month, *on.begin()),
                  fmt::format("{}", double(drug->dose)), "");
    }
    truth_event(p, "claim_visit", "", "", iso_month, std::to_string(days.size()), "days");
  }

  const SynthOptions& o_;
  std::mt19937_64 random_;
  SynthReport report_;
  std::ofstream persons_, events_, anomalies_;
  std::vector<std::unique_ptr<std::ofstream>> notifications_;
  std::map<std::string, std::unique_ptr<ClaimsFile>> claims_;
  std::uint64_t event_counter_ = 0;
  std::uint64_t message_counter_ = 0;
};

}  // namespace

Result<SynthReport> generate(const SynthOptions& options) {
  if (options.institutions < 1 || options.years < 1) {
    return fail(Errc::invalid_argument,
                {"医療機関数と年数は 1 以上です", "institutions and years must be at least 1"});
  }
  return Writer(options).run();
}

}  // namespace tokumei::synth
