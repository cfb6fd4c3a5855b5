// The sealed record of one event: every field survives encode → decode, strings JSON must escape
// and bytes that are not UTF-8 included; damaged records are refused with the field named.

#include "tokumei/ingest/event_record.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>
#include <nlohmann/json.hpp>

namespace tokumei::ingest {
namespace {

using ::testing::HasSubstr;

const model::SourceRef kSource{
    .file = "01/234/5678/20240601/OMP-01/x", .line = 7, .offset = 1234, .element = "RXE[2]"};

template <typename T>
T round_trip(const T& event) {
  std::string text;
  encode_event(event, text);
  EXPECT_FALSE(nlohmann::json::parse(text, nullptr, false).is_discarded()) << text;
  auto back = decode_event(event_type(Event{event}), text);
  EXPECT_TRUE(back) << text << "\n" << back.error().describe(Lang::en);
  if (!back) return {};
  EXPECT_TRUE(std::holds_alternative<T>(*back));
  return std::get<T>(*back);
}

// The patient ID is not part of the record: the store keeps the person key beside it.
template <typename T>
T without_patient(T event) {
  event.patient_id.clear();
  return event;
}

TEST(EventRecord, EveryTypeSurvivesTheRoundTrip) {
  const model::Encounter encounter{.patient_id = "P1",
                                   .kind = model::EncounterKind::admission,
                                   .start = "2024-06-01T10:30",
                                   .end = "2024-06-09",
                                   .department = {"JHSD0002", "01", "内科"},
                                   .source_key = "V-1",
                                   .source = kSource};
  EXPECT_EQ(round_trip(encounter), without_patient(encounter));

  const model::Diagnosis diagnosis{.patient_id = "P1",
                                   .code = {"ICD10", "K297", "胃炎"},
                                   .disease = {"MDCDX2", "20063128", "慢性胃炎"},
                                   .suspected = true,
                                   .outcome = "cured",
                                   .onset = "2024-05",
                                   .end = "2024-07-01",
                                   .recorded = "2024-06-01",
                                   .source_key = "D-9",
                                   .source = kSource};
  EXPECT_EQ(round_trip(diagnosis), without_patient(diagnosis));

  model::Medication medication{.patient_id = "P1",
                               .kind = model::MedicationKind::injection,
                               .drug = {"HOT9", "103835401", "ロキソニン錠60mg"},
                               .dose = 0.1 + 0.2,  // needs every digit to come back equal
                               .dose_unit = "錠",
                               .days = 14,
                               .start = "2024-06-01",
                               .encounter_key = "Encounter/e-7",
                               .source_key = "O-3",
                               .source = kSource};
  EXPECT_EQ(round_trip(medication), without_patient(medication));
  medication.encounter_key.clear();  // and records written before the field existed
  EXPECT_EQ(round_trip(medication), without_patient(medication));
  medication.kind = model::MedicationKind::prescription;
  medication.dose.reset();
  medication.days.reset();
  EXPECT_EQ(round_trip(medication), without_patient(medication));

  model::LabResult lab{.patient_id = "P1",
                       .test = {"JLAC10", "3D010000001926101", "グルコース"},
                       .value = "98",
                       .numeric = 98,
                       .unit = "mg/dL",
                       .reference_range = "70-109",
                       .abnormal_flag = "N",
                       .observed = "2024-06-01T08:00",
                       .encounter_key = "urn:uuid:0c6e",
                       .source_key = "L-1",
                       .source = kSource};
  EXPECT_EQ(round_trip(lab), without_patient(lab));
  lab.numeric.reset();
  lab.value = "陰性";
  EXPECT_EQ(round_trip(lab), without_patient(lab));

  const model::Procedure procedure{.patient_id = "P1",
                                   .code = {"SNOMED", "430193006", ""},
                                   .performed = "2024-06-02",
                                   .source_key = "",
                                   .source = {.file = "bundle.json"}};
  EXPECT_EQ(round_trip(procedure), without_patient(procedure));

  const model::ClaimVisit visit{.patient_id = "P1",
                                .claim_month = "2024-06",
                                .visit_dates = {"2024-06-03", "2024-06-17"},
                                .source_key = "RE-1",
                                .source = kSource};
  EXPECT_EQ(round_trip(visit), without_patient(visit));
  EXPECT_EQ(round_trip(model::ClaimVisit{.patient_id = "P"}), model::ClaimVisit{.patient_id = ""});
}

TEST(EventRecord, StringsJsonMustEscapeComeBackAsTheyWere) {
  std::string awkward = "a\"b\\c\nd\re\tf";
  awkward += '\x01';
  awkward += '\x1f';
  awkward += "/終わり";
  const model::Procedure p{.patient_id = "P", .code = {"x", awkward, awkward}, .performed = ""};
  EXPECT_EQ(round_trip(p).code.display, awkward);
}

TEST(EventRecord, BytesThatAreNotUtf8BecomeReplacementCharacters) {
  // A lone continuation byte, a truncated three-byte sequence, an overlong '/' and a surrogate.
  const std::string bad = std::string("ab\x80") + "\xE3\x81" + "\xC0\xAF" + "\xED\xA0\x80" + "z";
  const model::Procedure p{
      .patient_id = "P", .code = {"x", "ok", bad}, .performed = "2024-06-02", .source_key = "k"};
  const model::Procedure back = round_trip(p);
  EXPECT_EQ(back.code.display, "ab\uFFFD\uFFFD\uFFFD\uFFFD\uFFFD\uFFFD\uFFFD\uFFFDz");
  EXPECT_EQ(back.code.code, "ok");  // the rest of the record is kept as it was
  EXPECT_EQ(back.performed, "2024-06-02");
}

// Review finding: numbers JSON cannot hold (NaN, infinities) or that simdjson reads as too large
// an integer (a value of 2^64 written out in full) made records that never read back.
TEST(EventRecord, EveryNumberReadsBack) {
  for (double v : {18446744073709551616.0, 1e300, -1e-300, 123456.0, 0.5, -0.0}) {
    const model::LabResult lab{.patient_id = "P", .value = "x", .numeric = v};
    EXPECT_EQ(round_trip(lab).numeric, v) << v;
  }
  for (double v :
       {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(),
        -std::numeric_limits<double>::infinity()}) {
    const model::Medication m{.patient_id = "P", .dose = v};
    EXPECT_FALSE(round_trip(m).dose.has_value()) << v;  // kept as "no number"
  }
}

TEST(EventRecord, DamagedRecordsAreRefusedNamingTheField) {
  auto not_json = decode_event("procedure", "{\"code\":");
  ASSERT_FALSE(not_json);
  EXPECT_EQ(not_json.error().code(), Errc::integrity);

  std::string text;
  encode_event(model::Procedure{.patient_id = "P", .code = {"x", "1"}}, text);
  auto wrong_type = decode_event("diagnosis", text);  // no "disease" in a procedure's record
  ASSERT_FALSE(wrong_type);
  EXPECT_EQ(wrong_type.error().code(), Errc::integrity);
  EXPECT_FALSE(wrong_type.error().where().field.empty());

  auto mistyped = decode_event(
      "procedure", R"({"code":{"system":"x","code":1,"display":""},"performed":"",)"
                   R"("source_key":"","source":{"file":"","line":0,"offset":-1,"element":""}})");
  ASSERT_FALSE(mistyped);
  EXPECT_EQ(mistyped.error().where().field, "code");

  auto unknown = decode_event("vaccination", "{}");
  ASSERT_FALSE(unknown);
  EXPECT_THAT(unknown.error().describe(Lang::en), HasSubstr("vaccination"));

  auto kind = decode_event("encounter", R"({"kind":"teleport"})");
  ASSERT_FALSE(kind);
  EXPECT_EQ(kind.error().where().field, "kind");
}

}  // namespace
}  // namespace tokumei::ingest
