#include "tokumei/identity/linkage.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <numeric>
#include <random>
#include <thread>
#include <unordered_map>

#include "tokumei/identity/japanese.h"

namespace tokumei::identity {
namespace {

constexpr std::size_t index(Field f) { return static_cast<std::size_t>(f); }

// Kana names compared by Jaro–Winkler: at least this similar is "close", or "similar".
constexpr double kCloseKana = 0.92;
constexpr double kSimilarKana = 0.80;

std::string digits_of(std::string_view text) {
  std::string out;
  for (char c : nfkc(text)) {
    if (c >= '0' && c <= '9') out.push_back(c);
  }
  return out;
}

// (family, given) at the first space of the NFKC text (U+3000 becomes a plain space).
std::pair<std::string, std::string> split_name(std::string_view name) {
  std::string text = nfkc(name);
  const auto first = text.find_first_not_of(' ');
  if (first == std::string::npos) return {};
  text.erase(0, first);
  const auto space = text.find(' ');
  if (space == std::string::npos) return {text, ""};
  return {text.substr(0, space), text.substr(space + 1)};
}

std::int32_t birth_number(std::string_view birth) {
  if (birth.empty()) return 0;
  if (birth.size() > 10 && birth[10] == 'T') birth = birth.substr(0, 10);  // a time given too
  const auto iso = normalize_date(birth);
  if (!iso) return 0;
  return std::stoi(iso->substr(0, 4)) * 10000 + std::stoi(iso->substr(5, 2)) * 100 +
         std::stoi(iso->substr(8, 2));
}

// A name part (family or given) compared in kana and kanji together.
int name_level(const std::u32string& kana_a, const std::u32string& kana_b,
               const std::string& kanji_a, const std::string& kanji_b) {
  const bool kana = !kana_a.empty() && !kana_b.empty();
  const bool kanji = !kanji_a.empty() && !kanji_b.empty();
  if (!kana && !kanji) return kMissing;
  const bool kanji_equal = kanji && kanji_a == kanji_b;
  if (!kana) return kanji_equal ? 4 : 0;
  if (kana_a == kana_b) return kanji_equal || !kanji ? 4 : 3;
  if (kanji_equal) return 2;
  const double similarity = jaro_winkler(kana_a, kana_b);
  return similarity >= kCloseKana ? 2 : similarity >= kSimilarKana ? 1 : 0;
}

// One digit mistyped, or day and month swapped.
bool near_birth(std::int32_t a, std::int32_t b) {
  const int ay = a / 10000, am = a / 100 % 100, ad = a % 100;
  const int by = b / 10000, bm = b / 100 % 100, bd = b % 100;
  if (ay == by && am == bd && ad == bm) return true;
  int differing = 0;
  for (int i = 0; i < 8; ++i, a /= 10, b /= 10) differing += a % 10 != b % 10;
  return differing == 1;
}

struct FieldInfo {
  std::size_t levels;
  std::string_view ja, en;
  std::array<std::string_view, kMaxLevels> level_ja, level_en;
};
constexpr FieldInfo kFieldInfo[kFields] = {
    {5,
     "姓",
     "family name",
     {"不一致", "カナ類似", "カナ近似または漢字一致", "カナ一致", "一致"},
     {"different", "kana similar", "kana close or kanji exact", "kana exact", "exact"}},
    {5,
     "名",
     "given name",
     {"不一致", "カナ類似", "カナ近似または漢字一致", "カナ一致", "一致"},
     {"different", "kana similar", "kana close or kanji exact", "kana exact", "exact"}},
    {3,
     "生年月日",
     "birth date",
     {"不一致", "一字違い・月日逆", "一致"},
     {"different", "one digit off or day and month swapped", "exact"}},
    {2, "性別", "sex", {"不一致", "一致"}, {"different", "same"}},
    {3,
     "郵便番号",
     "postal code",
     {"不一致", "上3桁一致", "一致"},
     {"different", "first three digits", "exact"}},
    {2, "電話番号", "phone", {"不一致", "一致"}, {"different", "exact"}},
};

std::uint64_t fnv(std::uint64_t h, const void* data, std::size_t size) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (std::size_t i = 0; i < size; ++i) h = (h ^ p[i]) * 0x100000001b3ULL;
  return h;
}
constexpr std::uint64_t kFnvStart = 0xcbf29ce484222325ULL;

// The blocking passes. A pair is compared in the first pass whose key the two records share.
enum Pass { by_birth, by_initial_and_postal, by_kana_name, kPasses };

bool has_key(const LinkRecord& r, int pass) {
  const bool sexed = r.sex == model::Sex::male || r.sex == model::Sex::female;
  switch (pass) {
    case by_birth:
      return r.birth != 0;
    case by_initial_and_postal:
      return sexed && !r.family_kana.empty() && r.postal.size() >= 3;
    case by_kana_name:
      return sexed && !r.family_kana.empty() && !r.given_kana.empty();
  }
  return false;
}
std::uint64_t key_hash(const LinkRecord& r, int pass) {
  std::uint64_t h = fnv(kFnvStart, &pass, sizeof pass);
  switch (pass) {
    case by_birth:
      return fnv(h, &r.birth, sizeof r.birth);
    case by_initial_and_postal:
      h = fnv(h, &r.sex, sizeof r.sex);
      h = fnv(h, r.family_kana.data(), sizeof(char32_t));
      return fnv(h, r.postal.data(), 3);
    default:
      h = fnv(h, &r.sex, sizeof r.sex);
      h = fnv(h, r.family_kana.data(), r.family_kana.size() * sizeof(char32_t));
      h = fnv(h, "|", 1);
      return fnv(h, r.given_kana.data(), r.given_kana.size() * sizeof(char32_t));
  }
}
bool same_key(const LinkRecord& a, const LinkRecord& b, int pass) {
  if (!has_key(a, pass) || !has_key(b, pass)) return false;
  switch (pass) {
    case by_birth:
      return a.birth == b.birth;
    case by_initial_and_postal:
      return a.sex == b.sex && a.family_kana[0] == b.family_kana[0] &&
             a.postal.compare(0, 3, b.postal, 0, 3) == 0;
    default:
      return a.sex == b.sex && a.family_kana == b.family_kana && a.given_kana == b.given_kana;
  }
}

// A closer agreement never weighs less than a looser one: where the data say otherwise (two
// strangers' kana names are seldom close without being equal), the looser level is given the
// closer one's weight.
void make_monotone(LinkageModel& model) {
  for (std::size_t f = 0; f < kFields; ++f) {
    for (std::size_t l = kFieldInfo[f].levels - 1; l-- > 0;) {
      const double above = model.m[f][l + 1] / model.u[f][l + 1];
      if (model.m[f][l] / model.u[f][l] > above) model.u[f][l] = model.m[f][l] / above;
    }
  }
}

struct Block {
  int pass;
  std::size_t begin, end;  // in the pass's sorted members
};

// Union–find over records where a person holds at most one record per institution.
class Persons {
 public:
  explicit Persons(const std::vector<LinkRecord>& records)
      : parent_(records.size()), institutions_(records.size()) {
    std::iota(parent_.begin(), parent_.end(), 0U);
    for (std::size_t i = 0; i < records.size(); ++i) institutions_[i] = {records[i].institution};
  }
  std::uint32_t find(std::uint32_t x) {
    while (parent_[x] != x) x = parent_[x] = parent_[parent_[x]];
    return x;
  }
  // Joins the persons of a and b unless that gives one person two records of one institution.
  bool join(std::uint32_t a, std::uint32_t b) {
    a = find(a);
    b = find(b);
    if (a == b) return true;
    auto& ia = institutions_[a];
    auto& ib = institutions_[b];
    std::vector<std::uint16_t> both;
    both.reserve(ia.size() + ib.size());
    std::set_union(ia.begin(), ia.end(), ib.begin(), ib.end(), std::back_inserter(both));
    if (both.size() != ia.size() + ib.size()) return false;
    if (a > b) std::swap(a, b);
    parent_[b] = a;
    ia = std::move(both);
    ib.clear();
    ib.shrink_to_fit();
    return true;
  }

