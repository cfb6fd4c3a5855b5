#include "tokumei/anon/detail/search.h"

#include <algorithm>
#include <bit>
#include <chrono>
#include <optional>
#include <system_error>

#include "tokumei/anon/detail/evaluator.h"
#include "tokumei/anon/detail/lookahead.h"

namespace tokumei::anon::detail {
namespace {

// Looking ahead pays for the hand-over only when the roll-up reads at least this many classes.
constexpr std::size_t kLookaheadClasses = 2048;
// How far down the visiting order the next transformation to look ahead at is sought.
constexpr std::size_t kLookaheadWindow = 32;

class LatticeSearch {
 public:
  LatticeSearch(const Problem& p, const std::function<void(double)>& progress)
      : p_(p), progress_(progress), size_(p.lattice_size), evaluator_(p, floor_levels(p)) {
    bound_.resize(size_);
    height_.resize(size_);
    const std::size_t nq = p_.qis.size();
    // Levels are kept per node when they fit a byte (hierarchies of at most 256 levels).
    if (std::all_of(p_.heights.begin(), p_.heights.end(), [](int h) { return h <= 256; })) {
      levels_.resize(size_ * nq);
    }
    too_rare_.resize(size_);
    // Nodes in index order: the levels count up like an odometer, first quasi-identifier fastest.
    std::vector<int> levels(nq, 0);
    int height = 0;
    for (std::size_t i = 0; i < size_; ++i) {
      bound_[i] = lower_bound(p_, p_.metric.metric, levels);
      height_[i] = height;
      if (!levels_.empty()) {
        for (std::size_t q = 0; q < nq; ++q)
          levels_[i * nq + q] = static_cast<std::uint8_t>(levels[q]);
      }
      too_rare_[i] = least_outliers(p_, levels) > p_.max_outliers;
      for (std::size_t q = 0; q < levels.size(); ++q) {
        if (++levels[q] < p_.heights[q]) {
          ++height;
          break;
        }
        height -= levels[q] - 1;
        levels[q] = 0;
      }
    }
    fails_.assign(size_, 0);
    satisfies_.assign(size_, 0);
    evaluated_.assign(size_, 0);
    monotone_fails_.assign(size_, 0);
    monotone_passes_.assign(size_, 0);
    // Probing a chain pays only when failures say something about finer transformations.
    probe_ = p_.monotonic || p_.min_class_size > 1;
    // With nothing suppressible, or for the entropy metric, a satisfying transformation's loss
    // is its lower bound: it needs no classes.
    loss_is_bound_ = p_.metric.metric == Metric::entropy ||
                     (p_.max_outliers == 0 &&
                      (p_.metric.metric == Metric::loss || p_.metric.metric == Metric::precision));
    for (const auto& q : p_.qis) {
      result_.max_levels.push_back(q.hierarchy.height - 1);
    }
    result_.suppression_limit_rows = p_.max_outliers;
    result_.statistics.lattice_size = size_;
  }

  Anonymization run() {
    // Ties prefer fewer generalization steps, as ARX does, then the earlier node. Compared as
    // integers: the bound's bits in an order-preserving form, then height and node.
    struct Entry {
      std::uint64_t bound;
      std::uint64_t height_node;
      bool operator<(const Entry& o) const {
        return bound != o.bound ? bound < o.bound : height_node < o.height_node;
      }
    };
    std::vector<Entry> entries(size_);
    for (std::uint32_t i = 0; i < size_; ++i) {
      const auto bits = std::bit_cast<std::uint64_t>(bound_[i]);
      const std::uint64_t sign = std::uint64_t{1} << 63;
      entries[i] = {(bits & sign) ? ~bits : bits | sign,
                    (static_cast<std::uint64_t>(height_[i]) << 32) | i};
    }
    std::sort(entries.begin(), entries.end());
    order_.resize(size_);
    for (std::size_t i = 0; i < size_; ++i)
      order_[i] = static_cast<std::uint32_t>(entries[i].height_node);
    auto last_progress = std::chrono::steady_clock::now();
    std::size_t visited = 0;
    for (position_ = 0; position_ < size_; ++position_) {
      const std::uint32_t node = order_[position_];
      if (have_best_ && bound_[node] > result_.best.information_loss) break;
      if (progress_ && (++visited & 255) == 0) {
        auto now = std::chrono::steady_clock::now();
        if (now - last_progress > std::chrono::milliseconds(200)) {
          progress_(static_cast<double>(visited) / static_cast<double>(size_));
          last_progress = now;
        }
      }
      if (fails_[node] || evaluated_[node]) continue;
      if (satisfies_[node] && loss_is_bound_) {
        consider(node, bound_[node], 0);
        continue;
      }
      evaluate(node);
      if (probe_ && monotone_fails_[node]) probe_above(node);
    }
    stop_looking_ahead();
    if (!have_best_) {
      // Nothing satisfies the model. The closest candidate is the transformation that suppresses
      // the fewest rows, which may be one the search settled without computing its classes (by
      // its rare values or below a failure): compute the rest now — this is the unhappy path.
      for (std::size_t node = 0; node < size_; ++node) {
        if (!evaluated_[node]) evaluate(node, /*allow_shortcut=*/false);
      }
    }
    // The release and the report need the best transformation's classes: roll them up once more
    // from the finest snapshot kept, while the snapshots are still here.
    result_.classes = std::make_shared<const JudgedClasses>(evaluator_.judge(result_.best.levels));
    result_.found = have_best_;
    result_.statistics.pruned = size_ - result_.statistics.evaluated;
    result_.statistics.classes_rolled_up = evaluator_.classes_rolled_up();
    return std::move(result_);
  }

