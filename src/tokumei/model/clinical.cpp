#include "tokumei/model/clinical.h"

namespace tokumei::model {

std::string_view sex_name(Sex sex) {
  switch (sex) {
    case Sex::male:
      return "male";
    case Sex::female:
      return "female";
    case Sex::other:
      return "other";
    case Sex::unknown:
      break;
  }
  return "unknown";
}

std::string_view encounter_kind_name(EncounterKind kind) {
  switch (kind) {
    case EncounterKind::outpatient:
      return "outpatient";
    case EncounterKind::admission:
      return "admission";
    case EncounterKind::discharge:
      return "discharge";
    case EncounterKind::emergency:
      return "emergency";
    case EncounterKind::other:
      break;
  }
  return "other";
}

}  // namespace tokumei::model
