// The tamper suite (AUDIT-05, issue acceptance): someone with the database file in hand edits it
// behind the log's back — flips bits in the file, deletes, inserts, reorders, rewrites, truncates,
// puts an older copy back, forges checkpoints — and verify() must notice every time and name
// where. 1,100 randomized trials over eleven kinds of attack; each failure prints its seed.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "support/test_support.h"
#include "tokumei/audit/audit_log.h"
#include "tokumei/base/clock.h"
#include "tokumei/base/random.h"
#include "tokumei/store/sqlite_database.h"

namespace tokumei::audit {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
using store::SqliteDatabase;
using store::SqliteOptions;

constexpr int kEntries = 160;
constexpr int kOldEntries = 100;  // the older copy put back by the rollback attack
constexpr int kTrialsPerKind = 100;

bool is_checkpoint_entry(int seq) { return seq == 40 || seq == kOldEntries || seq == kEntries; }
std::string detail_of(int seq) { return R"({"n":"k-)" + std::to_string(1000 + seq) + R"("})"; }

std::unique_ptr<SqliteDatabase> open_db(const fs::path& path) {
  auto db = SqliteDatabase::open(path, SqliteOptions{.create = true});
  EXPECT_TRUE(db.has_value()) << (db ? "" : db.error().describe(Lang::en));
  return db ? std::move(*db) : nullptr;
}

Bytes read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), {});
}
void write_bytes(const fs::path& p, const Bytes& b) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

// Every offset where `needle` occurs in `hay`.
std::vector<std::size_t> find_all(const Bytes& hay, ByteView needle) {
  std::vector<std::size_t> out;
  auto it = hay.begin();
  while ((it = std::search(it, hay.end(), needle.begin(), needle.end())) != hay.end()) {
    out.push_back(static_cast<std::size_t>(it - hay.begin()));
    ++it;
  }
  return out;
}

class TamperTest : public ::testing::Test {
 protected:
  // One log, made once: kEntries entries with checkpoints after 40, kOldEntries and kEntries
  // entries; a copy of the file as it was at kOldEntries; the exported checkpoints.
  static void SetUpTestSuite() {
    dir_ = new tokumei::testing::TempDir();
    FakeClock clock(from_unix_ms(1'775'001'600'000));
    SeededRandom random(7);
    key_ = new crypto::Ed25519PrivateKey(crypto::Ed25519PrivateKey::generate(random));
    witness_ = new std::vector<Checkpoint>();
    {
      auto db = open_db(template_path());
      ASSERT_TRUE(store::migrate(*db, AuditLog::schema(), clock).has_value());
      AuditLog log(*db, clock);
      // Checkpoints record their own request as an entry, so they close the log at 40, 100, 160.
      for (int seq = 1; seq <= kEntries; ++seq) {
        clock.advance(1s);
        if (is_checkpoint_entry(seq)) {
          auto c = log.checkpoint({"auditor1", "term-01"}, *key_);
          ASSERT_TRUE(c.has_value()) << c.error().describe(Lang::en);
          ASSERT_EQ(c->tree_size, static_cast<std::uint64_t>(seq));
          witness_->push_back(*c);
          if (seq == kOldEntries) {
            ASSERT_TRUE(db->execute_script("PRAGMA wal_checkpoint(TRUNCATE)").has_value());
            fs::copy_file(template_path(), old_path());
          }
          continue;
        }
        Entry e{{"user" + std::to_string(seq % 7), "term-0" + std::to_string(seq % 3)},
                "data.read",
                "dataset:d" + std::to_string(seq),
                seq % 11 == 0 ? Outcome::denied : Outcome::success,
                detail_of(seq),
                {}};
        if (seq % 4 == 0) e.subjects = {"abcdef" + std::to_string(100 + seq)};
        ASSERT_TRUE(log.record(e).has_value());
      }
      auto report = log.verify(key_->public_key(), *witness_);
      ASSERT_TRUE(report.has_value());
      ASSERT_TRUE(report->ok()) << report->problem.in(Lang::en);
      ASSERT_EQ(report->entries, kEntries);
      ASSERT_EQ(report->checkpoints, 6);  // three stored, three witnessed
      ASSERT_EQ(report->uncovered(), 0);
    }
  }
  static void TearDownTestSuite() {
    delete witness_;
    delete key_;
    delete dir_;
  }
  static fs::path template_path() { return dir_->path() / "template.db"; }
  static fs::path old_path() { return dir_->path() / "old.db"; }

