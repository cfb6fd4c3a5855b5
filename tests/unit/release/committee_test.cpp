// Requests and the review committee: REVIEW-01..07.

#include "tokumei/release/committee.h"

#include <gmock/gmock.h>

#include "unit/release/release_fixture.h"

namespace tokumei::release {
namespace {

using ::testing::HasSubstr;

class CommitteeTest : public ReleaseFixture {};

std::string problems_of(const std::vector<Member>& members) {
  std::string out;
  for (const auto& p : roster_problems(members)) out += p.en + "\n";
  return out;
}

TEST_F(CommitteeTest, ALawfulRosterHasNoProblems) { EXPECT_EQ(problems_of(lawful_members()), ""); }

TEST_F(CommitteeTest, EachRosterRuleIsNamedWhenBroken) {
  auto four = lawful_members();
  four.pop_back();
  EXPECT_THAT(problems_of(four), HasSubstr("(ⅵ): at least 5 members"));

  auto one_sex = lawful_members();
  for (auto& m : one_sex) m.sex = "male";
  EXPECT_THAT(problems_of(one_sex), HasSubstr("(ⅴ): both sexes"));

  auto insiders = lawful_members();
  for (auto& m : insiders) m.external = false;
  insiders[1].external = true;
  EXPECT_THAT(problems_of(insiders), HasSubstr("(ⅳ): at least 2 members from outside"));

  auto no_lay = lawful_members();
  no_lay[2].categories = {"humanities"};
  no_lay[4].categories = {"natural_science"};
  EXPECT_THAT(problems_of(no_lay), HasSubstr("(ⅲ): no a lay person"));

  // The requirement's own example: five members, one tagged as both (i) and (ii).
  auto doubled = lawful_members();
  doubled[3].categories = {"natural_science", "humanities"};
  EXPECT_THAT(problems_of(doubled), HasSubstr("高橋 三恵 is counted in more than one category"));

  auto no_ethics = lawful_members();
  no_ethics[1].categories = {"general"};
  EXPECT_THAT(problems_of(no_ethics), HasSubstr("(ⅱ): no an ethics or law expert"));
}

TEST_F(CommitteeTest, ARosterBreakingARuleIsNotSaved) {
  Committee c(ctx());
  auto doubled = lawful_members();
  doubled[3].categories = {"natural_science", "humanities"};
  auto saved = c.save_roster(coordinator_, "2026-04-01", doubled);
  ASSERT_FALSE(saved);
  EXPECT_EQ(saved.error().code(), Errc::policy_violation);
  EXPECT_THAT(saved.error().text().ja, HasSubstr("兼任不可"));
  EXPECT_FALSE(c.roster("2026-06-01"));
}

TEST_F(CommitteeTest, ACommitteeWhoseTermsRanOutIsNonCompliantAndDecidesNothing) {
  set_up_committee();
  Committee c(ctx());
  register_recipient("univ-a");
  auto q = c.submit(coordinator_, request_for("univ-a"));
  ASSERT_TRUE(q);
  // Two members' terms end in May 2027: the committee then has three members.
  auto members = lawful_members();
  members[3].term_to = "2027-05-31";
  members[4].term_to = "2027-05-31";
  ASSERT_TRUE(c.save_roster(coordinator_, "2026-04-01", members));
  auto st = c.status("2027-06-10");
  ASSERT_TRUE(st);
  EXPECT_FALSE(st->compliant);
  EXPECT_THAT(st->problems.at(0).en, HasSubstr("at least 5 members"));
  auto m = c.record_meeting(
      coordinator_,
      {.held_on = "2027-06-10", .attendees = {"山田 一郎", "佐藤 花子"}, .summary = "審議"});
  ASSERT_TRUE(m) << m.error().describe(Lang::en);
  auto d = c.decide(member_, {.request_id = q->id,
                              .meeting_id = m->id,
                              .outcome = Outcome::approved,
                              .judgments = all_acceptable(),
                              .valid_until = "2028-03-31",
                              .summary = "s"});
  ASSERT_FALSE(d);
  EXPECT_THAT(d.error().text().en, HasSubstr("REVIEW-01"));
}

TEST_F(CommitteeTest, ARequestNeedsEveryFieldAndIsNeverEdited) {
  register_recipient("univ-a");
  Committee c(ctx());
  auto q = request_for("univ-a");
  q.publication_plan = "  ";
  auto refused = c.submit(coordinator_, q);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().where().field, "publication_plan");
  auto ok = c.submit(coordinator_, request_for("univ-a"));
  ASSERT_TRUE(ok);
  EXPECT_FALSE(db_->execute("UPDATE release_requests SET purpose = 'x' WHERE id = ?", {ok->id}));
  EXPECT_FALSE(db_->execute("DELETE FROM release_requests WHERE id = ?", {ok->id}));
  auto back = c.request(ok->id);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->spec.hash(), spec().hash());
}

