#include "tokumei/release/schema.h"

#include <initializer_list>
#include <string>

namespace tokumei::release {
namespace {

// Triggers refusing UPDATE and DELETE on each table. The text it makes is part of a migration:
// it must never change, or the migration's checksum does.
std::string append_only(std::initializer_list<const char*> tables) {
  std::string sql;
  for (const char* t : tables) {
    for (const char* verb : {"UPDATE", "DELETE"}) {
      sql += std::string("CREATE TRIGGER ") + t + "_no_" + (verb[0] == 'U' ? "update" : "delete") +
             " BEFORE " + verb + " ON " + t + "\n  BEGIN SELECT RAISE(ABORT, '" + t +
             " is append-only'); END;\n";
    }
  }
  return sql;
}

const char* kTables = R"sql(
CREATE TABLE release_institutions (
  code                TEXT PRIMARY KEY,
  name                TEXT NOT NULL,
  certificate         TEXT NOT NULL,
  fingerprint         TEXT NOT NULL,
  notification_method TEXT NOT NULL,
  registered_by       TEXT NOT NULL,
  at_ms               INTEGER NOT NULL
);
CREATE TABLE release_recipients (
  id              TEXT PRIMARY KEY,
  name            TEXT NOT NULL,
  certificate     TEXT NOT NULL,
  fingerprint     TEXT NOT NULL,
  endpoint        TEXT NOT NULL,
  certification   TEXT NOT NULL,
  certified_until TEXT NOT NULL,
  registered_by   TEXT NOT NULL,
  at_ms           INTEGER NOT NULL
);
CREATE TABLE release_sanctions (
  id          INTEGER PRIMARY KEY,
  recipient   TEXT NOT NULL REFERENCES release_recipients (id),
  kind        TEXT NOT NULL CHECK (kind = 'suspend' OR kind = 'lift'),
  decided_on  TEXT NOT NULL,
  basis       TEXT NOT NULL,
  actions     TEXT NOT NULL,
  decided_by  TEXT NOT NULL,
  at_ms       INTEGER NOT NULL
);
CREATE TABLE release_requests (
  id               INTEGER PRIMARY KEY,
  recipient        TEXT NOT NULL REFERENCES release_recipients (id),
  kind             TEXT NOT NULL CHECK (kind = 'anonymized' OR kind = 'pseudonymized'),
  application_type TEXT NOT NULL,
  title            TEXT NOT NULL,
  purpose          TEXT NOT NULL,
  research_content TEXT NOT NULL,
  publication_plan TEXT NOT NULL,
  benefits         TEXT NOT NULL,
  data_requested   TEXT NOT NULL,
  safety_measures  TEXT NOT NULL,
  spec             TEXT NOT NULL,
  spec_hash        TEXT NOT NULL,
  withdrawn        INTEGER NOT NULL DEFAULT 0,
  research_end_on  TEXT,
  research_end_by  TEXT,
  submitted_by     TEXT NOT NULL,
  at_ms            INTEGER NOT NULL
);
CREATE TRIGGER release_requests_content_fixed
  BEFORE UPDATE OF id, recipient, kind, application_type, title, purpose, research_content,
    publication_plan, benefits, data_requested, safety_measures, spec, spec_hash, submitted_by,
    at_ms ON release_requests
  BEGIN SELECT RAISE(ABORT, 'a submitted request is not edited'); END;
CREATE TRIGGER release_requests_no_delete BEFORE DELETE ON release_requests
  BEGIN SELECT RAISE(ABORT, 'release_requests is append-only'); END;
CREATE TABLE release_materials (
  id         INTEGER PRIMARY KEY,
  request_id INTEGER NOT NULL REFERENCES release_requests (id),
  name       TEXT NOT NULL,
  sha256     TEXT NOT NULL,
  sealed     BLOB NOT NULL,
  added_by   TEXT NOT NULL,
  at_ms      INTEGER NOT NULL,
  deleted_by TEXT,
  deleted_ms INTEGER
);
CREATE TRIGGER release_materials_kept
  BEFORE UPDATE ON release_materials
  WHEN (SELECT research_end_on FROM release_requests WHERE id = OLD.request_id) IS NULL
  BEGIN SELECT RAISE(ABORT, 'review materials are kept until the research-end report'); END;
CREATE TRIGGER release_materials_no_delete BEFORE DELETE ON release_materials
  BEGIN SELECT RAISE(ABORT, 'release_materials rows are kept'); END;
CREATE TABLE release_rosters (
  version        INTEGER PRIMARY KEY,
  effective_from TEXT NOT NULL,
  members        TEXT NOT NULL,
  recorded_by    TEXT NOT NULL,
  at_ms          INTEGER NOT NULL
);
CREATE TABLE release_committee_rules (
  id              INTEGER PRIMARY KEY,
  version         TEXT NOT NULL UNIQUE,
  approved_on     TEXT NOT NULL,
  document_sha256 TEXT NOT NULL,
  expedited_types TEXT NOT NULL,
  quorum          INTEGER NOT NULL,
  recorded_by     TEXT NOT NULL,
  at_ms           INTEGER NOT NULL
);
CREATE TABLE release_meetings (
  id             INTEGER PRIMARY KEY,
  held_on        TEXT NOT NULL,
  kind           TEXT NOT NULL CHECK (kind = 'regular' OR kind = 'expedited'),
  roster_version INTEGER NOT NULL,
  attendees      TEXT NOT NULL,
  summary        TEXT NOT NULL,
  recorded_by    TEXT NOT NULL,
  at_ms          INTEGER NOT NULL
);
CREATE TABLE release_decisions (
  id           INTEGER PRIMARY KEY,
  request_id   INTEGER NOT NULL REFERENCES release_requests (id),
  meeting_id   INTEGER NOT NULL REFERENCES release_meetings (id),
  outcome      TEXT NOT NULL
               CHECK (outcome = 'approved' OR outcome = 'conditional' OR outcome = 'rejected'),
  judgments    TEXT NOT NULL,
  conditions   TEXT NOT NULL,
  valid_until  TEXT NOT NULL,
  summary      TEXT NOT NULL,
  undisclosed  TEXT NOT NULL,
  amends       INTEGER REFERENCES release_decisions (id),
  reason       TEXT NOT NULL,
  decided_by   TEXT NOT NULL,
  at_ms        INTEGER NOT NULL
);
CREATE TABLE release_decision_notices (
  decision_id INTEGER NOT NULL REFERENCES release_decisions (id),
  member      TEXT NOT NULL,
  at_ms       INTEGER NOT NULL,
  PRIMARY KEY (decision_id, member)
);
CREATE TABLE release_publications (
  id          INTEGER PRIMARY KEY,
  fiscal_year INTEGER NOT NULL,
  sha256      TEXT NOT NULL,
  document    TEXT NOT NULL,
  recorded_by TEXT NOT NULL,
  at_ms       INTEGER NOT NULL
);
CREATE TABLE release_contracts (
  id              INTEGER PRIMARY KEY,
  kind            TEXT NOT NULL CHECK (kind = 'inbound' OR kind = 'outbound'),
  party           TEXT NOT NULL,
  request_id      INTEGER REFERENCES release_requests (id),
  title           TEXT NOT NULL,
  signed_on       TEXT NOT NULL,
  valid_until     TEXT NOT NULL,
  document_sha256 TEXT NOT NULL,
  state           TEXT NOT NULL CHECK (state = 'draft' OR state = 'active' OR state = 'closed'),
  activated_by    TEXT,
  closed_on       TEXT,
  closure         TEXT,
  created_by      TEXT NOT NULL,
  at_ms           INTEGER NOT NULL
);
CREATE TRIGGER release_contracts_terms_fixed
  BEFORE UPDATE OF id, kind, party, request_id, title, signed_on, valid_until, document_sha256,
    created_by, at_ms ON release_contracts
  BEGIN SELECT RAISE(ABORT, 'contract terms are not edited; record a new contract'); END;
CREATE TRIGGER release_contracts_no_delete BEFORE DELETE ON release_contracts
  BEGIN SELECT RAISE(ABORT, 'release_contracts is append-only'); END;
CREATE TABLE release_contract_clauses (
  contract_id INTEGER NOT NULL REFERENCES release_contracts (id),
  clause      TEXT NOT NULL,
  reference   TEXT NOT NULL,
  ticked_by   TEXT NOT NULL,
  at_ms       INTEGER NOT NULL,
  PRIMARY KEY (contract_id, clause)
);
CREATE TABLE release_onward (
  id            INTEGER PRIMARY KEY,
  contract_id   INTEGER NOT NULL REFERENCES release_contracts (id),
  party         TEXT NOT NULL,
  purpose       TEXT NOT NULL,
  scope         TEXT NOT NULL,
  contract_ref  TEXT NOT NULL,
  permitted     INTEGER NOT NULL,
  reason        TEXT NOT NULL,
  decided_by    TEXT NOT NULL,
  decided_on    TEXT NOT NULL,
  at_ms         INTEGER NOT NULL
);
CREATE TABLE release_ledger (
  seq        INTEGER PRIMARY KEY,
  kind       TEXT NOT NULL CHECK (kind = 'provision' OR kind = 'onward' OR kind = 'correction'),
  day        TEXT NOT NULL,
  recipient  TEXT NOT NULL,
  dataset    TEXT NOT NULL,
  contents   TEXT NOT NULL,
  data_kind  TEXT NOT NULL,
  approval   TEXT NOT NULL,
  contract   TEXT NOT NULL,
  delivery   TEXT NOT NULL,
  checkers   TEXT NOT NULL,
  onward     TEXT NOT NULL,
  corrects   INTEGER REFERENCES release_ledger (seq),
  entrant    TEXT NOT NULL,
  confirmer  TEXT NOT NULL,
  at_ms      INTEGER NOT NULL,
  prev_hash  BLOB NOT NULL,
  hash       BLOB NOT NULL
);
CREATE INDEX release_ledger_dataset ON release_ledger (dataset);
CREATE TABLE release_ledger_pending (
  id         INTEGER PRIMARY KEY,
  corrects   INTEGER NOT NULL REFERENCES release_ledger (seq),
  change     TEXT NOT NULL,
  reason     TEXT NOT NULL,
  entrant    TEXT NOT NULL,
  at_ms      INTEGER NOT NULL,
  confirmed  INTEGER NOT NULL DEFAULT 0
);
)sql";

const char* kBuilds = R"sql(
CREATE TABLE release_builds (
  id             INTEGER PRIMARY KEY,
  folder         TEXT NOT NULL UNIQUE,
  request_id     INTEGER NOT NULL REFERENCES release_requests (id),
  recipient      TEXT NOT NULL,
  kind           TEXT NOT NULL,
  spec_hash      TEXT NOT NULL,
  method_version TEXT NOT NULL,
  plan_sealed    BLOB NOT NULL,
  seed_sealed    BLOB NOT NULL,
  batches        TEXT NOT NULL,
  report         TEXT NOT NULL,
  risk_passed    INTEGER NOT NULL,
  output_hash    TEXT NOT NULL,
  persons        INTEGER NOT NULL,
  events         INTEGER NOT NULL,
  files          TEXT NOT NULL,
  rebuild_of     INTEGER REFERENCES release_builds (id),
  built_by       TEXT NOT NULL,
  at_ms          INTEGER NOT NULL
);
CREATE TABLE release_build_members (
  build_id   INTEGER NOT NULL REFERENCES release_builds (id),
  person_key TEXT NOT NULL
);
CREATE INDEX release_build_members_person ON release_build_members (person_key);
CREATE INDEX release_build_members_build ON release_build_members (build_id);
CREATE TABLE release_packages (
  id          INTEGER PRIMARY KEY,
  build_id    INTEGER NOT NULL UNIQUE REFERENCES release_builds (id),
  dataset     TEXT NOT NULL UNIQUE,
  recipient   TEXT NOT NULL,
  destination TEXT NOT NULL,
  certificate TEXT NOT NULL,
  approval    INTEGER NOT NULL REFERENCES release_decisions (id),
  contract    INTEGER NOT NULL REFERENCES release_contracts (id),
  sha256      TEXT NOT NULL,
  size        INTEGER NOT NULL,
  file        TEXT NOT NULL,
  created_by  TEXT NOT NULL,
  at_ms       INTEGER NOT NULL
);
CREATE TABLE release_confirmations (
  package_id  INTEGER NOT NULL REFERENCES release_packages (id),
  approver    TEXT NOT NULL,
  recipient   TEXT NOT NULL,
  destination TEXT NOT NULL,
  dataset     TEXT NOT NULL,
  sha256      TEXT NOT NULL,
  certificate TEXT NOT NULL,
  at_ms       INTEGER NOT NULL,
  PRIMARY KEY (package_id, approver)
);
CREATE TABLE release_signers (
  id          INTEGER PRIMARY KEY,
  certificate TEXT NOT NULL,
  key_sealed  BLOB NOT NULL,
  at_ms       INTEGER NOT NULL
);
CREATE TABLE release_releases (
  package_id INTEGER PRIMARY KEY REFERENCES release_packages (id),
  ledger_seq INTEGER NOT NULL REFERENCES release_ledger (seq),
  at_ms      INTEGER NOT NULL
);
)sql";

}  // namespace

store::SchemaModule schema() {
  return {"release",
          {{1, "registries, requests, committee, contracts, onward permissions, ledger",
            std::string(kTables) +
                append_only({"release_sanctions", "release_rosters", "release_committee_rules",
                             "release_meetings", "release_decisions", "release_decision_notices",
                             "release_publications", "release_contract_clauses", "release_onward",
                             "release_ledger"})},
           {2, "dataset builds, packages, the two confirmations and releases",
            std::string(kBuilds) +
                append_only({"release_builds", "release_packages", "release_confirmations",
                             "release_releases", "release_signers"})}}};
}

}  // namespace tokumei::release