  fs::path fresh_copy(const fs::path& from = template_path()) {
    fs::path p = trial_dir_.path() / ("trial" + std::to_string(trial_++) + ".db");
    fs::copy_file(from, p);
    return p;
  }

  // An attacker's connection: the append-only triggers dropped first.
  std::unique_ptr<SqliteDatabase> attacker(const fs::path& p) {
    auto db = open_db(p);
    for (const char* t :
         {"audit_entries_no_update", "audit_entries_no_delete", "audit_entries_next_seq",
          "audit_nodes_no_update", "audit_nodes_no_delete", "audit_checkpoints_no_update",
          "audit_checkpoints_no_delete", "audit_checkpoints_next_id"}) {
      EXPECT_TRUE(db->execute_script(std::string("DROP TRIGGER ") + t).has_value());
    }
    return db;
  }

  // Verifies the tampered file with the trusted key and the exported checkpoints.
  VerifyReport verify(const fs::path& p) {
    auto db = open_db(p);
    FakeClock clock(from_unix_ms(1'775'101'600'000));
    AuditLog log(*db, clock);
    auto r = log.verify(key_->public_key(), *witness_);
    if (!r) {  // the file no longer reads as a database: that too is detection, at no entry
      VerifyReport failed;
      failed.first_bad = 0;
      failed.problem = r.error().text();
      return failed;
    }
    return *r;
  }

  // Recomputes leaf hashes, chain and tree of entries from `from` on, as a careful attacker would.
  static void rewrite_hashes(SqliteDatabase& db) {
    auto rows = db.query(
        "SELECT seq, at, actor, terminal, action, object, outcome, detail, subjects FROM "
        "audit_entries ORDER BY seq");
    ASSERT_TRUE(rows.has_value());
    crypto::Digest prev{};
    merkle::Frontier tree;
    ASSERT_TRUE(db.execute("DELETE FROM audit_nodes").has_value());
    for (const auto& r : *rows) {
      Entry e{{r.text(2), r.text(3)}, r.text(4), r.text(5), Outcome::success, r.text(7), {}};
      if (r.text(6) == "denied") e.outcome = Outcome::denied;
      if (r.text(8) != "[]") {
        std::string s = r.text(8);
        e.subjects = {s.substr(2, s.size() - 4)};
      }
      auto leaf = AuditLog::leaf_hash(r.integer(0), from_unix_ms(r.integer(1)), e);
      prev = crypto::sha256({ByteView(prev), ByteView(leaf)});
      ASSERT_TRUE(db.execute("UPDATE audit_entries SET leaf_hash = ?, chain_hash = ? WHERE seq = ?",
                             {Bytes(leaf.begin(), leaf.end()), Bytes(prev.begin(), prev.end()),
                              r.integer(0)})
                      .has_value());
      tree.append(leaf, [&](int level, std::uint64_t index, const crypto::Digest& h) {
        (void)db.execute(
            "INSERT INTO audit_nodes VALUES (?, ?, ?)",
            {std::int64_t{level}, static_cast<std::int64_t>(index), Bytes(h.begin(), h.end())});
      });
    }
  }

  // Runs `attack` kTrialsPerKind times; each returns the entry where detection must point (or a
  // range [lo, hi]) and the report must be a failure located in it.
  template <class Attack>
  void run(std::uint32_t kind_seed, Attack attack) {
    for (int t = 0; t < kTrialsPerKind; ++t) {
      std::uint32_t seed = kind_seed * 1000 + static_cast<std::uint32_t>(t);
      std::mt19937 rng(seed);
      fs::path p = fresh_copy();
      auto [lo, hi] = attack(p, rng);
      VerifyReport r = verify(p);
      ASSERT_FALSE(r.ok()) << "undetected, seed " << seed;
      EXPECT_FALSE(r.problem.in(Lang::ja).empty());
      EXPECT_FALSE(r.problem.in(Lang::en).empty());
      ASSERT_TRUE(r.first_bad.has_value());
      EXPECT_GE(*r.first_bad, lo) << "seed " << seed << ": " << r.problem.in(Lang::en);
      EXPECT_LE(*r.first_bad, hi) << "seed " << seed << ": " << r.problem.in(Lang::en);
      fs::remove(p);
    }
  }