TEST_F(CommitteeTest, AMeetingNeedsItsQuorumAndRosterMembers) {
  set_up_committee();
  Committee c(ctx());
  auto few = c.record_meeting(
      coordinator_, {.held_on = "2026-05-20", .attendees = {"山田 一郎"}, .summary = "s"});
  ASSERT_FALSE(few);
  EXPECT_THAT(few.error().text().en, HasSubstr("quorum of 3"));
  auto stranger =
      c.record_meeting(coordinator_, {.held_on = "2026-05-20",
                                      .attendees = {"山田 一郎", "部外 者", "鈴木 次郎"},
                                      .summary = "s"});
  ASSERT_FALSE(stranger);
  EXPECT_EQ(stranger.error().where().field, "attendees");
}

TEST_F(CommitteeTest, ADecisionNeedsEveryCriterionAndAnAttendingMember) {
  set_up_committee();
  register_recipient("univ-a");
  Committee c(ctx());
  auto q = c.submit(coordinator_, request_for("univ-a"));
  ASSERT_TRUE(q);
  auto m = c.record_meeting(coordinator_, {.held_on = "2026-05-20",
                                           .attendees = {"山田 一郎", "鈴木 次郎", "田中 四郎"},
                                           .summary = "審議した"});
  ASSERT_TRUE(m);
  auto judgments = all_acceptable();
  judgments[2].reset();
  Decision d{.request_id = q->id,
             .meeting_id = m->id,
             .outcome = Outcome::approved,
             .judgments = judgments,
             .valid_until = "2027-03-31",
             .summary = "s"};
  auto missing = c.decide(member_, d);
  ASSERT_FALSE(missing);
  EXPECT_THAT(missing.error().text().en, HasSubstr("criterion (ⅲ) has no judgment"));
  d.judgments = all_acceptable();
  // An approval that ends before its meeting is refused.
  d.valid_until = "2026-05-01";
  auto backwards = c.decide(member_, d);
  ASSERT_FALSE(backwards);
  EXPECT_EQ(backwards.error().where().field, "valid_until");
  d.valid_until = "2027-03-31";
  // A meeting held before the request was submitted cannot decide it.
  auto early = c.record_meeting(coordinator_, {.held_on = "2026-04-20",
                                               .attendees = {"山田 一郎", "鈴木 次郎", "田中 四郎"},
                                               .summary = "s"});
  ASSERT_TRUE(early);
  Decision too_early = d;
  too_early.meeting_id = early->id;
  auto before = c.decide(member_, too_early);
  ASSERT_FALSE(before);
  EXPECT_THAT(before.error().text().en, HasSubstr("before the request was submitted"));
  // 佐藤 is a member but did not attend this meeting.
  auto absent = c.decide({"sato", "t"}, d);
  ASSERT_FALSE(absent);
  EXPECT_EQ(absent.error().code(), Errc::permission_denied);
  auto ok = c.decide(member_, d);
  ASSERT_TRUE(ok) << ok.error().describe(Lang::en);
}