 private:
  std::vector<std::uint32_t> parent_;
  std::vector<std::vector<std::uint16_t>> institutions_;  // of each root
};

}  // namespace

double jaro_winkler(std::u32string_view a, std::u32string_view b) {
  if (a.empty() && b.empty()) return 1.0;
  if (a.empty() || b.empty()) return 0.0;
  if (a.size() > b.size()) std::swap(a, b);
  const std::size_t window = std::max<std::size_t>(b.size() / 2, 1) - 1;
  std::vector<char> b_used(b.size(), 0);
  std::vector<char> a_used(a.size(), 0);
  std::size_t matches = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const std::size_t from = i > window ? i - window : 0;
    const std::size_t to = std::min(b.size(), i + window + 1);
    for (std::size_t j = from; j < to; ++j) {
      if (!b_used[j] && a[i] == b[j]) {
        a_used[i] = b_used[j] = 1;
        ++matches;
        break;
      }
    }
  }
  if (matches == 0) return 0.0;
  std::size_t transpositions = 0;
  for (std::size_t i = 0, j = 0; i < a.size(); ++i) {
    if (!a_used[i]) continue;
    while (!b_used[j]) ++j;
    transpositions += a[i] != b[j];
    ++j;
  }
  const double m = static_cast<double>(matches);
  const double jaro =
      (m / a.size() + m / b.size() + (m - static_cast<double>(transpositions) / 2) / m) / 3;
  std::size_t prefix = 0;
  while (prefix < 4 && prefix < a.size() && a[prefix] == b[prefix]) ++prefix;
  return jaro + static_cast<double>(prefix) * 0.1 * (1 - jaro);
}