  static int pick(std::mt19937& rng, int lo, int hi) {
    return std::uniform_int_distribution<int>(lo, hi)(rng);
  }

  tokumei::testing::TempDir trial_dir_;
  int trial_ = 0;
  static tokumei::testing::TempDir* dir_;
  static crypto::Ed25519PrivateKey* key_;
  static std::vector<Checkpoint>* witness_;
};

tokumei::testing::TempDir* TamperTest::dir_ = nullptr;
crypto::Ed25519PrivateKey* TamperTest::key_ = nullptr;
std::vector<Checkpoint>* TamperTest::witness_ = nullptr;

using Range = std::pair<std::int64_t, std::int64_t>;

TEST_F(TamperTest, BitFlippedInAnEntryInTheFile) {
  run(1, [&](const fs::path& p, std::mt19937& rng) -> Range {
    int k = pick(rng, 1, kEntries - 1);
    while (is_checkpoint_entry(k)) k = pick(rng, 1, kEntries - 1);
    Bytes file = read_bytes(p);
    // The entry's detail text (unique to it) or its stored hashes, found in the raw file.
    std::string detail = detail_of(k);
    auto db = open_db(p);
    auto row = db->query_one("SELECT leaf_hash, chain_hash FROM audit_entries WHERE seq = ?",
                             {std::int64_t{k}});
    db.reset();
    std::vector<Bytes> targets = {Bytes(detail.begin(), detail.end()), row->blob(0), row->blob(1)};
    const Bytes& target = targets[static_cast<std::size_t>(pick(rng, 0, 2))];
    auto at = find_all(file, target);
    EXPECT_EQ(at.size(), 1u);
    std::size_t offset =
        at.at(0) + static_cast<std::size_t>(pick(rng, 0, static_cast<int>(target.size()) - 1));
    file[offset] ^= static_cast<std::uint8_t>(1u << pick(rng, 0, 7));
    write_bytes(p, file);
    return {k, k};
  });
}

TEST_F(TamperTest, FieldOfAnEntryChanged) {
  run(2, [&](const fs::path& p, std::mt19937& rng) -> Range {
    int k = pick(rng, 1, kEntries);
    auto db = attacker(p);
    const char* edits[] = {
        "UPDATE audit_entries SET actor = 'someone-else' WHERE seq = ?",
        "UPDATE audit_entries SET terminal = 'term-99' WHERE seq = ?",
        "UPDATE audit_entries SET at = at - 3600000 WHERE seq = ?",
        "UPDATE audit_entries SET action = 'data.export' WHERE seq = ?",
        "UPDATE audit_entries SET object = 'dataset:other' WHERE seq = ?",
        "UPDATE audit_entries SET outcome = CASE outcome WHEN 'success' THEN 'failure' ELSE "
        "'success' END WHERE seq = ?",
        "UPDATE audit_entries SET detail = '{}' WHERE seq = ?",
        "UPDATE audit_entries SET subjects = '[\"abcdef999\"]' WHERE seq = ?",
        "UPDATE audit_entries SET leaf_hash = zeroblob(32) WHERE seq = ?",
        "UPDATE audit_entries SET chain_hash = randomblob(32) WHERE seq = ?",
        "UPDATE audit_entries SET detail = 42 WHERE seq = ?",
    };
    EXPECT_TRUE(db->execute(edits[pick(rng, 0, 10)], {std::int64_t{k}}).has_value());
    return {k, k};
  });
}

