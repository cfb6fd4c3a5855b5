#pragma once
// Requests (利用申請) and the review committee (加工情報提供審査委員会).
//
// - A request carries every item of REVIEW-02 and the cohort specification asked for; once
//   submitted its content is never edited (a trigger refuses it): a changed request is a new one.
//   Its review materials are kept, sealed, until the research-end report is recorded (REVIEW-07).
// - The roster is saved whole, as a new version, and only when it meets every rule of REVIEW-01;
//   a roster whose terms have run out becomes non-compliant, and no decision is taken then.
// - The committee's rules (REVIEW-08) are versions with their approval day; each names the
//   application types that may go to expedited review and the quorum of a regular meeting.
// - Meetings record their attendees and a summary; a decision is taken at a meeting by a member
//   who attended, judges each of the four criteria (REVIEW-02 ⅰ–ⅳ), and is never edited: an
//   amendment is a new decision linked to the one it amends (REVIEW-03). An expedited decision is
//   reported to every member, each report recorded (REVIEW-04).
// - The yearly publication of meetings and review summaries leaves out what the committee decided
//   not to disclose (REVIEW-06).

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "tokumei/release/cohort_spec.h"
#include "tokumei/release/registry.h"

namespace tokumei::release {

struct Request {
  std::int64_t id = 0;
  std::string recipient{};
  std::string application_type{};  // as the committee's rules name them ("new", "minor_change", …)
  std::string title{};
  std::string purpose{};           // 利用目的
  std::string research_content{};  // 研究内容 (scientific validity)
  std::string publication_plan{};  // 結果の公表方法 (regard for groups and descendants)
  std::string benefits{};          // 金銭その他の利益の収受と管理
  std::string data_requested{};    // 求める情報 in words; the specification says it exactly
  std::string safety_measures{};   // 利用者の安全管理措置
  CohortSpec spec{};
  std::string spec_hash{};    // as recorded when submitted: what an approval covers
  bool spec_readable = true;  // false: the stored specification no longer reads
  bool withdrawn = false;
  std::string research_end_on{};  // the research-end report, once recorded
  std::string submitted_by{};
  TimePoint submitted_at{};
};

struct Material {
  std::int64_t id = 0;
  std::int64_t request_id = 0;
  std::string name{};
  std::string sha256;
  std::string added_by{};
  bool deleted = false;
};

enum class Category { natural_science, humanities, general };  // REVIEW-01 (ⅰ)(ⅱ)(ⅲ)

struct Member {
  std::string name{};
  std::string account{};                  // the member's user ID here, if they record decisions
  std::string sex{};                      // "male" or "female" (others count toward neither)
  std::vector<std::string> categories{};  // natural_science, humanities, general
  bool external = false;                  // not affiliated with the operator
  std::string term_from{};                // YYYY-MM-DD
  std::string term_to{};
  bool expedited = false;  // designated for expedited review
};

struct Roster {
  int version = 0;
  std::string effective_from{};
  std::vector<Member> members{};
  std::string recorded_by{};
};

// A request from TOML or JSON: recipient, application_type, title, purpose, research_content,
// publication_plan, benefits, data_requested, safety_measures (text), and `spec` (the cohort
// specification as a table). Errors name the file, line and key.
Result<Request> parse_request(std::string_view text, const std::string& file = "");

// A roster from TOML or JSON: `[[member]]` tables with name, account, sex, category (one of
// natural_science, humanities, general, or a list), external (bool), term_from, term_to,
// expedited (bool).
Result<std::vector<Member>> parse_roster(std::string_view text, const std::string& file = "");

// Every rule of REVIEW-01 the members break, each named ("REVIEW-01 (ⅵ): …"); empty when none.
std::vector<Text> roster_problems(const std::vector<Member>& members);

struct CommitteeRules {
  std::string version{};
  std::string approved_on{};
  std::string document_sha256;
  std::vector<std::string> expedited_types{};
  int quorum = 0;  // attendees a regular meeting needs; 0: more than half of the members
};

struct Meeting {
  std::int64_t id = 0;
  std::string held_on{};
  bool expedited = false;
  std::vector<std::string> attendees{};  // members' names as on the roster
  std::string summary{};
  int roster_version = 0;
};

enum class Outcome { approved, conditional, rejected };
std::string_view outcome_name(Outcome o);
Result<Outcome> parse_outcome(std::string_view name);

// A reviewer's judgment of one criterion of REVIEW-02 (ⅰ purpose, ⅱ scientific validity,
// ⅲ publication, ⅳ money and benefits).
struct Judgment {
  bool acceptable = false;
  std::string note{};
};

struct Decision {
  std::int64_t id = 0;
  std::int64_t request_id = 0;
  std::int64_t meeting_id = 0;
  Outcome outcome = Outcome::rejected;
  std::array<std::optional<Judgment>, 4> judgments{};
  std::string conditions{};
  std::string valid_until{};  // approval valid through this day
  std::string summary{};      // the review summary for the yearly publication
  std::string undisclosed{};  // why the committee keeps it out of the publication; empty: disclosed
  std::optional<std::int64_t> amends{};
  std::string reason{};  // of an amendment
  std::string decided_by{};
  TimePoint at{};
};

struct CommitteeStatus {
  bool compliant = false;
  std::vector<Text> problems{};  // rules broken, or no roster / rules
  int roster_version = 0;
  std::string rules_version{};
  std::string last_publication{};  // day
  bool publication_due = false;    // none for 12 months (REVIEW-06)
};

class Committee {
 public:
  explicit Committee(Context ctx) : ctx_(ctx) {}

