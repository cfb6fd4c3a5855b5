#pragma once
// The provision's tables (module "release"): registries of institutions and recipients, sanctions,
// requests and their materials, the committee's rosters, rules, meetings, decisions and
// publications, contracts with their clauses and onward permissions, and the provision ledger.
// What is a record of a decision is append-only, enforced by triggers: an edit is a new row.

#include "tokumei/store/migration.h"

namespace tokumei::release {

store::SchemaModule schema();

}  // namespace tokumei::release