TEST_F(TamperTest, EntryDeleted) {
  run(3, [&](const fs::path& p, std::mt19937& rng) -> Range {
    int k = pick(rng, 1, kEntries - 1);
    auto db = attacker(p);
    EXPECT_TRUE(db->execute("DELETE FROM audit_entries WHERE seq = ?", {std::int64_t{k}}));
    return {k, k};
  });
}

TEST_F(TamperTest, EntryInserted) {
  run(4, [&](const fs::path& p, std::mt19937& rng) -> Range {
    int k = pick(rng, 1, kEntries);
    auto db = attacker(p);
    // Make room at k and put a made-up entry there, with its own hashes made correctly.
    EXPECT_TRUE(
        db->execute("UPDATE audit_entries SET seq = -seq WHERE seq >= ?", {std::int64_t{k}}));
    EXPECT_TRUE(db->execute("UPDATE audit_entries SET seq = 1 - seq WHERE seq < 0"));
    Entry fake{{"intruder", "term-01"}, "data.read", "dataset:x", Outcome::success, "{}", {}};
    auto prev =
        db->query_one("SELECT chain_hash FROM audit_entries WHERE seq = ?", {std::int64_t{k - 1}});
    crypto::Digest before{};
    if (prev && !prev->is_null(0)) std::copy_n(prev->blob(0).begin(), 32, before.begin());
    auto leaf = AuditLog::leaf_hash(k, from_unix_ms(1'775'001'600'000 + k * 1000), fake);
    auto link = crypto::sha256({ByteView(before), ByteView(leaf)});
    EXPECT_TRUE(
        db->execute("INSERT INTO audit_entries VALUES (?, ?, 'intruder', 'term-01', 'data.read', "
                    "'dataset:x', 'success', '{}', '[]', ?, ?)",
                    {std::int64_t{k}, to_unix_ms(from_unix_ms(1'775'001'600'000 + k * 1000)),
                     Bytes(leaf.begin(), leaf.end()), Bytes(link.begin(), link.end())}));
    if (pick(rng, 0, 1) == 1) rewrite_hashes(*db);  // and every later hash made to fit
    // A consistent rewrite is caught by the first checkpoint over k: the span it points at
    // starts after the checkpoint before.
    return {1, k + 1};
  });
}

TEST_F(TamperTest, EntriesReordered) {
  run(5, [&](const fs::path& p, std::mt19937& rng) -> Range {
    int a = pick(rng, 1, kEntries - 1);
    int b = pick(rng, a + 1, kEntries);
    auto db = attacker(p);
    EXPECT_TRUE(db->execute("UPDATE audit_entries SET seq = -1 WHERE seq = ?", {std::int64_t{a}}));
    EXPECT_TRUE(db->execute("UPDATE audit_entries SET seq = ? WHERE seq = ?",
                            {std::int64_t{a}, std::int64_t{b}}));
    EXPECT_TRUE(db->execute("UPDATE audit_entries SET seq = ? WHERE seq = -1", {std::int64_t{b}}));
    if (pick(rng, 0, 1) == 1) rewrite_hashes(*db);
    return {1, a};
  });
}

TEST_F(TamperTest, EntriesRewrittenWithEveryHashRecomputed) {
  run(6, [&](const fs::path& p, std::mt19937& rng) -> Range {
    int k = pick(rng, 1, kEntries - 1);
    auto db = attacker(p);
    EXPECT_TRUE(
        db->execute("UPDATE audit_entries SET actor = 'nobody' WHERE seq = ?", {std::int64_t{k}}));
    rewrite_hashes(*db);
    // Caught by the first checkpoint at or after k, pointing at the span after the one before.
    std::int64_t lo = k <= 40 ? 1 : k <= kOldEntries ? 41 : kOldEntries + 1;
    return {lo, lo};
  });
}

TEST_F(TamperTest, LogTruncated) {
  run(7, [&](const fs::path& p, std::mt19937& rng) -> Range {
    int keep = pick(rng, 0, kEntries - 1);
    auto db = attacker(p);
    EXPECT_TRUE(db->execute("DELETE FROM audit_entries WHERE seq > ?", {std::int64_t{keep}}));
    if (pick(rng, 0, 1) == 1) {  // and the checkpoints and nodes past it
      rewrite_hashes(*db);
      EXPECT_TRUE(
          db->execute("DELETE FROM audit_checkpoints WHERE tree_size > ?", {std::int64_t{keep}}));
    }
    return {keep + 1, keep + 1};
  });
}

