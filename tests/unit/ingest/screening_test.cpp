// INTAKE-07 at every reader: a file carrying an Individual Number is quarantined whole, located,
// and the number appears nowhere in what is kept.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "tokumei/ingest/fhir/reader.h"
#include "tokumei/ingest/receipt/uke.h"
#include "tokumei/ingest/ssmix2/reader.h"

namespace tokumei::ingest {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kNumber = "123456789018";  // a valid check digit

void expect_quarantined_without_the_number(const FileOutcome& o, int line) {
  ASSERT_EQ(o.kind, FileOutcome::Kind::quarantined);
  ASSERT_EQ(o.problems.size(), 1u);
  const Error& e = o.problems[0];
  EXPECT_EQ(e.code(), Errc::policy_violation);
  EXPECT_EQ(e.where().line, line);
  EXPECT_EQ(e.where().field, "individual number");
  for (Lang lang : {Lang::ja, Lang::en}) {
    EXPECT_THAT(e.describe(lang), Not(HasSubstr(kNumber)));
    EXPECT_THAT(e.describe(lang), Not(HasSubstr("9018")));
  }
  EXPECT_TRUE(o.extract.persons.empty());
  EXPECT_EQ(o.extract.events(), 0u);
}

TEST(IndividualNumberScreening, Ssmix2) {
  const std::string text = std::string(
                               "MSH|^~\\&|A|B|C|D|20240105||ADT^A08^ADT_A01|1|P|2.5\r"
                               "PID|0001||1234567||X^Y\rNK1|1|||||") +
                           kNumber + "\r";
  auto o = ssmix2::read_storage_bytes(
      "123/456/1234567/-/ADT-00/1234567_-_ADT-00_999999999999999_20240105093000123_-_1", text,
      "1310000001");
  expect_quarantined_without_the_number(o, 3);
}

TEST(IndividualNumberScreening, Fhir) {
  fhir::Reader reader("1310000001");
  auto o = reader.read("p.json", std::string("{\"resourceType\":\"Patient\",\n\"identifier\":[{"
                                             "\"value\":\"1234-5678-9018\"}]}"));
  expect_quarantined_without_the_number(o, 2);
}

TEST(IndividualNumberScreening, Claims) {
  auto o = receipt::read_uke(
      "c.UKE",
      std::string("IR,1,13,1,0000001,,,202406,00,\r\nRE,1,1112,202406,X,1,19800101,,,,,,,") +
          kNumber + ",\r\n",
      "1310000001");
  expect_quarantined_without_the_number(o, 2);
}

}  // namespace
}  // namespace tokumei::ingest
