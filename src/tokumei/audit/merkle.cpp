#include "tokumei/audit/merkle.h"

#include <bit>

namespace tokumei::audit::merkle {
namespace {

// The largest power of two strictly below n (n >= 2).
std::uint64_t split_point(std::uint64_t n) { return std::bit_floor(n - 1); }

std::unexpected<Error> bad_range(std::string_view what) {
  return fail(Errc::invalid_argument, {"監査ログの木の範囲が不正です: " + std::string(what),
                                       "bad audit tree range: " + std::string(what)});
}

Status inclusion_path(const NodeSource& nodes, std::uint64_t m, std::uint64_t begin,
                      std::uint64_t end, std::vector<Digest>& out) {
  std::uint64_t n = end - begin;
  if (n == 1) return ok();
  std::uint64_t k = split_point(n);
  if (m < k) {
    TKM_RETURN_IF_ERROR(inclusion_path(nodes, m, begin, begin + k, out));
    TKM_ASSIGN_OR_RETURN(Digest right, subtree_hash(nodes, begin + k, end));
    out.push_back(right);
  } else {
    TKM_RETURN_IF_ERROR(inclusion_path(nodes, m - k, begin + k, end, out));
    TKM_ASSIGN_OR_RETURN(Digest left, subtree_hash(nodes, begin, begin + k));
    out.push_back(left);
  }
  return ok();
}

Status subproof(const NodeSource& nodes, std::uint64_t m, std::uint64_t begin, std::uint64_t end,
                bool whole, std::vector<Digest>& out) {
  std::uint64_t n = end - begin;
  if (m == n) {
    if (!whole) {
      TKM_ASSIGN_OR_RETURN(Digest h, subtree_hash(nodes, begin, end));
      out.push_back(h);
    }
    return ok();
  }
  std::uint64_t k = split_point(n);
  if (m <= k) {
    TKM_RETURN_IF_ERROR(subproof(nodes, m, begin, begin + k, whole, out));
    TKM_ASSIGN_OR_RETURN(Digest right, subtree_hash(nodes, begin + k, end));
    out.push_back(right);
  } else {
    TKM_RETURN_IF_ERROR(subproof(nodes, m - k, begin + k, end, false, out));
    TKM_ASSIGN_OR_RETURN(Digest left, subtree_hash(nodes, begin, begin + k));
    out.push_back(left);
  }
  return ok();
}

bool lsb(std::uint64_t v) { return (v & 1) != 0; }

}  // namespace

Digest empty_root() { return crypto::sha256(ByteView()); }

Digest node_hash(const Digest& left, const Digest& right) {
  static constexpr std::uint8_t kPrefix = 0x01;
  return crypto::sha256({ByteView(&kPrefix, 1), ByteView(left), ByteView(right)});
}

Result<Digest> subtree_hash(const NodeSource& nodes, std::uint64_t begin, std::uint64_t end) {
  if (end <= begin) return bad_range("empty");
  std::uint64_t n = end - begin;
  if (std::has_single_bit(n)) {
    if (begin % n != 0) return bad_range("unaligned");
    return nodes(std::countr_zero(n), begin / n);
  }
  std::uint64_t k = split_point(n);
  TKM_ASSIGN_OR_RETURN(Digest left, subtree_hash(nodes, begin, begin + k));
  TKM_ASSIGN_OR_RETURN(Digest right, subtree_hash(nodes, begin + k, end));
  return node_hash(left, right);
}

Result<Digest> root(const NodeSource& nodes, std::uint64_t size) {
  if (size == 0) return empty_root();
  return subtree_hash(nodes, 0, size);
}

Result<std::vector<Digest>> inclusion_proof(const NodeSource& nodes, std::uint64_t index,
                                            std::uint64_t size) {
  if (index >= size) return bad_range("entry beyond the tree");
  std::vector<Digest> out;
  TKM_RETURN_IF_ERROR(inclusion_path(nodes, index, 0, size, out));
  return out;
}

Result<std::vector<Digest>> consistency_proof(const NodeSource& nodes, std::uint64_t first,
                                              std::uint64_t second) {
  if (first == 0 || first > second) return bad_range("sizes out of order");
  std::vector<Digest> out;
  TKM_RETURN_IF_ERROR(subproof(nodes, first, 0, second, true, out));
  return out;
}

bool verify_inclusion(const Digest& leaf, std::uint64_t index, std::uint64_t size,
                      std::span<const Digest> proof, const Digest& root) {
  if (index >= size) return false;
  std::uint64_t fn = index;
  std::uint64_t sn = size - 1;
  Digest r = leaf;
  for (const Digest& p : proof) {
    if (sn == 0) return false;
    if (lsb(fn) || fn == sn) {
      r = node_hash(p, r);
      if (!lsb(fn)) {
        while (!lsb(fn) && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      r = node_hash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn == 0 && r == root;
}

bool verify_consistency(std::uint64_t first, std::uint64_t second, const Digest& first_root,
                        const Digest& second_root, std::span<const Digest> proof) {
  if (first == 0 || first > second) return false;
  if (first == second) return proof.empty() && first_root == second_root;
  if (proof.empty()) return false;
  std::vector<Digest> path;
  if (std::has_single_bit(first)) path.push_back(first_root);
  path.insert(path.end(), proof.begin(), proof.end());
  std::uint64_t fn = first - 1;
  std::uint64_t sn = second - 1;
  while (lsb(fn)) {
    fn >>= 1;
    sn >>= 1;
  }
  Digest fr = path[0];
  Digest sr = path[0];
  for (std::size_t i = 1; i < path.size(); ++i) {
    const Digest& c = path[i];
    if (sn == 0) return false;
    if (lsb(fn) || fn == sn) {
      fr = node_hash(c, fr);
      sr = node_hash(c, sr);
      if (!lsb(fn)) {
        while (!lsb(fn) && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      sr = node_hash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return fr == first_root && sr == second_root && sn == 0;
}

Result<Frontier> Frontier::load(const NodeSource& nodes, std::uint64_t size) {
  Frontier f;
  std::uint64_t begin = 0;
  for (int level = 63; level >= 0; --level) {
    std::uint64_t width = std::uint64_t{1} << level;
    if ((size & width) == 0) continue;
    TKM_ASSIGN_OR_RETURN(Digest h, nodes(level, begin >> level));
    f.peaks_.push_back(h);
    begin += width;
  }
  f.size_ = size;
  return f;
}

void Frontier::append(const Digest& leaf, const Sink& added) {
  Digest h = leaf;
  std::uint64_t index = size_;
  int level = 0;
  while ((size_ >> level) & 1) {
    h = node_hash(peaks_.back(), h);
    peaks_.pop_back();
    ++level;
    if (added) added(level, index >> level, h);
  }
  peaks_.push_back(h);
  ++size_;
}

Digest Frontier::root() const {
  if (peaks_.empty()) return empty_root();
  Digest r = peaks_.back();
  for (std::size_t i = peaks_.size() - 1; i-- > 0;) r = node_hash(peaks_[i], r);
  return r;
}

}  // namespace tokumei::audit::merkle