TEST_F(TamperTest, OlderCopyPutBack) {
  run(8, [&](const fs::path& p, std::mt19937& rng) -> Range {
    fs::copy_file(old_path(), p, fs::copy_options::overwrite_existing);
    if (pick(rng, 0, 1) == 1) {  // then some new entries made to look genuine
      auto db = attacker(p);
      int extra = pick(rng, 1, 30);
      for (int i = 0; i < extra; ++i) {
        EXPECT_TRUE(db->execute(
            "INSERT INTO audit_entries SELECT seq + ?, at, actor, terminal, action, object, "
            "outcome, detail, subjects, leaf_hash, chain_hash FROM audit_entries WHERE seq = ?",
            {std::int64_t{kOldEntries}, std::int64_t{i + 1}}));
      }
      rewrite_hashes(*db);
      int size = kOldEntries + extra;
      return {kOldEntries + 1, std::max(size + 1, kEntries + 1)};
    }
    return {kOldEntries + 1, kOldEntries + 1};
  });
}

TEST_F(TamperTest, CheckpointForged) {
  run(9, [&](const fs::path& p, std::mt19937& rng) -> Range {
    auto db = attacker(p);
    SeededRandom other_random(rng());
    auto other = crypto::Ed25519PrivateKey::generate(other_random);
    int id = pick(rng, 1, 3);
    switch (pick(rng, 0, 3)) {
      case 0:  // re-signed with another key
      {
        auto row = db->query_one(
            "SELECT id, tree_size, root, at, public_key, signature FROM audit_checkpoints WHERE "
            "id = ?",
            {std::int64_t{id}});
        Checkpoint c;
        c.tree_size = static_cast<std::uint64_t>(row->integer(1));
        std::copy_n(row->blob(2).begin(), 32, c.root.begin());
        c.at = from_unix_ms(row->integer(3));
        c.public_key = other.public_key();
        c.signature = other.sign(as_bytes(c.signed_text()));
        EXPECT_TRUE(
            db->execute("UPDATE audit_checkpoints SET public_key = ?, signature = ? "
                        "WHERE id = ?",
                        {c.public_key, c.signature, std::int64_t{id}}));
        break;
      }
      case 1:  // a size changed under the real signature
        EXPECT_TRUE(
            db->execute("UPDATE audit_checkpoints SET tree_size = tree_size - 1 WHERE id = ?",
                        {std::int64_t{id}}));
        break;
      case 2:  // a root changed
        EXPECT_TRUE(db->execute("UPDATE audit_checkpoints SET root = randomblob(32) WHERE id = ?",
                                {std::int64_t{id}}));
        break;
      default:  // a new checkpoint signed by someone else
      {
        Checkpoint c;
        c.tree_size = static_cast<std::uint64_t>(pick(rng, 1, kEntries));
        c.at = from_unix_ms(1'775'101'600'000);
        c.public_key = other.public_key();
        c.signature = other.sign(as_bytes(c.signed_text()));
        EXPECT_TRUE(db->execute(
            "INSERT INTO audit_checkpoints VALUES (4, ?, ?, ?, ?, ?)",
            {static_cast<std::int64_t>(c.tree_size), Bytes(c.root.begin(), c.root.end()),
             to_unix_ms(c.at), c.public_key, c.signature}));
        return {1, kEntries};
      }
    }
    return {1, kEntries};
  });
}