TEST_F(CommitteeTest, AConfirmedDecisionIsAmendedNeverEdited) {
  set_up_committee();
  register_recipient("univ-a");
  Request q = approved_request("univ-a");
  Committee c(ctx());
  auto first = c.decision_in_force(q.id);
  ASSERT_TRUE(first && *first);
  EXPECT_FALSE(db_->execute("UPDATE release_decisions SET outcome = 'rejected'"));
  EXPECT_FALSE(db_->execute("DELETE FROM release_decisions"));
  Decision again{.request_id = q.id,
                 .meeting_id = (*first)->meeting_id,
                 .outcome = Outcome::rejected,
                 .judgments = all_acceptable(),
                 .summary = "s"};
  auto twice = c.decide(member_, again);
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code(), Errc::conflict);
  again.amends = (*first)->id;
  again.reason = "利用者の安全管理措置に不備が判明";
  auto amended = c.decide(member_, again);
  ASSERT_TRUE(amended) << amended.error().describe(Lang::en);
  auto in_force = c.decision_in_force(q.id);
  ASSERT_TRUE(in_force && *in_force);
  EXPECT_EQ((*in_force)->id, amended->id);
  EXPECT_EQ((*in_force)->amends, (*first)->id);
  auto check = c.check_approval(q.id, "univ-a", q.spec.hash(), "2026-06-01");
  ASSERT_FALSE(check);
  EXPECT_THAT(check.error().text().en, HasSubstr("REVIEW-05"));
}

TEST_F(CommitteeTest, CheckApprovalNamesEachReason) {
  set_up_committee();
  register_recipient("univ-a");
  register_recipient("univ-b");
  Committee c(ctx());
  auto pending = c.submit(coordinator_, request_for("univ-a"));
  ASSERT_TRUE(pending);
  auto none = c.check_approval(pending->id, "univ-a", spec().hash(), "2026-06-01");
  ASSERT_FALSE(none);
  EXPECT_THAT(none.error().text().en, HasSubstr("has no committee decision"));
  Request q = approved_request("univ-a");
  EXPECT_TRUE(c.check_approval(q.id, "univ-a", spec().hash(), "2026-06-01"));
  auto expired = c.check_approval(q.id, "univ-a", spec().hash(), "2027-04-01");
  ASSERT_FALSE(expired);
  EXPECT_THAT(expired.error().text().en, HasSubstr("ended on 2027-03-31"));
  auto other = c.check_approval(q.id, "univ-b", spec().hash(), "2026-06-01");
  ASSERT_FALSE(other);
  EXPECT_THAT(other.error().text().en, HasSubstr("for univ-a, not univ-b"));
  auto wider = spec();
  wider.fields.push_back("prefecture");
  auto mismatch = c.check_approval(q.id, "univ-a", wider.hash(), "2026-06-01");
  ASSERT_FALSE(mismatch);
  EXPECT_THAT(mismatch.error().text().en, HasSubstr("ANON-05"));
}

TEST_F(CommitteeTest, ExpeditedReviewStaysInScopeAndIsReportedToEveryMember) {
  set_up_committee();
  register_recipient("univ-a");
  Committee c(ctx());
  // 佐藤 is not designated for expedited review.
  auto undesignated = c.record_meeting(
      coordinator_,
      {.held_on = "2026-05-21", .expedited = true, .attendees = {"佐藤 花子"}, .summary = "s"});
  ASSERT_FALSE(undesignated);
  EXPECT_THAT(undesignated.error().text().en, HasSubstr("REVIEW-04"));
  auto m = c.record_meeting(coordinator_, {.held_on = "2026-05-21",
                                           .expedited = true,
                                           .attendees = {"山田 一郎"},
                                           .summary = "迅速審査"});
  ASSERT_TRUE(m) << m.error().describe(Lang::en);
  auto fresh = c.submit(coordinator_, request_for("univ-a", "new"));
  ASSERT_TRUE(fresh);
  Decision d{.request_id = fresh->id,
             .meeting_id = m->id,
             .outcome = Outcome::approved,
             .judgments = all_acceptable(),
             .valid_until = "2027-03-31",
             .summary = "軽微な変更"};
  auto out_of_scope = c.decide(member_, d);
  ASSERT_FALSE(out_of_scope);
  EXPECT_THAT(out_of_scope.error().text().en, HasSubstr("outside the expedited scope"));
  auto minor = c.submit(coordinator_, request_for("univ-a", "minor_change"));
  ASSERT_TRUE(minor);
  d.request_id = minor->id;
  auto ok = c.decide(member_, d);
  ASSERT_TRUE(ok) << ok.error().describe(Lang::en);
  auto told = c.notices(ok->id);
  ASSERT_TRUE(told);
  EXPECT_EQ(told->size(), 5u);
  auto logged = db_->query(
      "SELECT count(*) FROM audit_entries WHERE action = "
      "'committee.expedited.report'");
  ASSERT_TRUE(logged);
  EXPECT_EQ(logged->at(0).integer(0), 1);
}

