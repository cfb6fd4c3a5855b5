#pragma once
// The Merkle tree of RFC 6962 §2.1 (RFC 9162 §2.1) over the audit log's leaf hashes
// (AUDIT-05): tree hashes, inclusion proofs and consistency proofs, and their verification.
//
//   MTH({})       = SHA-256()
//   MTH({d0})     = leaf hash (SHA-256(0x00 || entry), made by AuditLog::leaf_hash)
//   MTH(D[0:n])   = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n])), k the largest power of 2 < n
//
// The hashes of complete ("perfect") subtrees come from a NodeSource: in memory for a whole
// recomputation, from the database for one proof, so a proof reads O(log n) stored nodes.

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "tokumei/base/error.h"
#include "tokumei/crypto/hash.h"

namespace tokumei::audit::merkle {

using crypto::Digest;

// SHA-256 of nothing: the root of the empty tree.
Digest empty_root();
// SHA-256(0x01 || left || right).
Digest node_hash(const Digest& left, const Digest& right);

// The hash of the perfect subtree at `level` (0 = a leaf) whose leaves are
// [index << level, (index + 1) << level).
using NodeSource = std::function<Result<Digest>(int level, std::uint64_t index)>;

// MTH(D[begin:end]) for a range the tree's recursion produces (begin a multiple of the largest
// power of two not above end - begin).
Result<Digest> subtree_hash(const NodeSource& nodes, std::uint64_t begin, std::uint64_t end);
// MTH(D[0:size]).
Result<Digest> root(const NodeSource& nodes, std::uint64_t size);

// RFC 6962 PATH(index, D[0:size]); Errc::invalid_argument when index >= size.
Result<std::vector<Digest>> inclusion_proof(const NodeSource& nodes, std::uint64_t index,
                                            std::uint64_t size);
// RFC 6962 PROOF(first, D[0:second]); Errc::invalid_argument unless 0 < first <= second.
Result<std::vector<Digest>> consistency_proof(const NodeSource& nodes, std::uint64_t first,
                                              std::uint64_t second);

// RFC 9162 §2.1.3.2: true only if `proof` shows `leaf` at `index` in the tree of `size` with
// `root`.
bool verify_inclusion(const Digest& leaf, std::uint64_t index, std::uint64_t size,
                      std::span<const Digest> proof, const Digest& root);
// RFC 9162 §2.1.4.2: true only if the tree of `second` leaves with `second_root` extends the tree
// of `first` leaves with `first_root`.
bool verify_consistency(std::uint64_t first, std::uint64_t second, const Digest& first_root,
                        const Digest& second_root, std::span<const Digest> proof);

// A growing tree kept as its frontier (the roots of the perfect subtrees its size decomposes
// into, largest first): appends in O(1) amortized and gives the root at any time. `added`
// receives every perfect subtree completed by an append (level >= 1), for storage.
class Frontier {
 public:
  using Sink = std::function<void(int level, std::uint64_t index, const Digest& hash)>;

  Frontier() = default;
  // The frontier of a tree of `size` leaves, read from `nodes`.
  static Result<Frontier> load(const NodeSource& nodes, std::uint64_t size);

  void append(const Digest& leaf, const Sink& added = {});
  std::uint64_t size() const { return size_; }
  Digest root() const;

 private:
  std::uint64_t size_ = 0;
  std::vector<Digest> peaks_;  // peaks_[i] is the perfect subtree of the i-th set bit, high first
};

}  // namespace tokumei::audit::merkle
