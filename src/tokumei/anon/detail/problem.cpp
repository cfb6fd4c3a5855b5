#include "tokumei/anon/detail/problem.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <future>
#include <map>
#include <thread>

namespace tokumei::anon::detail {
namespace {

// ARX rounds every per-attribute loss down to 10 decimal places before aggregating.
double arx_round(double x) { return std::floor(x * 1e10) / 1e10; }

std::unexpected<Error> spec_error(std::string field, std::string ja, std::string en) {
  return fail(Errc::invalid_input, {std::move(ja), std::move(en)},
              Location{.field = std::move(field)});
}

void precompute_quasi_identifier(QuasiIdentifier& q, const Column& column,
                                 std::size_t min_class_size, double g_factor) {
  const BoundHierarchy& h = q.hierarchy;
  const int height = h.height;
  q.up.assign(height, {});
  for (int from = 0; from < height; ++from) {
    q.up[from].assign(height, {});
    for (int to = from; to < height; ++to) {
      q.up[from][to].assign(h.groups(from), 0);
      for (std::size_t code = 0; code < h.group[0].size(); ++code) {
        q.up[from][to][h.group[from][code]] = h.group[to][code];
      }
    }
  }
  const std::vector<std::uint32_t> value_rows = column.value_counts();
  q.rows.assign(height, {});
  q.loss_sum.assign(height, 0);
  q.entropy.assign(height, 0);
  q.rare_rows.assign(height, 0);
  for (int l = 0; l < height; ++l) {
    q.rows[l].assign(h.groups(l), 0);
    for (std::size_t code = 0; code < value_rows.size(); ++code) {
      q.rows[l][h.group[l][code]] += value_rows[code];
    }
    for (std::size_t id = 0; id < h.groups(l); ++id) {
      // Loss: the group's share of the hierarchy's leaves, for each of its rows.
      const double share = static_cast<double>(h.leaves[l][id]) / h.domain_size;
      q.loss_sum[l] += q.rows[l][id] * share;
      if (q.rows[l][id] < min_class_size) q.rare_rows[l] += q.rows[l][id];
    }
    // Non-uniform entropy, as ARX computes it: Σ over original values v with a rows of
    // a · log2(a / rows of v's group), negated, over all rows whether suppressed or not.
    double raw = 0;
    for (std::size_t code = 0; code < value_rows.size(); ++code) {
      double a = value_rows[code];
      if (a == 0) continue;
      raw += a * (std::log(a / q.rows[l][h.group[l][code]]) / std::log(2.0));
    }
    raw *= g_factor;
    q.entropy[l] = arx_round(raw == 0 ? 0 : -raw);
  }
}

// The attribute's factor in ARX's geometric mean for a summed share `res`:
// ((res − min) / (rows − min), floored to 10 decimals, + 1) ^ (1 / attributes).
double loss_factor(const Problem& p, const QuasiIdentifier& q, double res) {
  const double n = static_cast<double>(p.rows);
  const double min = p.g_factor * n / q.hierarchy.domain_size;
  const double v = n == min ? 0 : std::max(0.0, (res - min) / (n - min));
  return std::pow(arx_round(v) + 1, 1 / static_cast<double>(p.qis.size()));
}

}  // namespace

std::vector<int> Problem::node_levels(std::size_t index) const {
  std::vector<int> levels(heights.size());
  for (std::size_t q = 0; q < heights.size(); ++q) {
    levels[q] = static_cast<int>((index / radix[q]) % heights[q]);
  }
  return levels;
}

Result<Problem> prepare(const Table& table, const AnonymizationSpec& spec) {
  Problem p;
  p.table = &table;
  p.rows = table.row_count();
  const PrivacyModel& model = spec.model;

  // Roles: every column exactly once, no unknown columns.
  std::vector<const AttributeSpec*> role_of(table.column_count(), nullptr);
  for (const auto& a : spec.attributes) {
    int c = table.find_column(a.column);
    if (c < 0) {
      std::string names;
      for (std::size_t i = 0; i < table.column_count(); ++i) {
        names += (i ? ", " : "") + table.column(i).name;
      }
      return spec_error(
          a.column, fmt::format("列「{}」は表にありません (表の列: {})", a.column, names),
          fmt::format("column \"{}\" is not in the table (its columns: {})", a.column, names));
    }
    if (role_of[c] != nullptr) {
      return spec_error(a.column, fmt::format("列「{}」の役割が二度指定されています", a.column),
                        fmt::format("column \"{}\" is given a role twice", a.column));
    }
    role_of[c] = &a;
  }
  for (std::size_t c = 0; c < table.column_count(); ++c) {
    if (role_of[c] == nullptr) {
      const std::string& name = table.column(c).name;
      return spec_error(
          name,
          fmt::format("列「{}」の役割 (identifying / quasi_identifying / sensitive / insensitive) "
                      "が指定されていません",
                      name),
          fmt::format("column \"{}\" has no role (identifying, quasi_identifying, sensitive or "
                      "insensitive)",
                      name));
    }
    p.roles.push_back(role_of[c]->role);
  }

  // Thresholds.
  auto out_of_range = [](std::string field, double v, const char* range) {
    return spec_error(std::move(field), fmt::format("値 {} は範囲 {} の外です", v, range),
                      fmt::format("value {} is outside {}", v, range));
  };
  if (!(model.suppression_limit >= 0 && model.suppression_limit <= 1)) {
    return out_of_range("suppression_limit", model.suppression_limit, "0〜1 / 0-1");
  }
  if (model.highest_risk != 0 && !(model.highest_risk > 0 && model.highest_risk <= 1)) {
    return out_of_range("highest_risk", model.highest_risk, "(0, 1]");
  }
  if (model.average_risk != 0 && !(model.average_risk > 0 && model.average_risk <= 1)) {
    return out_of_range("average_risk", model.average_risk, "(0, 1]");
  }
  if (model.k < 0) return out_of_range("k", model.k, ">= 0");
  if (static_cast<std::size_t>(model.k) > p.rows) {
    return spec_error(
        "k",
        fmt::format("k = {} が表の行数 {} より大きいため、k-匿名性は満たせません", model.k, p.rows),
        fmt::format("k = {} is larger than the table's {} rows; k-anonymity cannot "
                    "hold",
                    model.k, p.rows));
  }
  if (p.rows == 0) {
    return spec_error("", "表に行がありません (見出し行だけです)",
                      "the table has no rows (only a header)");
  }
  if (spec.metric.gs_factor < 0 || spec.metric.gs_factor > 1) {
    return out_of_range("gs_factor", spec.metric.gs_factor, "0〜1 / 0-1");
  }
  if (spec.threads < 0) return out_of_range("threads", spec.threads, ">= 0");
  p.threads = spec.threads > 0 ? spec.threads
                               : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  const double gs = spec.metric.gs_factor;
  p.g_factor = gs <= 0.5 ? 1 : 1 - 2 * (gs - 0.5);
  p.s_factor = gs < 0.5 ? 2 * gs : 1;
  p.metric = spec.metric;
  p.min_class_size = std::max<std::size_t>(1, static_cast<std::size_t>(model.k));
  if (model.highest_risk > 0) {
    p.min_class_size = std::max(
        p.min_class_size, static_cast<std::size_t>(std::ceil(1 / model.highest_risk - 1e-12)));
  }

  // Sensitive attributes named by criteria.
  std::map<int, std::size_t> sensitive_index;
  auto sensitive = [&](const std::string& name, const char* criterion,
                       bool needs_hierarchy) -> Result<std::size_t> {
    int c = table.find_column(name);
    if (c < 0 || role_of[c]->role != AttributeRole::sensitive) {
      return spec_error(
          name,
          fmt::format("{} の対象「{}」は sensitive (機微属性) の列ではありません", criterion, name),
          fmt::format("{} applies to \"{}\", which is not a sensitive column", criterion, name));
    }
    auto [it, inserted] = sensitive_index.try_emplace(c, p.sensitive.size());
    if (inserted) {
      SensitiveAttribute s;
      s.column = c;
      s.rows = table.column(c).value_counts();
      p.sensitive.push_back(std::move(s));
    }
    SensitiveAttribute& s = p.sensitive[it->second];
    if (needs_hierarchy && s.parent.empty()) {
      if (!role_of[c]->hierarchy) {
        return spec_error(
            name, fmt::format("階層距離の t-近似性には「{}」の一般化階層が必要です", name),
            fmt::format("hierarchical t-closeness needs a hierarchy for \"{}\"", name));
      }
      TKM_ASSIGN_OR_RETURN(BoundHierarchy b, bind(*role_of[c]->hierarchy, table.column(c)));
      // Distances are levels at which values meet: every pair must meet, at a single root.
      if (b.groups(b.height - 1) != 1) {
        return spec_error(
            name,
            fmt::format("階層距離の t-近似性には、最上段が一つの値 (例: *) になる「{}」"
                        "の一般化階層が必要です",
                        name),
            fmt::format("hierarchical t-closeness needs a hierarchy for \"{}\" whose "
                        "top level is a single value (such as *)",
                        name));
      }
      for (int l = 0; l < b.height; ++l) s.groups.push_back(b.groups(l));
      for (int l = 0; l + 1 < b.height; ++l) {
        std::vector<std::uint32_t> parent(b.groups(l));
        for (std::size_t code = 0; code < b.group[0].size(); ++code) {
          parent[b.group[l][code]] = b.group[l + 1][code];
        }
        s.parent.push_back(std::move(parent));
      }
    }
    return it->second;
  };
  for (const auto& l : model.l_diversity) {
    TKM_ASSIGN_OR_RETURN(std::size_t s, sensitive(l.attribute, "ℓ-diversity", false));
    if (!(l.l >= 1) || l.l > static_cast<double>(p.rows)) {
      return out_of_range("l_diversity.l", l.l, "1〜rows");
    }
    ClassCriterion c{.kind = ClassCriterion::Kind::distinct, .sensitive = s, .l = l.l, .c = l.c};
    if (l.variant == LDiversity::Variant::entropy) c.kind = ClassCriterion::Kind::entropy;
    if (l.variant == LDiversity::Variant::recursive) {
      c.kind = ClassCriterion::Kind::recursive;
      if (!(l.c > 0)) return out_of_range("l_diversity.c", l.c, "> 0");
    }
    p.min_class_size = std::max(p.min_class_size, static_cast<std::size_t>(std::ceil(l.l)));
    // Entropy and recursive ℓ-diversity are not monotonic once classes can be suppressed.
    if (c.kind != ClassCriterion::Kind::distinct && model.suppression_limit > 0) {
      p.monotonic = false;
    }
    p.criteria.push_back(c);
  }
  for (const auto& t : model.t_closeness) {
    bool hierarchical = t.distance == TCloseness::Distance::hierarchical;
    TKM_ASSIGN_OR_RETURN(std::size_t s, sensitive(t.attribute, "t-closeness", hierarchical));
    if (!(t.t >= 0 && t.t <= 1)) return out_of_range("t_closeness.t", t.t, "0〜1 / 0-1");
    p.criteria.push_back({.kind = hierarchical ? ClassCriterion::Kind::t_hierarchical
                                               : ClassCriterion::Kind::t_equal,
                          .sensitive = s,
                          .t = t.t});
    p.monotonic = false;
  }
  if (model.average_risk > 0) {
    p.average_risk = model.average_risk;
    p.monotonic = false;
  }
  p.max_outliers = static_cast<std::size_t>(std::floor(model.suppression_limit * p.rows + 1e-9));
  if (p.sensitive.size() == 1 &&
      std::all_of(p.criteria.begin(), p.criteria.end(), [](const ClassCriterion& c) {
        return c.kind == ClassCriterion::Kind::distinct;
      })) {
    for (const auto& c : p.criteria) p.distinct_l = std::max(p.distinct_l, c.l);
    p.sensitive_masks = p.sensitive[0].rows.size() <= 64;
  }

  // Quasi-identifiers, in table order (ARX's order).
  for (std::size_t c = 0; c < table.column_count(); ++c) {
    const AttributeSpec& a = *role_of[c];
    if (a.role != AttributeRole::quasi_identifying) continue;
    if (!a.hierarchy) {
      return spec_error(a.column, fmt::format("準識別子「{}」に一般化階層がありません", a.column),
                        fmt::format("quasi-identifier \"{}\" has no hierarchy", a.column));
    }
    QuasiIdentifier q;
    q.column = static_cast<int>(c);
    TKM_ASSIGN_OR_RETURN(q.hierarchy, bind(*a.hierarchy, table.column(c)));
    precompute_quasi_identifier(q, table.column(c), p.min_class_size, p.g_factor);
    p.qis.push_back(std::move(q));
  }
  for (auto& q : p.qis) {
    for (double sum : q.loss_sum) {
      q.loss_factor.push_back(loss_factor(p, q, p.g_factor * sum));
    }
  }
  if (p.qis.empty()) {
    return spec_error("", "準識別子 (quasi_identifying) の列が一つもありません",
                      "there is no quasi-identifying column");
  }

  // Key layout.
  int shift = 0;
  for (const auto& q : p.qis) {
    int w = bits_for(q.hierarchy.groups(0));
    p.layout.shift.push_back(shift);
    p.layout.width.push_back(w);
    shift += w;
  }
  p.qi_mask = shift >= 64 ? ~0ull : (std::uint64_t{1} << shift) - 1;
  for (const auto& s : p.sensitive) {
    if (p.sensitive_masks) break;
    int w = bits_for(s.rows.size());
    p.layout.shift.push_back(shift);
    p.layout.width.push_back(w);
    shift += w;
  }
  if (shift > 63) {
    return spec_error(
        "", fmt::format("準識別子と機微属性の値の組合せが多すぎます ({} ビット、上限 63)", shift),
        fmt::format("too many combinations of quasi-identifier and sensitive "
                    "values ({} bits, at most 63)",
                    shift));
  }

  // Lattice.
  for (const auto& q : p.qis) {
    p.radix.push_back(p.lattice_size);
    p.heights.push_back(q.hierarchy.height);
    p.lattice_size *= static_cast<std::size_t>(q.hierarchy.height);
  }
  return p;
}

Result<std::shared_ptr<const Problem>> prepared_for(const Table& table,
                                                    const AnonymizationSpec& spec,
                                                    const Anonymization& result) {
  if (result.prepared != nullptr && result.prepared->table == &table) return result.prepared;
  TKM_ASSIGN_OR_RETURN(Problem fresh, prepare(table, spec));
  return std::make_shared<const Problem>(std::move(fresh));
}

double lower_bound(const Problem& p, Metric metric, const std::vector<int>& levels) {
  const double n = static_cast<double>(p.rows);
  switch (metric) {
    case Metric::loss: {
      double aggregate = 1;
      for (std::size_t q = 0; q < p.qis.size(); ++q) aggregate *= p.qis[q].loss_factor[levels[q]];
      return aggregate - 1;
    }
    case Metric::entropy: {
      double sum = 0;
      for (std::size_t q = 0; q < p.qis.size(); ++q) sum += p.qis[q].entropy[levels[q]];
      return sum;
    }
    case Metric::precision: {
      double sum = 0;
      for (std::size_t q = 0; q < p.qis.size(); ++q) {
        if (p.heights[q] > 1) sum += static_cast<double>(levels[q]) / (p.heights[q] - 1);
      }
      return sum / static_cast<double>(p.qis.size());
    }
    case Metric::discernibility:
      return n;
    case Metric::average_class_size:
      return 1;
  }
  return 0;
}

std::size_t least_outliers(const Problem& p, const std::vector<int>& levels) {
  std::size_t most = 0;
  for (std::size_t q = 0; q < p.qis.size(); ++q)
    most = std::max(most, p.qis[q].rare_rows[levels[q]]);
  return most;
}

Status check_levels(const Problem& p, const std::vector<int>& levels) {
  if (levels.size() != p.qis.size()) {
    return fail(
        Errc::invalid_argument,
        {fmt::format("段の数 {} が準識別子の数 {} と合いません", levels.size(), p.qis.size()),
         fmt::format("{} levels given for {} quasi-identifiers", levels.size(), p.qis.size())});
  }
  for (std::size_t q = 0; q < levels.size(); ++q) {
    if (levels[q] < 0 || levels[q] >= p.heights[q]) {
      const std::string& name = p.table->column(p.qis[q].column).name;
      return fail(
          Errc::invalid_argument,
          {fmt::format("「{}」の段 {} は 0〜{} の範囲外です", name, levels[q], p.heights[q] - 1),
           fmt::format("level {} of \"{}\" is outside 0-{}", levels[q], name, p.heights[q] - 1)},
          Location{.field = name});
    }
  }
  return ok();
}

std::vector<int> floor_levels(const Problem& p) {
  std::vector<int> levels(p.qis.size(), 0);
  for (std::size_t q = 0; q < p.qis.size(); ++q) {
    while (levels[q] + 1 < p.heights[q] && p.qis[q].rare_rows[levels[q]] > p.max_outliers) {
      ++levels[q];
    }
  }
  return levels;
}

std::size_t key_space(const Problem& p, const std::vector<int>& levels, bool with_sensitive) {
  constexpr std::size_t kCap = std::size_t{1} << 40;
  std::size_t space = 1;
  for (std::size_t q = 0; q < p.qis.size(); ++q) {
    space = std::min(kCap, space * p.qis[q].hierarchy.groups(levels[q]));
  }
  if (with_sensitive && !p.sensitive_masks) {
    for (const auto& s : p.sensitive) space = std::min(kCap, space * s.rows.size());
  }
  return space;
}

namespace {

// Inputs from which splitting a grouping across threads pays for starting them.
constexpr std::size_t kParallelEntries = std::size_t{1} << 16;

// Groups entries [0, n) with add_range(begin, end, grouper). A large input is split into up to
// p.threads consecutive parts grouped at once, each by a grouper of its own, and the parts are
// absorbed in order afterwards: keys, counts, masks and their order come out exactly as from one
// thread.
template <class AddRange>
void group_in_parts(const Problem& p, std::size_t n, std::size_t estimate, Grouper& grouper,
                    const AddRange& add_range) {
  const std::size_t parts =
      std::clamp<std::size_t>(n / kParallelEntries, 1, static_cast<std::size_t>(p.threads));
  grouper.reset(estimate / parts);
  if (parts == 1) {
    add_range(0, n, grouper);
    return;
  }
  std::vector<Grouper>& others = grouper.parts(parts - 1);
  std::vector<std::future<void>> running;
  for (std::size_t i = 1; i < parts; ++i) {
    others[i - 1].reset(estimate / parts);
    running.push_back(std::async(std::launch::async, [&, i] {
      add_range(n * i / parts, n * (i + 1) / parts, others[i - 1]);
    }));
  }
  add_range(0, n / parts, grouper);
  for (std::size_t i = 1; i < parts; ++i) {
    running[i - 1].get();
    grouper.absorb(others[i - 1]);
  }
}

}  // namespace

RowKeys::RowKeys(const Problem& p, const std::vector<int>& levels, bool with_sensitive) {
  const Table& t = *p.table;
  for (std::size_t q = 0; q < p.qis.size(); ++q) {
    fields_.push_back({&t.column(p.qis[q].column).codes, p.qis[q].hierarchy.group[levels[q]].data(),
                       p.layout.shift[q]});
  }
  if (!with_sensitive || p.sensitive_masks) return;
  for (std::size_t s = 0; s < p.sensitive.size(); ++s) {
    fields_.push_back(
        {&t.column(p.sensitive[s].column).codes, nullptr, p.layout.shift[p.qis.size() + s]});
  }
}

void RowKeys::compute(std::size_t begin, std::size_t end, std::uint64_t* keys) const {
  const std::size_t n = end - begin;
  std::fill(keys, keys + n, 0);
  for (const Field& f : fields_) {
    f.codes->visit([&](const auto* codes) {
      codes += begin;
      if (f.group == nullptr) {
        for (std::size_t i = 0; i < n; ++i) keys[i] |= std::uint64_t{codes[i]} << f.shift;
      } else {
        for (std::size_t i = 0; i < n; ++i) keys[i] |= std::uint64_t{f.group[codes[i]]} << f.shift;
      }
    });
  }
}

void group_rows(const Problem& p, const std::vector<int>& levels, Grouper& grouper,
                GroupTable& out) {
  const RowKeys row_keys(p, levels, true);
  const Codes* values = p.sensitive_masks ? &p.table->column(p.sensitive[0].column).codes : nullptr;
  group_in_parts(p, p.rows, std::min(p.rows, key_space(p, levels, true)), grouper,
                 [&](std::size_t begin, std::size_t end, Grouper& g) {
                   std::uint64_t keys[RowKeys::kBlock];
                   for (std::size_t b = begin; b < end; b += RowKeys::kBlock) {
                     const std::size_t e = std::min(end, b + RowKeys::kBlock);
                     row_keys.compute(b, e, keys);
                     if (values == nullptr) {
                       for (std::size_t i = 0; i < e - b; ++i) g.add(keys[i], 1);
                       continue;
                     }
                     values->visit([&](const auto* codes) {
                       for (std::size_t i = 0; i < e - b; ++i) {
                         g.add(keys[i], 1, std::uint64_t{1} << codes[b + i]);
                       }
                     });
                   }
                 });
  grouper.take(out);
}

void roll_up(const Problem& p, const GroupTable& from_table, const std::vector<int>& from,
             const std::vector<int>& to, Grouper& grouper, GroupTable& out) {
  std::uint64_t keep = ~p.qi_mask;
  struct Change {
    int shift;
    std::uint64_t mask;
    std::vector<std::uint64_t> shifted;  // new field value, already shifted, per old value
  };
  std::vector<Change> changes;
  for (std::size_t q = 0; q < p.qis.size(); ++q) {
    if (from[q] == to[q]) {
      keep |= p.layout.mask(q) << p.layout.shift[q];
      continue;
    }
    Change c{p.layout.shift[q], p.layout.mask(q), {}};
    for (std::uint32_t id : p.qis[q].up[from[q]][to[q]]) {
      c.shifted.push_back(std::uint64_t{id} << c.shift);
    }
    changes.push_back(std::move(c));
  }
  const std::size_t n = from_table.size();
  const std::uint64_t* keys = from_table.keys.data();
  const std::uint32_t* counts = from_table.counts.data();
  auto rolled = [&](std::size_t i) {
    std::uint64_t key = keys[i];
    std::uint64_t next = key & keep;
    for (const Change& c : changes) next |= c.shifted[(key >> c.shift) & c.mask];
    return next;
  };
  grouper.reset(std::min(n, key_space(p, to, true)));
  if (from_table.masks.empty()) {
    for (std::size_t i = 0; i < n; ++i) grouper.add(rolled(i), counts[i]);
  } else {
    const std::uint64_t* masks = from_table.masks.data();
    for (std::size_t i = 0; i < n; ++i) grouper.add(rolled(i), counts[i], masks[i]);
  }
  grouper.take(out);
}

namespace {

// True when the class whose entries are entries[begin, end) satisfies criterion `c`.
bool class_satisfies(const Problem& p, const ClassCriterion& c, const GroupTable& table,
                     const std::uint32_t* entries, std::size_t count, std::uint32_t class_size,
                     AssessScratch& s) {
  const std::size_t field = p.qis.size() + c.sensitive;
  const SensitiveAttribute& attr = p.sensitive[c.sensitive];
  if (s.histogram.size() < attr.rows.size()) s.histogram.resize(attr.rows.size(), 0);
  s.touched.clear();
  for (std::size_t i = 0; i < count; ++i) {
    std::uint32_t v = p.layout.field(table.keys[entries[i]], field);
    if (s.histogram[v] == 0) s.touched.push_back(v);
    s.histogram[v] += table.counts[entries[i]];
  }
  const double size = class_size;
  // Sums of floating-point terms run over the values in code order, not in the order the class's
  // entries happen to be in (which depends on the classes they were rolled up from), so that the
  // verdict is the same whatever that order.
  if (c.kind == ClassCriterion::Kind::entropy || c.kind == ClassCriterion::Kind::t_equal) {
    std::sort(s.touched.begin(), s.touched.end());
  }
  bool ok = true;
  switch (c.kind) {
    case ClassCriterion::Kind::distinct:
      ok = static_cast<double>(s.touched.size()) >= c.l;
      break;
    case ClassCriterion::Kind::entropy: {
      if (static_cast<double>(s.touched.size()) < std::ceil(c.l)) {
        ok = false;
        break;
      }
      double sum = 0;
      for (auto v : s.touched)
        sum += s.histogram[v] * std::log(static_cast<double>(s.histogram[v]));
      ok = sum <= size * (std::log(size) - std::log(c.l));
      break;
    }
    case ClassCriterion::Kind::recursive: {
      const std::size_t l = static_cast<std::size_t>(c.l);
      if (s.touched.size() < l) {
        ok = false;
        break;
      }
      auto& f = s.frequencies;
      f.clear();
      for (auto v : s.touched) f.push_back(s.histogram[v]);
      std::sort(f.begin(), f.end());
      double tail = 0;
      for (std::size_t i = 0; i + l <= f.size(); ++i) tail += f[i];
      ok = f.back() < c.c * tail;
      break;
    }
    case ClassCriterion::Kind::t_equal: {
      const double n = static_cast<double>(p.rows);
      double sum = 0;
      for (auto v : s.touched) {
        double q = attr.rows[v] / n;
        sum += std::fabs(q - s.histogram[v] / size) - q;
      }
      ok = 0.5 * (1 + sum) <= c.t;
      break;
    }
    case ClassCriterion::Kind::t_hierarchical: {
      // Earth Mover's Distance over the hierarchy: every value's surplus or deficit
      // (P_v·|Q| − Q_v·|P|, in integers) moves up the tree; at each inner node the part that
      // cancels costs (level / height).
      const std::int64_t all = static_cast<std::int64_t>(p.rows);
      const std::size_t height = attr.parent.size();  // inner levels 1..height
      s.extra.assign(attr.rows.size(), 0);
      for (std::size_t v = 0; v < attr.rows.size(); ++v) {
        s.extra[v] = static_cast<std::int64_t>(attr.rows[v]) * class_size -
                     static_cast<std::int64_t>(s.histogram[v]) * all;
      }
      double cost = 0;
      auto& pos = s.surplus;
      auto& neg = s.deficit;
      for (std::size_t level = 1; level <= height; ++level) {
        pos.assign(attr.groups[level], 0);
        neg.assign(attr.groups[level], 0);
        const auto& parent = attr.parent[level - 1];
        for (std::size_t id = 0; id < s.extra.size(); ++id) {
          std::int64_t e = s.extra[id];
          (e > 0 ? pos[parent[id]] : neg[parent[id]]) += e > 0 ? e : -e;
        }
        s.extra.assign(attr.groups[level], 0);
        for (std::size_t id = 0; id < pos.size(); ++id) {
          cost += static_cast<double>(level) / height * std::min(pos[id], neg[id]);
          s.extra[id] = pos[id] - neg[id];
        }
      }
      ok = cost / (static_cast<double>(all) * size) <= c.t;
      break;
    }
  }
  for (auto v : s.touched) s.histogram[v] = 0;
  return ok;
}

}  // namespace

Assessment assess(const Problem& p, const std::vector<int>& levels, const GroupTable& table,
                  AssessScratch& s) {
  Assessment a;
  const std::size_t entries = table.size();
  if (p.sensitive.empty() || p.sensitive_masks) {
    s.class_keys = table.keys;
    s.class_rows = table.counts;
  } else {
    s.classes.reset(std::min(entries, key_space(p, levels, false)));
    s.class_of.resize(entries);
    for (std::size_t i = 0; i < entries; ++i) {
      s.class_of[i] = s.classes.add(table.keys[i] & p.qi_mask, table.counts[i]);
    }
    s.classes.take(s.class_table);
    s.class_keys = s.class_table.keys;
    s.class_rows = s.class_table.counts;
  }
  const std::size_t n_classes = s.class_keys.size();
  s.failing.assign(n_classes, 0);
  std::size_t small_rows = 0;
  for (std::size_t c = 0; c < n_classes; ++c) {
    if (s.class_rows[c] < p.min_class_size) {
      s.failing[c] = 1;
      small_rows += s.class_rows[c];
    }
  }
  a.outliers = small_rows;
  a.min_size_fails = small_rows > p.max_outliers;
  if (p.distinct_l > 0) {
    // A class's distinct values: the bits of its mask, or (with one sensitive attribute in the
    // keys) its entries, each a distinct value.
    s.offsets.assign(n_classes, 0);
    if (p.sensitive_masks) {
      for (std::size_t c = 0; c < n_classes; ++c) s.offsets[c] = std::popcount(table.masks[c]);
    } else {
      for (std::size_t i = 0; i < entries; ++i) ++s.offsets[s.class_of[i]];
    }
    for (std::size_t c = 0; c < n_classes; ++c) {
      if (!s.failing[c] && static_cast<double>(s.offsets[c]) < p.distinct_l) {
        s.failing[c] = 1;
        a.outliers += s.class_rows[c];
      }
    }
  } else if (!p.criteria.empty()) {
    // Bucket the entries by class.
    s.offsets.assign(n_classes + 1, 0);
    for (std::size_t i = 0; i < entries; ++i) ++s.offsets[s.class_of[i] + 1];
    for (std::size_t c = 0; c < n_classes; ++c) s.offsets[c + 1] += s.offsets[c];
    s.order.resize(entries);
    s.class_entries.assign(s.offsets.begin(), s.offsets.end() - 1);
    for (std::size_t i = 0; i < entries; ++i) {
      s.order[s.class_entries[s.class_of[i]]++] = static_cast<std::uint32_t>(i);
    }
    for (std::size_t c = 0; c < n_classes; ++c) {
      if (s.failing[c]) continue;
      for (const auto& criterion : p.criteria) {
        if (!class_satisfies(p, criterion, table, s.order.data() + s.offsets[c],
                             s.offsets[c + 1] - s.offsets[c], s.class_rows[c], s)) {
          s.failing[c] = 1;
          a.outliers += s.class_rows[c];
          break;
        }
      }
    }
  }
  a.classes = 0;
  for (std::size_t c = 0; c < n_classes; ++c) a.classes += !s.failing[c];
  a.satisfies = a.outliers <= p.max_outliers;
  if (a.satisfies && p.average_risk > 0) {
    std::size_t released = p.rows - a.outliers;
    a.satisfies = released == 0 ||
                  static_cast<double>(a.classes) / static_cast<double>(released) <= p.average_risk;
  }
  if (a.satisfies) {
    a.information_loss = metric_value(p, p.metric.metric, levels, s.view(), a.outliers);
  }
  return a;
}

double metric_value(const Problem& p, Metric metric, const std::vector<int>& levels,
                    const ClassView& s, std::size_t outliers) {
  const double n = static_cast<double>(p.rows);
  const std::size_t n_classes = s.keys.size();
  switch (metric) {
    case Metric::loss: {
      // With nothing suppressed the loss is the precomputed bound.
      if (outliers == 0) return lower_bound(p, Metric::loss, levels);
      // The suppressed classes' rows, and per attribute their rows times the hierarchy leaves
      // under their group, are summed in integers: exact, so the value does not depend on the
      // order of the classes. One pass over the classes for all attributes.
      std::vector<unsigned __int128> leaves(p.qis.size(), 0);
      std::uint64_t suppressed = 0;
      for (std::size_t c = 0; c < n_classes; ++c) {
        if (!s.failing[c]) continue;
        const std::uint32_t count = s.rows[c];
        suppressed += count;
        for (std::size_t q = 0; q < p.qis.size(); ++q) {
          const auto& group_leaves = p.qis[q].hierarchy.leaves[levels[q]];
          leaves[q] += std::uint64_t{count} * group_leaves[p.layout.field(s.keys[c], q)];
        }
      }
      const double count = static_cast<double>(suppressed);
      double aggregate = 1;
      for (std::size_t q = 0; q < p.qis.size(); ++q) {
        const QuasiIdentifier& qi = p.qis[q];
        // The suppressed rows' share of the attribute's loss as generalized, and as suppressed.
        const double generalized =
            static_cast<double>(leaves[q]) / static_cast<double>(qi.hierarchy.domain_size);
        double res = p.g_factor * (qi.loss_sum[levels[q]] - generalized);
        res += p.s_factor == 1 ? count : generalized + p.s_factor * (count - generalized);
        aggregate *= loss_factor(p, qi, res);
      }
      return aggregate - 1;
    }
    case Metric::entropy:
      // Ignores suppression, as ARX's monotonic non-uniform entropy does.
      return lower_bound(p, Metric::entropy, levels);
    case Metric::precision:
      // A suppressed row counts as fully generalized.
      return lower_bound(p, Metric::precision, levels) * (n - outliers) / n + outliers / n;
    case Metric::discernibility: {
      // In integers, so that the sum does not depend on the order of the classes.
      unsigned __int128 sum = 0;
      for (std::size_t c = 0; c < n_classes; ++c) {
        const std::uint64_t count = s.rows[c];
        sum += count * (s.failing[c] ? static_cast<std::uint64_t>(p.rows) : count);
      }
      return static_cast<double>(sum);
    }
    case Metric::average_class_size: {
      std::size_t classes = 0;
      for (std::size_t c = 0; c < n_classes; ++c) classes += !s.failing[c];
      classes += outliers > 0;
      return classes == 0 ? 0 : n / static_cast<double>(classes);
    }
  }
  return 0;
}

}  // namespace tokumei::anon::detail
