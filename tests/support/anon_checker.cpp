#include "support/anon_checker.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <sstream>
#include <stdexcept>

namespace tokumei::anon::checker {
namespace {

constexpr double kEps = 1e-9;

enum class Outcome { pass, borderline, fail };

Outcome worse(Outcome a, Outcome b) { return static_cast<int>(a) > static_cast<int>(b) ? a : b; }

// floor(limit · rows), allowing for the binary representation of decimal limits (0.07 · 100).
std::size_t limit_rows(double limit, std::size_t rows) {
  return static_cast<std::size_t>(std::floor(limit * static_cast<double>(rows) + kEps));
}

std::string join(const std::vector<std::string>& parts) {
  std::string out = "{";
  for (std::size_t i = 0; i < parts.size(); ++i) out += (i ? ", " : "") + parts[i];
  return out + "}";
}

std::string num(double v) {
  std::ostringstream s;
  s.precision(12);
  s << v;
  return s.str();
}

// Share of every value of column `column` of `table` over `rows` (all rows when empty).
std::map<std::string, double> distribution(const Table& table, int column) {
  std::map<std::string, double> d;
  for (std::size_t r = 0; r < table.row_count(); ++r) d[table.value(r, column)] += 1;
  for (auto& [v, n] : d) n /= static_cast<double>(table.row_count());
  return d;
}

// The model's class-level criteria, bound to the columns of the table whose rows are judged.
struct BoundModel {
  const PrivacyModel* model = nullptr;
  std::vector<int> l_column;                          // per ℓ-diversity criterion
  std::vector<int> t_column;                          // per t-closeness criterion
  std::vector<std::map<std::string, double>> t_dist;  // whole-input distribution per criterion
  // Hierarchical t-closeness: the hierarchy per criterion (nullptr for equal distance).
  std::vector<const GeneralizationHierarchy*> t_hierarchy;
  std::vector<std::string> errors;
};

using Hierarchies = std::map<std::string, const GeneralizationHierarchy*>;

BoundModel bind_model(const PrivacyModel& m, const Table& rows_table, const Table* original,
                      const Hierarchies& hierarchies) {
  BoundModel b;
  b.model = &m;
  for (const auto& l : m.l_diversity) {
    int c = rows_table.find_column(l.attribute);
    if (c < 0) b.errors.push_back("sensitive column \"" + l.attribute + "\" is missing");
    b.l_column.push_back(c);
  }
  for (const auto& t : m.t_closeness) {
    int c = rows_table.find_column(t.attribute);
    if (c < 0) b.errors.push_back("sensitive column \"" + t.attribute + "\" is missing");
    const GeneralizationHierarchy* h = nullptr;
    if (t.distance == TCloseness::Distance::hierarchical) {
      auto it = hierarchies.find(t.attribute);
      if (it == hierarchies.end() || it->second == nullptr || it->second->height() < 2) {
        b.errors.push_back("checker: hierarchical t-closeness on \"" + t.attribute +
                           "\" needs its hierarchy (two levels at least)");
      } else {
        h = it->second;
      }
    }
    b.t_hierarchy.push_back(h);
    b.t_column.push_back(c);
    const Table& whole = original != nullptr ? *original : rows_table;
    int wc = whole.find_column(t.attribute);
    b.t_dist.push_back(wc < 0 ? std::map<std::string, double>{} : distribution(whole, wc));
  }
  return b;
}

// Earth Mover's Distance between p and q over the leaves of `h`, ground distance (level where
// two values meet) / (height − 1). For a tree metric the optimal transport costs, on every edge,
// its weight times the mass that must cross it: the imbalance of the subtree below. The edge from
// a level-l group to its level-(l+1) parent weighs 1 / (2·(height − 1)), so that two values
// meeting at level L are 2L edges, L / (height − 1), apart. Mass left unbalanced between groups
// of the top level (values that never meet) makes the distance undefined: `*never_meet` is set.
double hierarchical_distance(const GeneralizationHierarchy& h,
                             const std::map<std::string, double>& p,
                             const std::map<std::string, double>& q, bool* never_meet) {
  std::map<std::string, double> diff = q;
  for (auto& [v, share] : diff) share = -share;
  for (const auto& [v, share] : p) diff[v] += share;
  const int top = h.height() - 1;
  const double edge = 1.0 / (2.0 * top);
  double distance = 0;
  for (int level = 0; level <= top; ++level) {
    std::map<std::string, double> imbalance;
    for (const auto& [v, d] : diff) {
      auto row = h.find(v);
      // A value missing from the hierarchy meets nothing.
      imbalance[row < 0 ? "\x01" + v : h.label(static_cast<std::size_t>(row), level)] += d;
    }
    for (const auto& [group, d] : imbalance) {
      if (level < top) {
        distance += edge * std::fabs(d);
      } else if (std::fabs(d) > kEps) {
        *never_meet = true;
      }
    }
  }
  return distance;
}
// Judges the class made of `rows` of `table`; `why` gets the reasons it fails or is borderline.
Outcome judge_class(const Table& table, const std::vector<std::size_t>& rows, const BoundModel& b,
                    std::string* why) {
  const PrivacyModel& m = *b.model;
  const double size = static_cast<double>(rows.size());
  Outcome out = Outcome::pass;
  auto note = [&](Outcome o, const std::string& reason) {
    out = worse(out, o);
    if (why != nullptr) *why += (why->empty() ? "" : "; ") + reason;
  };
  if (m.k > 1 && rows.size() < static_cast<std::size_t>(m.k)) {
    note(Outcome::fail, "size " + std::to_string(rows.size()) + " < k " + std::to_string(m.k));
  }
  if (m.highest_risk > 0 && 1 / size > m.highest_risk + kEps) {
    note(Outcome::fail, "risk 1/" + std::to_string(rows.size()) + " > " + num(m.highest_risk));
  }
  auto histogram = [&](int column) {
    std::map<std::string, std::size_t> h;
    for (auto r : rows) ++h[table.value(r, column)];
    return h;
  };
  for (std::size_t i = 0; i < m.l_diversity.size(); ++i) {
    const LDiversity& l = m.l_diversity[i];
    if (b.l_column[i] < 0) continue;
    auto h = histogram(b.l_column[i]);
    const std::string what = "ℓ-diversity on " + l.attribute + ": ";
    switch (l.variant) {
      case LDiversity::Variant::distinct:
        if (static_cast<double>(h.size()) < l.l) {
          note(Outcome::fail, what + std::to_string(h.size()) + " distinct values < ℓ " + num(l.l));
        }
        break;
      case LDiversity::Variant::entropy: {
        double entropy = 0;
        for (const auto& [v, n] : h) {
          double p = static_cast<double>(n) / size;
          entropy -= p * std::log(p);
        }
        const double need = std::log(l.l);
        if (entropy < need - kEps) {
          note(Outcome::fail, what + "entropy " + num(entropy) + " < ln ℓ " + num(need));
        } else if (entropy <= need + kEps) {
          note(Outcome::borderline, what + "entropy " + num(entropy) + " = ln ℓ");
        }
        break;
      }
      case LDiversity::Variant::recursive: {
        std::vector<double> r;
        for (const auto& [v, n] : h) r.push_back(static_cast<double>(n));
        std::sort(r.begin(), r.end(), std::greater<>());
        const auto li = static_cast<std::size_t>(l.l);
        double tail = 0;  // r_ℓ + … + r_m (1-based)
        for (std::size_t j = li >= 1 ? li - 1 : 0; j < r.size(); ++j) tail += r[j];
        const double lhs = r.empty() ? 0 : r[0];
        const double rhs = l.c * tail;
        const double slack = kEps * std::max(1.0, rhs);
        const std::string detail = "r1 " + num(lhs) + " vs c·(rℓ+…+rm) " + num(rhs);
        if (r.size() < li || lhs > rhs + slack) {
          note(Outcome::fail, what + "recursive: " + detail);
        } else if (lhs >= rhs - slack) {
          note(Outcome::borderline, what + "recursive: " + detail + " (equal)");
        }
        break;
      }
    }
  }
  for (std::size_t i = 0; i < m.t_closeness.size(); ++i) {
    const TCloseness& t = m.t_closeness[i];
    const bool hierarchical = t.distance == TCloseness::Distance::hierarchical;
    if (b.t_column[i] < 0 || (hierarchical && b.t_hierarchy[i] == nullptr)) continue;
    auto h = histogram(b.t_column[i]);
    std::map<std::string, double> p;
    for (const auto& [v, n] : h) p[v] = static_cast<double>(n) / size;
    double distance = 0;
    bool never_meet = false;
    if (hierarchical) {
      distance = hierarchical_distance(*b.t_hierarchy[i], p, b.t_dist[i], &never_meet);
    } else {
      for (const auto& [v, q] : b.t_dist[i]) {
        auto it = p.find(v);
        distance += std::fabs((it == p.end() ? 0 : it->second) - q);
      }
      for (const auto& [v, share] : p) {
        if (!b.t_dist[i].contains(v)) distance += share;  // a value not in the input
      }
      distance /= 2;
    }
    const std::string what = std::string(hierarchical ? "hierarchical " : "") + "t-closeness on " +
                             t.attribute + ": distance " + num(distance);
    if (never_meet) {
      note(Outcome::fail, what + ", and values that never meet in the hierarchy must move");
    } else if (distance > t.t + kEps) {
      note(Outcome::fail, what + " > t " + num(t.t));
    } else if (distance >= t.t - kEps) {
      note(Outcome::borderline, what + " = t");
    }
  }
  return out;
}

bool all_stars(const std::vector<std::string>& key) {
  return std::all_of(key.begin(), key.end(), [](const std::string& v) { return v == "*"; });
}

}  // namespace

std::vector<std::string> check_release(const Table& released, const Requirements& req) {
  std::vector<std::string> violations;
  std::vector<int> qi;
  for (const auto& name : req.quasi_identifiers) {
    int c = released.find_column(name);
    if (c < 0) violations.push_back("quasi-identifier \"" + name + "\" is not in the release");
    qi.push_back(c);
  }
  if (req.quasi_identifiers.empty()) violations.push_back("no quasi-identifiers given");
  BoundModel b = bind_model(req.model, released, req.original, req.sensitive_hierarchies);
  violations.insert(violations.end(), b.errors.begin(), b.errors.end());
  if (!violations.empty()) return violations;
  if (released.row_count() != req.original_rows) {
    violations.push_back("the release has " + std::to_string(released.row_count()) +
                         " rows, the input " + std::to_string(req.original_rows));
  }

  std::map<std::vector<std::string>, std::vector<std::size_t>> classes;
  for (std::size_t r = 0; r < released.row_count(); ++r) {
    std::vector<std::string> key;
    for (int c : qi) key.push_back(released.value(r, c));
    classes[key].push_back(r);
  }
  const std::size_t limit = limit_rows(req.model.suppression_limit, req.original_rows);
  std::size_t released_classes = 0, released_rows = 0;
  for (const auto& [key, rows] : classes) {
    std::string why;
    if (all_stars(key)) {
      if (rows.size() <= limit) continue;  // suppressed within the limit
      if (judge_class(released, rows, b, &why) == Outcome::fail) {
        violations.push_back(std::to_string(rows.size()) + " rows suppressed, more than the " +
                             std::to_string(limit) + " allowed (as a class: " + why + ")");
        continue;
      }
    } else if (judge_class(released, rows, b, &why) == Outcome::fail) {
      violations.push_back("class " + join(key) + " of " + std::to_string(rows.size()) +
                           " rows: " + why);
    }
    ++released_classes;
    released_rows += rows.size();
  }
  if (req.model.average_risk > 0 && released_rows > 0) {
    double average = static_cast<double>(released_classes) / static_cast<double>(released_rows);
    if (average > req.model.average_risk + kEps) {
      violations.push_back("average risk " + num(average) + " > " + num(req.model.average_risk));
    }
  }
  return violations;
}

std::vector<std::string> check_generalization(const Table& original, const Table& released,
                                              const std::vector<QuasiIdentifier>& qis,
                                              const std::vector<std::string>& identifying,
                                              const std::vector<int>& levels) {
  std::vector<std::string> out;
  std::vector<int> kept;  // original column of each released column
  for (std::size_t c = 0; c < original.column_count(); ++c) {
    const std::string& name = original.column(c).name;
    if (std::find(identifying.begin(), identifying.end(), name) == identifying.end()) {
      kept.push_back(static_cast<int>(c));
    }
  }
  if (released.column_count() != kept.size()) {
    return {"the release has " + std::to_string(released.column_count()) + " columns, expected " +
            std::to_string(kept.size())};
  }
  for (std::size_t i = 0; i < kept.size(); ++i) {
    if (released.column(i).name != original.column(kept[i]).name) {
      out.push_back("column " + std::to_string(i) + " is \"" + released.column(i).name +
                    "\", expected \"" + original.column(kept[i]).name + "\"");
    }
  }
  if (released.row_count() != original.row_count()) {
    out.push_back("row count " + std::to_string(released.row_count()) +
                  " != " + std::to_string(original.row_count()));
  }
  if (!out.empty() || qis.size() != levels.size()) {
    if (qis.size() != levels.size()) out.push_back("levels do not match the quasi-identifiers");
    return out;
  }
  std::vector<int> qi_of(original.column_count(), -1);
  for (std::size_t q = 0; q < qis.size(); ++q) {
    int c = original.find_column(qis[q].column);
    if (c < 0) return {"quasi-identifier \"" + qis[q].column + "\" is not in the input"};
    if (levels[q] < 0 || levels[q] >= qis[q].hierarchy->height()) {
      return {"level " + std::to_string(levels[q]) + " of " + qis[q].column + " is outside 0-" +
              std::to_string(qis[q].hierarchy->height() - 1)};
    }
    qi_of[c] = static_cast<int>(q);
  }
  for (std::size_t r = 0; r < original.row_count() && out.size() < 10; ++r) {
    bool suppressed = true;
    for (std::size_t i = 0; i < kept.size(); ++i) {
      if (qi_of[kept[i]] >= 0 && released.value(r, i) != "*") suppressed = false;
    }
    for (std::size_t i = 0; i < kept.size(); ++i) {
      const int c = kept[i];
      const std::string& got = released.value(r, i);
      std::string want = original.value(r, c);
      if (int q = qi_of[c]; q >= 0) {
        if (suppressed) continue;
        auto row = qis[q].hierarchy->find(want);
        if (row < 0) {
          out.push_back("value \"" + want + "\" is not in the hierarchy of " + qis[q].column);
          continue;
        }
        want = qis[q].hierarchy->label(static_cast<std::size_t>(row), levels[q]);
      }
      if (got != want) {
        out.push_back("row " + std::to_string(r + 1) + ", " + original.column(c).name + ": \"" +
                      got + "\", expected \"" + want + "\"");
      }
    }
  }
  return out;
}

Verdict judge_transformation(const Table& original, const std::vector<QuasiIdentifier>& qis,
                             const std::vector<int>& levels, const PrivacyModel& model,
                             const Hierarchies& sensitive_hierarchies) {
  Verdict v;
  v.rows = original.row_count();
  v.limit_rows = limit_rows(model.suppression_limit, v.rows);
  BoundModel b = bind_model(model, original, &original, sensitive_hierarchies);
  if (!b.errors.empty()) throw std::invalid_argument("judge_transformation: " + b.errors[0]);

  std::vector<int> columns;
  for (std::size_t q = 0; q < qis.size(); ++q) {
    columns.push_back(original.find_column(qis[q].column));
    if (columns.back() < 0 || q >= levels.size() || levels[q] < 0 ||
        levels[q] >= qis[q].hierarchy->height()) {
      throw std::invalid_argument("judge_transformation: bad quasi-identifier or level for " +
                                  qis[q].column);
    }
  }
  if (levels.size() != qis.size()) {
    throw std::invalid_argument("judge_transformation: levels do not match the quasi-identifiers");
  }
  std::map<std::vector<std::string>, std::vector<std::size_t>> classes;
  for (std::size_t r = 0; r < original.row_count(); ++r) {
    std::vector<std::string> key;
    for (std::size_t q = 0; q < qis.size(); ++q) {
      auto row = qis[q].hierarchy->find(original.value(r, columns[q]));
      key.push_back(row < 0 ? "?"
                            : qis[q].hierarchy->label(static_cast<std::size_t>(row), levels[q]));
    }
    classes[key].push_back(r);
  }
  v.classes = classes.size();

  // Two scenarios: borderline classes released (min) or suppressed (max).
  std::size_t released_classes_min = 0, released_classes_max = 0;
  double discernibility = 0;
  for (const auto& [key, rows] : classes) {
    Outcome o = judge_class(original, rows, b, nullptr);
    const double size = static_cast<double>(rows.size());
    if (o == Outcome::fail) {
      v.suppressed_min += rows.size();
      v.suppressed_max += rows.size();
      discernibility += size * static_cast<double>(v.rows);
    } else if (o == Outcome::borderline) {
      v.suppressed_max += rows.size();
      ++released_classes_min;
    } else {
      ++released_classes_min;
      ++released_classes_max;
      discernibility += size * size;
    }
  }
  auto satisfied = [&](std::size_t suppressed, std::size_t released_classes) {
    if (suppressed > v.limit_rows) return false;
    std::size_t released_rows = v.rows - suppressed;
    if (model.average_risk > 0 && released_rows > 0) {
      return static_cast<double>(released_classes) / static_cast<double>(released_rows) <=
             model.average_risk;
    }
    return true;
  };
  bool a = satisfied(v.suppressed_min, released_classes_min);
  bool c = satisfied(v.suppressed_max, released_classes_max);
  v.surely_satisfies = a && c;
  v.surely_fails = !a && !c;

  if (v.certain()) {
    const double n = static_cast<double>(v.rows);
    const double suppressed = static_cast<double>(v.suppressed_min);
    double height = 0;
    for (std::size_t q = 0; q < qis.size(); ++q) {
      int h = qis[q].hierarchy->height();
      if (h > 1) height += static_cast<double>(levels[q]) / (h - 1);
    }
    height /= static_cast<double>(qis.size());
    v.precision = (height * (n - suppressed) + suppressed) / n;
    v.discernibility = discernibility;
    std::size_t released = released_classes_min + (v.suppressed_min > 0 ? 1 : 0);
    v.average_class_size = released == 0 ? 0 : n / static_cast<double>(released);
  }
  return v;
}

}  // namespace tokumei::anon::checker