TEST_F(TamperTest, TreeNodeChanged) {
  run(10, [&](const fs::path& p, std::mt19937& rng) -> Range {
    auto db = attacker(p);
    auto count = db->query_one("SELECT COUNT(*) FROM audit_nodes");
    int n = pick(rng, 0, static_cast<int>(count->integer(0)) - 1);
    auto node =
        db->query_one("SELECT level, idx FROM audit_nodes ORDER BY level, idx LIMIT 1 OFFSET ?",
                      {std::int64_t{n}});
    std::int64_t level = node->integer(0), index = node->integer(1);
    if (pick(rng, 0, 1) == 0) {
      EXPECT_TRUE(
          db->execute("UPDATE audit_nodes SET hash = randomblob(32) WHERE level = ? AND idx = ?",
                      {level, index}));
    } else {
      EXPECT_TRUE(
          db->execute("DELETE FROM audit_nodes WHERE level = ? AND idx = ?", {level, index}));
    }
    std::int64_t first = (index << level) + 1;
    return {first, first};
  });
}

TEST_F(TamperTest, BitFlippedInACheckpointOrNodeInTheFile) {
  run(11, [&](const fs::path& p, std::mt19937& rng) -> Range {
    auto db = open_db(p);
    bool checkpoint = pick(rng, 0, 1) == 0;
    auto row = checkpoint ? db->query_one("SELECT signature FROM audit_checkpoints WHERE id = ?",
                                          {std::int64_t{pick(rng, 1, 3)}})
                          : db->query_one("SELECT hash FROM audit_nodes ORDER BY random() LIMIT 1");
    Bytes target = row->blob(0);
    db.reset();
    Bytes file = read_bytes(p);
    auto at = find_all(file, target);
    EXPECT_EQ(at.size(), 1u);
    file[at.at(0) + static_cast<std::size_t>(pick(rng, 0, static_cast<int>(target.size()) - 1))] ^=
        static_cast<std::uint8_t>(1u << pick(rng, 0, 7));
    write_bytes(p, file);
    return {1, kEntries};
  });
}

TEST_F(TamperTest, UntouchedCopyVerifiesAndProofsCheckAgainstTheCheckpoints) {
  fs::path p = fresh_copy();
  VerifyReport r = verify(p);
  ASSERT_TRUE(r.ok()) << r.problem.in(Lang::en);
  EXPECT_EQ(r.entries, kEntries);
  ASSERT_TRUE(r.latest.has_value());
  EXPECT_EQ(r.latest->tree_size, static_cast<std::uint64_t>(kEntries));
  auto db = open_db(p);
  FakeClock clock(from_unix_ms(1'775'101'600'000));
  AuditLog log(*db, clock);
  for (const auto& c : *witness_) {
    for (std::int64_t seq : {std::int64_t{1}, static_cast<std::int64_t>(c.tree_size)}) {
      auto proof = log.prove(seq, c.tree_size);
      ASSERT_TRUE(proof.has_value());
      EXPECT_EQ(proof->root, c.root);
      EXPECT_TRUE(proof->verify());
    }
  }
  auto consistency = log.consistency((*witness_)[0].tree_size, (*witness_)[2].tree_size);
  ASSERT_TRUE(consistency.has_value());
  EXPECT_EQ(consistency->first_root, (*witness_)[0].root);
  EXPECT_EQ(consistency->second_root, (*witness_)[2].root);
  EXPECT_TRUE(consistency->verify());
}

}  // namespace
}  // namespace tokumei::audit

namespace tokumei::audit {
namespace {

// Found in review: a checkpoint deleted from the middle went unnoticed unless a witness kept it.
TEST_F(TamperTest, CheckpointDeletedFromTheMiddleIsMissedByNobody) {
  fs::path p = fresh_copy();
  {
    auto db = attacker(p);
    ASSERT_TRUE(db->execute("DELETE FROM audit_checkpoints WHERE id = 2").has_value());
  }
  auto db = open_db(p);
  FakeClock clock(from_unix_ms(1'775'101'600'000));
  AuditLog log(*db, clock);
  auto r = log.verify(key_->public_key());  // no witness copy at hand
  ASSERT_TRUE(r.has_value());
  ASSERT_FALSE(r->ok());
  EXPECT_NE(r->problem.in(Lang::en).find("checkpoint #2 is missing"), std::string::npos)
      << r->problem.in(Lang::en);
}

}  // namespace
}  // namespace tokumei::audit
