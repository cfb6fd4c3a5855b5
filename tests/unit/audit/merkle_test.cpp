#include "tokumei/audit/merkle.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "tokumei/base/bytes.h"

namespace tokumei::audit::merkle {
namespace {

Digest leaf_of(std::string_view data) {
  Bytes b{0x00};
  b.insert(b.end(), data.begin(), data.end());
  return crypto::sha256(b);
}

// MTH written straight from RFC 6962 §2.1, independent of the code under test.
Digest reference_root(const std::vector<Digest>& leaves, std::size_t begin, std::size_t end) {
  std::size_t n = end - begin;
  if (n == 1) return leaves[begin];
  std::size_t k = 1;
  while (k * 2 < n) k *= 2;
  Bytes b{0x01};
  Digest l = reference_root(leaves, begin, begin + k);
  Digest r = reference_root(leaves, begin + k, end);
  b.insert(b.end(), l.begin(), l.end());
  b.insert(b.end(), r.begin(), r.end());
  return crypto::sha256(b);
}

std::vector<Digest> make_leaves(std::size_t n) {
  std::vector<Digest> out;
  for (std::size_t i = 0; i < n; ++i) out.push_back(leaf_of("entry " + std::to_string(i)));
  return out;
}

// Perfect-subtree hashes computed from the leaves, as the database would store them.
NodeSource memory_nodes(const std::vector<Digest>& leaves) {
  return [&leaves](int level, std::uint64_t index) -> Result<Digest> {
    std::size_t begin = index << level;
    std::size_t end = begin + (std::size_t{1} << level);
    if (end > leaves.size()) return fail(Errc::not_found, {"なし", "none"});
    return reference_root(leaves, begin, end);
  };
}

TEST(MerkleTest, RootsMatchTheCertificateTransparencyVectors) {
  const std::vector<std::string> data = {
      std::string(""),
      std::string("\x00", 1),
      std::string("\x10"),
      std::string("\x20\x21"),
      std::string("\x30\x31"),
      std::string("\x40\x41\x42\x43"),
      std::string("\x50\x51\x52\x53\x54\x55\x56\x57"),
      std::string("\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f")};
  const std::vector<std::string> roots = {
      "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
      "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
      "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
      "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
      "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
      "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"};
  std::vector<Digest> leaves;
  Frontier frontier;
  for (std::size_t i = 0; i < data.size(); ++i) {
    leaves.push_back(leaf_of(data[i]));
    frontier.append(leaves.back());
    EXPECT_EQ(hex_encode(frontier.root()), roots[i]) << "size " << i + 1;
    auto r = root(memory_nodes(leaves), leaves.size());
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(hex_encode(*r), roots[i]) << "size " << i + 1;
  }
  EXPECT_EQ(hex_encode(empty_root()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(MerkleTest, FrontierReportsEveryCompletedSubtreeAndReloads) {
  auto leaves = make_leaves(37);
  std::map<std::pair<int, std::uint64_t>, Digest> stored;
  Frontier f;
  for (const auto& leaf : leaves) {
    f.append(leaf, [&](int level, std::uint64_t index, const Digest& h) {
      stored[{level, index}] = h;
    });
  }
  // 37 leaves complete 18 + 9 + 4 + 2 + 1 subtrees above the leaves.
  EXPECT_EQ(stored.size(), 34u);
  for (const auto& [key, h] : stored) {
    std::size_t begin = key.second << key.first;
    EXPECT_EQ(h, reference_root(leaves, begin, begin + (std::size_t{1} << key.first)));
  }
  for (std::size_t n = 1; n <= leaves.size(); ++n) {
    auto loaded = Frontier::load(memory_nodes(leaves), n);
    ASSERT_TRUE(loaded.has_value());
    EXPECT_EQ(loaded->root(), reference_root(leaves, 0, n)) << n;
  }
}

TEST(MerkleTest, InclusionProofsVerifyAndAnyChangeFails) {
  auto leaves = make_leaves(70);
  auto nodes = memory_nodes(leaves);
  for (std::uint64_t size = 1; size <= leaves.size(); ++size) {
    Digest r = reference_root(leaves, 0, size);
    for (std::uint64_t i = 0; i < size; ++i) {
      auto proof = inclusion_proof(nodes, i, size);
      ASSERT_TRUE(proof.has_value());
      ASSERT_TRUE(verify_inclusion(leaves[i], i, size, *proof, r)) << i << "/" << size;
      EXPECT_FALSE(verify_inclusion(leaves[(i + 1) % leaves.size()], i, size, *proof, r));
      if (!proof->empty()) {
        auto bent = *proof;
        bent.back()[5] ^= 0x20;
        EXPECT_FALSE(verify_inclusion(leaves[i], i, size, bent, r));
        bent = *proof;
        bent.pop_back();
        EXPECT_FALSE(verify_inclusion(leaves[i], i, size, bent, r));
      }
      if (size > 1) {
        EXPECT_FALSE(verify_inclusion(leaves[i], (i + 1) % size, size, *proof, r));
      }
    }
  }
  EXPECT_FALSE(inclusion_proof(nodes, 5, 5).has_value());
}

TEST(MerkleTest, ConsistencyProofsVerifyAndAnyChangeFails) {
  auto leaves = make_leaves(45);
  auto nodes = memory_nodes(leaves);
  for (std::uint64_t second = 1; second <= leaves.size(); ++second) {
    Digest r2 = reference_root(leaves, 0, second);
    for (std::uint64_t first = 1; first <= second; ++first) {
      Digest r1 = reference_root(leaves, 0, first);
      auto proof = consistency_proof(nodes, first, second);
      ASSERT_TRUE(proof.has_value());
      ASSERT_TRUE(verify_consistency(first, second, r1, r2, *proof)) << first << "→" << second;
      if (first < second) {
        // Another first tree (one leaf changed) is not a prefix of the second.
        auto other = leaves;
        other[first - 1][0] ^= 1;
        EXPECT_FALSE(
            verify_consistency(first, second, reference_root(other, 0, first), r2, *proof));
        auto bent = *proof;
        bent.front()[31] ^= 0x80;
        EXPECT_FALSE(verify_consistency(first, second, r1, r2, bent));
        EXPECT_FALSE(verify_consistency(first, second, r1, r1, *proof));
      }
    }
  }
  EXPECT_FALSE(consistency_proof(nodes, 0, 3).has_value());
  EXPECT_FALSE(consistency_proof(nodes, 4, 3).has_value());
}

}  // namespace
}  // namespace tokumei::audit::merkle