  // Requests.
  Result<Request> submit(const audit::Actor& by, Request request);
  Result<Request> request(std::int64_t id);
  Result<std::vector<Request>> requests();
  Status withdraw(const audit::Actor& by, std::int64_t id);
  Status report_research_end(const audit::Actor& by, std::int64_t id, const std::string& day);
  Result<Material> add_material(const audit::Actor& by, std::int64_t request_id,
                                const std::string& name, const std::string& content);
  Result<std::string> read_material(std::int64_t material_id);
  // REVIEW-07: refused while the research-end report is missing.
  Status delete_material(const audit::Actor& by, std::int64_t material_id);
  Result<std::vector<Material>> materials(std::int64_t request_id);

  // The committee.
  Result<Roster> save_roster(const audit::Actor& by, const std::string& effective_from,
                             const std::vector<Member>& members);
  // The roster in effect on `day` (Errc::not_found when none).
  Result<Roster> roster(const std::string& day);
  Status add_rules(const audit::Actor& by, const CommitteeRules& rules);
  Result<CommitteeRules> rules(const std::string& day);
  Result<CommitteeStatus> status(const std::string& day);
  Result<Meeting> record_meeting(const audit::Actor& by, Meeting meeting);

  // REVIEW-02/03/04. `decision.amends` set makes it an amendment (with a reason) of a decision of
  // the same request; otherwise the request must have none yet.
  Result<Decision> decide(const audit::Actor& by, Decision decision);
  // The decision in force: the last of the request's decisions.
  Result<std::optional<Decision>> decision_in_force(std::int64_t request_id);
  Result<std::vector<Decision>> decisions(std::int64_t request_id);
  // The members each expedited decision was reported to.
  Result<std::vector<std::string>> notices(std::int64_t decision_id);

  // REVIEW-05: a decision in force that approves `request_id` for `recipient` and the
  // specification `spec_hash` on `day`. Errc::policy_violation naming what is wrong.
  Result<Decision> check_approval(std::int64_t request_id, const std::string& recipient,
                                  const std::string& spec_hash, const std::string& day);

  // REVIEW-06: the publication of Japan's fiscal year `year` (April to March) as Markdown, stored
  // and logged; undisclosed summaries are left out and counted.
  Result<std::string> publish(const audit::Actor& by, int year);

 private:
  Result<std::vector<Decision>> decisions_where(const std::string& where, store::Value param);
  Context ctx_;
};

// The data key review materials are sealed under.
inline constexpr const char* kMaterialsKey = "release-materials";

}  // namespace tokumei::release