 private:
  // Computes the node's classes (unless its rare values alone rule it out) and records what
  // they show, with the inferences monotonicity allows.
  void evaluate(std::size_t node, bool allow_shortcut = true) {
    auto levels = p_.node_levels(node);
    if (allow_shortcut && too_rare_[node]) {
      mark_monotone_failure(node);
      return;
    }
    ++result_.statistics.evaluated;
    evaluated_[node] = 1;
    Assessment a;
    if (node == ahead_) {
      a = evaluator_.accept(lookahead_->wait());
      ahead_ = kNone;
    } else {
      look_ahead(node);
      a = evaluator_.evaluate(levels);
    }
    if (a.satisfies) {
      satisfies_[node] = 1;
      consider(node, a.information_loss, a.outliers);
      if (p_.monotonic)
        mark_satisfies_above(node);
      else
        mark_monotone_pass_above(node);
      return;
    }
    fails_[node] = 1;
    if (!have_best_ && (!have_closest_ || a.outliers < result_.best.suppressed_rows)) {
      result_.best = {.levels = levels, .satisfies = false, .suppressed_rows = a.outliers};
      have_closest_ = true;
    }
    if (p_.monotonic || a.min_size_fails) {
      mark_monotone_failure(node);
    } else {
      mark_monotone_pass_above(node);
    }
  }

  // Whether the search still has to compute the node's classes (as far as it knows now).
  bool needs_evaluation(std::size_t node) const {
    if (fails_[node] || evaluated_[node] || (satisfies_[node] && loss_is_bound_)) return false;
    if (have_best_ && bound_[node] > result_.best.information_loss) return false;
    return !too_rare_[node];
  }

  // With a second thread: starts evaluating, on it, the next transformation down the visiting
  // order that still needs it, while this thread evaluates `current`. Its result is taken when
  // the search reaches it, and dropped if by then the search has settled it otherwise, so the
  // search decides exactly as it does alone. At most one is ahead at a time.
  void look_ahead(std::size_t current) {
    if (p_.threads < 2 || stopped_looking_ahead_) return;
    if (ahead_ != kNone) {
      if (needs_evaluation(ahead_)) return;
      lookahead_->wait();
      ahead_ = kNone;
    }
    const std::size_t end = std::min(size_, position_ + 1 + kLookaheadWindow);
    for (std::size_t i = position_ + 1; i < end; ++i) {
      const std::size_t node = order_[i];
      if (node == current || !needs_evaluation(node)) continue;
      std::optional<Evaluation> e = evaluator_.plan(p_.node_levels(node));
      if (!e || e->source.table->size() < kLookaheadClasses) return;
      if (!lookahead_) {
        try {
          lookahead_.emplace(p_);
        } catch (const std::system_error&) {
          stopped_looking_ahead_ = true;  // no thread to be had: go on alone
          return;
        }
      }
      lookahead_->start(std::move(*e));
      ahead_ = node;
      return;
    }
  }

  void stop_looking_ahead() {
    if (ahead_ != kNone) lookahead_->wait();
    ahead_ = kNone;
    lookahead_.reset();
    stopped_looking_ahead_ = true;
  }

