#pragma once
// The sealed form of one clinical event in the store: a compact JSON object holding every field
// of the model type except the patient ID (the store keeps the person key beside it instead).
// Written directly, without building a document, because ingest writes one per event; read back
// with simdjson by the checks and builds that open them. Numbers read back exactly, except NaN
// and infinities, which JSON cannot hold: they are kept as "no number".

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "tokumei/base/error.h"
#include "tokumei/model/clinical.h"

namespace tokumei::ingest {

using Event = std::variant<model::Encounter, model::Diagnosis, model::Medication, model::LabResult,
                           model::Procedure, model::ClaimVisit>;

// The store's name of an event's type: encounter, diagnosis, prescription, injection,
// lab_result, procedure, claim_visit.
std::string_view event_type(const model::Encounter&);
std::string_view event_type(const model::Diagnosis&);
std::string_view event_type(const model::Medication& m);  // prescription or injection
std::string_view event_type(const model::LabResult&);
std::string_view event_type(const model::Procedure&);
std::string_view event_type(const model::ClaimVisit&);
std::string_view event_type(const Event& event);

// Appends the event's record to `out` (which is cleared first, so one buffer serves every event).
void encode_event(const model::Encounter& e, std::string& out);
void encode_event(const model::Diagnosis& d, std::string& out);
void encode_event(const model::Medication& m, std::string& out);
void encode_event(const model::LabResult& l, std::string& out);
void encode_event(const model::Procedure& p, std::string& out);
void encode_event(const model::ClaimVisit& v, std::string& out);

// Calls f(event) for every event of `x`, in the order the store records them (encounters,
// diagnoses, medications, lab results, procedures, claim visits); stops at the first failure.
template <typename F>
Status for_each_event(const model::Extract& x, F&& f) {
  for (const auto& e : x.encounters) TKM_RETURN_IF_ERROR(f(e));
  for (const auto& d : x.diagnoses) TKM_RETURN_IF_ERROR(f(d));
  for (const auto& m : x.medications) TKM_RETURN_IF_ERROR(f(m));
  for (const auto& l : x.lab_results) TKM_RETURN_IF_ERROR(f(l));
  for (const auto& p : x.procedures) TKM_RETURN_IF_ERROR(f(p));
  for (const auto& v : x.claim_visits) TKM_RETURN_IF_ERROR(f(v));
  return ok();
}

// The records of every event of an extract, one after another in `text`, the i-th ending at
// ends[i] (for_each_event order): made by the reading thread while the recording thread stores.
struct EncodedEvents {
  std::string text;
  std::vector<std::uint32_t> ends;
  std::string_view record(std::size_t i) const {
    const std::uint32_t begin = i == 0 ? 0 : ends[i - 1];
    return std::string_view(text).substr(begin, ends[i] - begin);
  }
};
EncodedEvents encode_events(const model::Extract& x);

// Reads a record written by encode_event back, given its type; the patient ID is left empty.
Result<Event> decode_event(std::string_view type, std::string_view record);

}  // namespace tokumei::ingest