LinkRecord prepare(const model::PersonIdentity& identity, std::uint16_t institution) {
  LinkRecord r;
  r.institution = institution;
  const auto [family_kana, given_kana] = split_name(identity.name_kana);
  r.family_kana = code_points(normalize_kana(family_kana));
  r.given_kana = code_points(normalize_kana(given_kana));
  const auto [family_kanji, given_kanji] = split_name(identity.name_kanji);
  r.family_kanji = normalize_kanji(family_kanji);
  r.given_kanji = normalize_kanji(given_kanji);
  r.birth = birth_number(identity.birth_date);
  r.sex = identity.sex;
  r.postal = digits_of(identity.postal_code);
  if (!identity.phones.empty()) r.phone = digits_of(identity.phones.front());
  return r;
}

std::size_t levels(Field field) { return kFieldInfo[index(field)].levels; }
std::string_view field_name(Field field, Lang lang) {
  return lang == Lang::ja ? kFieldInfo[index(field)].ja : kFieldInfo[index(field)].en;
}
std::string_view level_name(Field field, int level, Lang lang) {
  if (level == kMissing) return lang == Lang::ja ? "記録なし" : "missing";
  const FieldInfo& f = kFieldInfo[index(field)];
  return lang == Lang::ja ? f.level_ja[static_cast<std::size_t>(level)]
                          : f.level_en[static_cast<std::size_t>(level)];
}

Comparison compare(const LinkRecord& a, const LinkRecord& b) {
  Comparison c;
  auto set = [&](Field f, int level) { c.level[index(f)] = static_cast<std::int8_t>(level); };
  set(Field::family_name, name_level(a.family_kana, b.family_kana, a.family_kanji, b.family_kanji));
  set(Field::given_name, name_level(a.given_kana, b.given_kana, a.given_kanji, b.given_kanji));
  set(Field::birth_date, a.birth == 0 || b.birth == 0   ? kMissing
                         : a.birth == b.birth           ? 2
                         : near_birth(a.birth, b.birth) ? 1
                                                        : 0);
  auto sexed = [](model::Sex s) { return s == model::Sex::male || s == model::Sex::female; };
  set(Field::sex, !sexed(a.sex) || !sexed(b.sex) ? kMissing : int{a.sex == b.sex});
  set(Field::postal_code, a.postal.size() < 3 || b.postal.size() < 3    ? kMissing
                          : a.postal == b.postal                        ? 2
                          : a.postal.compare(0, 3, b.postal, 0, 3) == 0 ? 1
                                                                        : 0);
  set(Field::phone, a.phone.empty() || b.phone.empty() ? kMissing : int{a.phone == b.phone});
  return c;
}

LinkageModel LinkageModel::defaults() {
  LinkageModel model;
  auto set = [&](Field f, std::array<double, kMaxLevels> m, std::array<double, kMaxLevels> u) {
    model.m[index(f)] = m;
    model.u[index(f)] = u;
  };
  // m: a kana family name differs after a marriage or a mistake; names are spelled close in kana
  // when typed by ear; one record in a hundred has a birth date one digit off; a fifth moved.
  set(Field::family_name, {0.06, 0.01, 0.03, 0.08, 0.82}, {0.99, 0.006, 0.0005, 0.0005, 0.003});
  set(Field::given_name, {0.01, 0.01, 0.03, 0.05, 0.90}, {0.99, 0.008, 0.0005, 0.0003, 0.002});
  set(Field::birth_date, {0.003, 0.01, 0.987}, {0.99967, 0.0003, 0.00003});
  set(Field::sex, {0.005, 0.995}, {0.5, 0.5});
  set(Field::postal_code, {0.15, 0.05, 0.80}, {0.995, 0.0049, 0.0001});
  set(Field::phone, {0.30, 0.70}, {0.9999999, 0.0000001});
  // Chosen on `tokumei link evaluate` (docs/linkage.md): above 20, one false pair in ten thousand;
  // below 14, almost no pair is one person.
  model.match_threshold = 20;
  model.review_threshold = 14;
  make_monotone(model);
  return model;
}