TEST_F(CommitteeTest, MaterialsAreKeptUntilTheResearchEndReport) {
  register_recipient("univ-a");
  Committee c(ctx());
  auto q = c.submit(coordinator_, request_for("univ-a"));
  ASSERT_TRUE(q);
  auto m = c.add_material(coordinator_, q->id, "研究計画書.pdf", "計画書の内容");
  ASSERT_TRUE(m);
  EXPECT_EQ(*c.read_material(m->id), "計画書の内容");
  auto early = c.delete_material(coordinator_, m->id);
  ASSERT_FALSE(early);
  EXPECT_THAT(early.error().text().en, HasSubstr("REVIEW-07"));
  // Not even the database lets it go before the report.
  EXPECT_FALSE(db_->execute("UPDATE release_materials SET sealed = x'' WHERE id = ?", {m->id}));
  ASSERT_TRUE(c.report_research_end(coordinator_, q->id, "2028-03-31"));
  ASSERT_TRUE(c.delete_material(coordinator_, m->id));
  EXPECT_FALSE(c.read_material(m->id));
}

TEST_F(CommitteeTest, ThePublicationLeavesOutWhatTheCommitteeWithholds) {
  set_up_committee();
  register_recipient("univ-a");
  Committee c(ctx());
  auto status = c.status("2027-04-02");
  ASSERT_TRUE(status);
  EXPECT_TRUE(status->compliant);
  EXPECT_TRUE(status->publication_due);  // a year after the rules, nothing published
  auto q1 = c.submit(coordinator_, request_for("univ-a"));
  auto q2 = c.submit(coordinator_, request_for("univ-a"));
  ASSERT_TRUE(q1 && q2);
  auto m = c.record_meeting(coordinator_, {.held_on = "2026-05-20",
                                           .attendees = {"山田 一郎", "佐藤 花子", "鈴木 次郎"},
                                           .summary = "審議"});
  ASSERT_TRUE(m);
  ASSERT_TRUE(c.decide(member_, {.request_id = q1->id,
                                 .meeting_id = m->id,
                                 .outcome = Outcome::approved,
                                 .judgments = all_acceptable(),
                                 .valid_until = "2027-03-31",
                                 .summary = "公開してよい概要"}));
  ASSERT_TRUE(c.decide(member_, {.request_id = q2->id,
                                 .meeting_id = m->id,
                                 .outcome = Outcome::rejected,
                                 .judgments = all_acceptable(),
                                 .summary = "非公開の概要",
                                 .undisclosed = "事業運営に支障"}));
  auto md = c.publish(coordinator_, 2026);
  ASSERT_TRUE(md) << md.error().describe(Lang::en);
  EXPECT_THAT(*md, HasSubstr("公開してよい概要"));
  EXPECT_THAT(*md, ::testing::Not(HasSubstr("非公開の概要")));
  EXPECT_THAT(*md, HasSubstr("非公開とした審査: 1 件"));
  EXPECT_THAT(*md, HasSubstr("| 佐藤 花子 | 人文・社会科学の有識者 | 外部 | 女性 |"));
  status = c.status("2027-04-02");
  ASSERT_TRUE(status);
  EXPECT_FALSE(status->publication_due);
}

}  // namespace
}  // namespace tokumei::release