  // A satisfying node: the new best when its loss is lower (ties: fewer generalization steps).
  void consider(std::size_t node, double loss, std::size_t outliers) {
    bool better = !have_best_ || loss < result_.best.information_loss ||
                  (loss == result_.best.information_loss && height_[node] < best_height_);
    if (!better) return;
    result_.best = {.levels = p_.node_levels(node),
                    .satisfies = true,
                    .suppressed_rows = outliers,
                    .information_loss = loss};
    best_height_ = height_[node];
    have_best_ = true;
  }

  // Walks up from a monotonically failing node along its cheapest successors and binary-searches
  // that chain for its highest failing node, whose finer transformations all fail with it.
  void probe_above(std::size_t node) {
    std::vector<std::size_t> chain;
    std::size_t current = node;
    while (true) {
      std::size_t next = size_;
      for (std::size_t q = 0; q < p_.heights.size(); ++q) {
        if (level(current, q) + 1 >= p_.heights[q]) continue;
        std::size_t s = current + p_.radix[q];
        if (next == size_ || bound_[s] < bound_[next]) next = s;
      }
      if (next == size_ || monotone_passes_[next]) break;
      chain.push_back(next);
      current = next;
    }
    std::ptrdiff_t lo = -1, hi = static_cast<std::ptrdiff_t>(chain.size());
    while (hi - lo > 1) {
      std::ptrdiff_t mid = (lo + hi) / 2;
      std::size_t n = chain[static_cast<std::size_t>(mid)];
      if (!monotone_fails_[n] && !monotone_passes_[n]) evaluate(n);
      if (monotone_fails_[n])
        lo = mid;
      else
        hi = mid;
    }
  }

  template <class Visit>
  void walk(std::size_t node, int direction, std::vector<std::uint8_t>& mark, Visit visit) {
    stack_.clear();
    stack_.push_back(node);
    while (!stack_.empty()) {
      std::size_t n = stack_.back();
      stack_.pop_back();
      for (std::size_t q = 0; q < p_.heights.size(); ++q) {
        const int level = this->level(n, q);
        if (direction < 0 ? level == 0 : level + 1 == p_.heights[q]) continue;
        std::size_t m = direction < 0 ? n - p_.radix[q] : n + p_.radix[q];
        if (mark[m]) continue;
        mark[m] = 1;
        visit(m);
        stack_.push_back(m);
      }
    }
  }

  int level(std::size_t node, std::size_t q) const {
    if (levels_.empty()) return static_cast<int>((node / p_.radix[q]) % p_.heights[q]);
    return levels_[node * p_.heights.size() + q];
  }

  // The node and every finer transformation fail.
  void mark_monotone_failure(std::size_t node) {
    fails_[node] = 1;
    if (monotone_fails_[node]) return;
    monotone_fails_[node] = 1;
    walk(node, -1, monotone_fails_, [&](std::size_t m) { fails_[m] = 1; });
  }
  // The node and every coarser transformation satisfy the model.
  void mark_satisfies_above(std::size_t node) {
    mark_monotone_pass_above(node);
    walk(node, +1, satisfies_, [](std::size_t) {});
  }
  // The monotone part of the model (class sizes) holds here and above.
  void mark_monotone_pass_above(std::size_t node) {
    if (monotone_passes_[node]) return;
    monotone_passes_[node] = 1;
    walk(node, +1, monotone_passes_, [](std::size_t) {});
  }

  static constexpr std::size_t kNone = ~std::size_t{0};

  const Problem& p_;
  const std::function<void(double)>& progress_;
  std::size_t size_;
  Evaluator evaluator_;
  std::vector<std::uint32_t> order_;  // the visiting order
  std::size_t position_ = 0;          // of the node the search is at, in order_
  std::optional<Lookahead> lookahead_;
  std::size_t ahead_ = kNone;  // the node being evaluated by lookahead_
  bool stopped_looking_ahead_ = false;
  std::vector<double> bound_;
  std::vector<int> height_;
  std::vector<std::uint8_t> levels_;    // per node, its level of each quasi-identifier
  std::vector<std::uint8_t> too_rare_;  // ruled out by least_outliers() alone
  std::vector<std::uint8_t> fails_, satisfies_, evaluated_, monotone_fails_, monotone_passes_;
  std::vector<std::size_t> stack_;
  bool probe_ = false, loss_is_bound_ = false;
  bool have_best_ = false, have_closest_ = false;
  int best_height_ = 0;
  Anonymization result_;
};

}  // namespace

Anonymization search(const Problem& p, const std::function<void(double)>& progress) {
  return LatticeSearch(p, progress).run();
}

}  // namespace tokumei::anon::detail