void LinkageModel::estimate_u(const std::vector<LinkRecord>& records, std::size_t samples,
                              std::uint64_t seed) {
  if (records.size() < 2 || samples == 0) return;
  const bool several = std::any_of(records.begin(), records.end(), [&](const LinkRecord& r) {
    return r.institution != records.front().institution;
  });
  if (!several) return;
  std::mt19937_64 random(seed);
  std::uniform_int_distribution<std::size_t> pick(0, records.size() - 1);
  std::array<std::array<double, kMaxLevels>, kFields> counts{};
  std::array<double, kFields> totals{};
  for (std::size_t n = 0; n < samples;) {
    const LinkRecord& a = records[pick(random)];
    const LinkRecord& b = records[pick(random)];
    if (a.institution == b.institution) continue;
    ++n;
    const Comparison c = compare(a, b);
    for (std::size_t f = 0; f < kFields; ++f) {
      if (c.level[f] == kMissing) continue;
      counts[f][static_cast<std::size_t>(c.level[f])] += 1;
      totals[f] += 1;
    }
  }
  // Rare levels (an exact phone) are seldom or never seen in a sample: each estimate leans on
  // the default as if it had been seen in this many pairs.
  constexpr double kPrior = 10000;
  for (std::size_t f = 0; f < kFields; ++f) {
    for (std::size_t l = 0; l < kFieldInfo[f].levels; ++l) {
      u[f][l] = (counts[f][l] + kPrior * u[f][l]) / (totals[f] + kPrior);
    }
  }
  make_monotone(*this);
}

double LinkageModel::weight(Field field, int level) const {
  if (level == kMissing) return 0;
  const std::size_t f = index(field), l = static_cast<std::size_t>(level);
  return std::log2(m[f][l] / u[f][l]);
}

double LinkageModel::score(const Comparison& c) const {
  double total = 0;
  for (std::size_t f = 0; f < kFields; ++f) total += weight(static_cast<Field>(f), c.level[f]);
  return total;
}

std::string_view decision_name(Decision d) {
  switch (d) {
    case Decision::match:
      return "match";
    case Decision::review:
      return "review";
    case Decision::non_match:
      return "non_match";
  }
  return "";
}

std::string_view reason_text(Reason r, Lang lang) {
  const bool ja = lang == Lang::ja;
  switch (r) {
    case Reason::above_match_threshold:
      return ja ? "一致のしきい値以上" : "at or above the match threshold";
    case Reason::between_thresholds:
      return ja ? "確認のしきい値以上、一致のしきい値未満"
                : "between the review and the match threshold";
    case Reason::linked_through_others:
      return ja ? "一致のしきい値未満だが、ほかの記録を通じて同一人物と名寄せ済み"
                : "below the match threshold, but linked through other records";
    case Reason::same_institution_already_linked:
      return ja ? "一致のしきい値以上だが、同じ医療機関の別の記録とすでに名寄せ済み"
                : "at or above the match threshold, but already linked to another record of the "
                  "same institution";
  }
  return "";
}

LinkResult link(const std::vector<LinkRecord>& records, const LinkageModel& model,
                const LinkOptions& options) {
  LinkResult result;
  const auto n = static_cast<std::uint32_t>(records.size());

  // Each pass's records sorted by key; the blocks are the runs of one key.
  std::array<std::vector<std::pair<std::uint64_t, std::uint32_t>>, kPasses> members;
  std::vector<Block> blocks;
  for (int pass = 0; pass < kPasses; ++pass) {
    auto& m = members[static_cast<std::size_t>(pass)];
    for (std::uint32_t i = 0; i < n; ++i) {
      if (has_key(records[i], pass)) m.emplace_back(key_hash(records[i], pass), i);
    }
    std::sort(m.begin(), m.end());
    for (std::size_t begin = 0; begin < m.size();) {
      std::size_t end = begin + 1;
      while (end < m.size() && m[end].first == m[begin].first) ++end;
      if (end - begin > options.max_block) {
        ++result.blocks_too_large;
        result.records_in_blocks_too_large += end - begin;
      } else if (end - begin > 1) {
        blocks.push_back({pass, begin, end});
      }
      begin = end;
    }
  }

  // Blocks are compared on the threads, a few at a time.
  std::atomic<std::size_t> next{0};
  std::atomic<std::uint64_t> compared{0};
  const auto work = [&](std::vector<ScoredPair>& found) {
    std::uint64_t count = 0;
    for (;;) {
      const std::size_t first = next.fetch_add(64);
      if (first >= blocks.size()) break;
      for (std::size_t k = first; k < std::min(blocks.size(), first + 64); ++k) {
        const Block& block = blocks[k];
        const auto& m = members[static_cast<std::size_t>(block.pass)];
        for (std::size_t x = block.begin; x < block.end; ++x) {
          for (std::size_t y = x + 1; y < block.end; ++y) {
            std::uint32_t a = m[x].second, b = m[y].second;
            const LinkRecord& ra = records[a];
            const LinkRecord& rb = records[b];
            if (ra.institution == rb.institution) continue;
            // Same key in an earlier pass: compared there (and a hash collision is no block).
            bool earlier = !same_key(ra, rb, block.pass);
            for (int p = 0; p < block.pass && !earlier; ++p) earlier = same_key(ra, rb, p);
            if (earlier) continue;
            ++count;
            const Comparison c = compare(ra, rb);
            const double score = model.score(c);
            if (score < model.review_threshold) continue;
            if (a > b) std::swap(a, b);
            found.push_back({.a = a, .b = b, .score = static_cast<float>(score), .comparison = c});
          }
        }
      }
    }
    compared += count;
  };
  const int threads = std::max(1, options.threads);
  std::vector<std::vector<ScoredPair>> found(static_cast<std::size_t>(threads));
  {
    std::vector<std::jthread> helpers;
    for (int t = 1; t < threads; ++t) {
      helpers.emplace_back([&, t] { work(found[static_cast<std::size_t>(t)]); });
    }
    work(found[0]);
  }
  for (auto& f : found) {
    result.pairs.insert(result.pairs.end(), f.begin(), f.end());
    std::vector<ScoredPair>().swap(f);
  }
  result.compared = compared;
  std::sort(result.pairs.begin(), result.pairs.end(), [](const ScoredPair& x, const ScoredPair& y) {
    return std::tie(y.score, x.a, x.b) < std::tie(x.score, y.a, y.b);
  });

  // Best links first; a link that would give a person two records of one institution is left
  // for review.
  Persons persons(records);
  for (ScoredPair& p : result.pairs) {
    if (p.score < model.match_threshold) {
      const bool linked = persons.find(p.a) == persons.find(p.b);
      p.decision = linked ? Decision::match : Decision::review;
      p.reason = linked ? Reason::linked_through_others : Reason::between_thresholds;
    } else if (persons.join(p.a, p.b)) {
      p.decision = Decision::match;
      p.reason = Reason::above_match_threshold;
    } else {
      p.decision = Decision::review;
      p.reason = Reason::same_institution_already_linked;
    }
  }
  result.person.resize(n);
  for (std::uint32_t i = 0; i < n; ++i) result.person[i] = persons.find(i);
  return result;
}

std::string explain(const ScoredPair& pair, const LinkageModel& model, Lang lang) {
  std::string out;
  for (std::size_t f = 0; f < kFields; ++f) {
    const auto field = static_cast<Field>(f);
    const int level = pair.comparison.level[f];
    if (!out.empty()) out += ", ";
    out += fmt::format("{} {} {:+.1f}", field_name(field, lang), level_name(field, level, lang),
                       model.weight(field, level));
  }
  return fmt::format("{:.1f} = {}", pair.score, out);
}

LinkageQuality evaluate(const LinkResult& result, const std::vector<std::uint64_t>& truth) {
  LinkageQuality q;
  auto pairs_in = [](const auto& counts) {
    std::uint64_t total = 0;
    for (const auto& [key, c] : counts) total += c * (c - 1) / 2;
    return total;
  };
  std::unordered_map<std::uint64_t, std::uint64_t> by_truth, by_person;
  for (std::size_t i = 0; i < truth.size(); ++i) {
    ++by_truth[truth[i]];
    ++by_person[result.person[i]];
  }
  std::vector<std::pair<std::uint32_t, std::uint64_t>> linked;  // (person, truth)
  linked.reserve(truth.size());
  for (std::size_t i = 0; i < truth.size(); ++i) linked.emplace_back(result.person[i], truth[i]);
  std::sort(linked.begin(), linked.end());
  for (std::size_t i = 0; i < linked.size();) {
    std::size_t j = i + 1;
    while (j < linked.size() && linked[j] == linked[i]) ++j;
    q.correct_pairs += (j - i) * (j - i - 1) / 2;
    i = j;
  }
  q.true_pairs = pairs_in(by_truth);
  q.predicted_pairs = pairs_in(by_person);
  for (const ScoredPair& p : result.pairs) {
    if (p.decision != Decision::review) continue;
    ++q.review_pairs;
    q.review_true_pairs += truth[p.a] == truth[p.b];
  }
  return q;
}

}  // namespace tokumei::identity
