#include "tokumei/anon/hierarchy_builders.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>

namespace tokumei::anon {
namespace {

std::unexpected<Error> bad_value(const std::string& builder, const std::string& value,
                                 std::string ja_reason, std::string en_reason) {
  return fail(
      Errc::invalid_input,
      {fmt::format("値「{}」から一般化階層 ({}) を作れません: {}", value, builder, ja_reason),
       fmt::format("cannot build the {} hierarchy for value \"{}\": {}", builder, value,
                   en_reason)},
      Location{.file = builder, .field = value});
}

std::unexpected<Error> bad_spec(const std::string& builder, std::string ja, std::string en) {
  return fail(Errc::invalid_argument,
              {fmt::format("一般化階層 ({}) の指定が正しくありません: {}", builder, ja),
               fmt::format("invalid {} hierarchy settings: {}", builder, en)},
              Location{.file = builder});
}

// Byte offsets where the UTF-8 code points of `s` start, plus s.size() at the end.
bool all_digits(const std::string& s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; });
}

std::vector<std::size_t> code_point_starts(const std::string& s) {
  std::vector<std::size_t> starts;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) starts.push_back(i);
  }
  starts.push_back(s.size());
  return starts;
}

bool parse_number(const std::string& s, double* out) {
  const char* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data(), end, *out);
  return ec == std::errc() && ptr == end && std::isfinite(*out);
}

std::string format_number(double v) {
  if (v == std::floor(v) && std::fabs(v) < 1e15)
    return fmt::format("{}", static_cast<long long>(v));
  return fmt::format("{:.12g}", v);  // 0.30000000000000004 reads as 0.3
}

}  // namespace

Result<GeneralizationHierarchy> build_interval_hierarchy(const std::vector<std::string>& values,
                                                         const IntervalSpec& spec) {
  const std::string name = "intervals";
  if (!(spec.top > spec.bottom))
    return bad_spec(name, "top は bottom より大きくしてください", "top must be above bottom");
  if (spec.widths.empty()) return bad_spec(name, "widths が空です", "widths is empty");
  for (std::size_t l = 0; l < spec.widths.size(); ++l) {
    double w = spec.widths[l];
    if (!(w > 0)) return bad_spec(name, "幅は正の数にしてください", "widths must be positive");
    if (l > 0) {
      double ratio = w / spec.widths[l - 1];
      if (ratio < 2 || std::fabs(ratio - std::round(ratio)) > 1e-9) {
        return bad_spec(name,
                        fmt::format("幅 {} は前の幅 {} の整数倍 (2倍以上) にしてください",
                                    format_number(w), format_number(spec.widths[l - 1])),
                        fmt::format("width {} must be a whole multiple (2 or more) of the width "
                                    "before it, {}",
                                    format_number(w), format_number(spec.widths[l - 1])));
      }
    }
  }
  std::vector<double> numbers(values.size());
  bool integral = std::all_of(spec.widths.begin(), spec.widths.end(),
                              [](double w) { return w == std::floor(w); }) &&
                  spec.bottom == std::floor(spec.bottom) && spec.top == std::floor(spec.top);
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (!parse_number(values[i], &numbers[i])) {
      return bad_value(name, values[i], "数値ではありません", "not a number");
    }
    integral = integral && numbers[i] == std::floor(numbers[i]);
  }
  std::vector<std::vector<std::string>> rows;
  for (std::size_t i = 0; i < values.size(); ++i) {
    std::vector<std::string> row{values[i]};
    double v = numbers[i];
    // Interval indices in whole numbers: level l+1's index is level l's divided by the width
    // ratio, so intervals nest exactly whatever binary floating point does to the bounds.
    const double first = spec.widths[0];
    const auto base = static_cast<long long>(std::floor((v - spec.bottom) / first + 1e-9));
    for (double w : spec.widths) {
      if (v < spec.bottom) {
        row.push_back("<" + format_number(spec.bottom));
      } else if (v >= spec.top) {
        row.push_back(">=" + format_number(spec.top));
      } else {
        const auto ratio = static_cast<long long>(std::llround(w / first));
        const auto index = base / ratio;
        double lo = spec.bottom + static_cast<double>(index * ratio) * first;
        double hi = std::min(lo + w, spec.top);
        row.push_back(integral ? fmt::format("{}-{}", format_number(lo), format_number(hi - 1))
                               : fmt::format("[{},{})", format_number(lo), format_number(hi)));
      }
    }
    row.push_back("*");
    rows.push_back(std::move(row));
  }
  return GeneralizationHierarchy::from_rows(std::move(rows), name);
}

Result<GeneralizationHierarchy> build_date_hierarchy(const std::vector<std::string>& values,
                                                     std::vector<std::string> levels) {
  const std::string name = "dates";
  if (levels.empty()) levels = {"month", "quarter", "year"};
  const std::vector<std::string> order{"month", "quarter", "year"};
  std::size_t next = 0;
  for (const auto& l : levels) {
    auto it = std::find(order.begin() + static_cast<std::ptrdiff_t>(next), order.end(), l);
    if (it == order.end()) {
      return bad_spec(
          name,
          fmt::format("段「{}」は month, quarter, year のいずれかを、この順に指定してください", l),
          fmt::format("level \"{}\": use month, quarter, year, in that order", l));
    }
    next = static_cast<std::size_t>(it - order.begin()) + 1;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& value : values) {
    std::string digits;
    if (value.size() == 10 && (value[4] == '-' || value[4] == '/') && value[7] == value[4]) {
      digits = value.substr(0, 4) + value.substr(5, 2) + value.substr(8, 2);
    } else if (value.size() == 8) {
      digits = value;
    }
    if (digits.size() != 8 || !all_digits(digits)) {
      return bad_value(name, value,
                       "日付は YYYY-MM-DD, YYYY/MM/DD, YYYYMMDD のいずれかで書いてください",
                       "write dates as YYYY-MM-DD, YYYY/MM/DD or YYYYMMDD");
    }
    int year = std::stoi(digits.substr(0, 4)), month = std::stoi(digits.substr(4, 2)),
        day = std::stoi(digits.substr(6, 2));
    static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    if (month < 1 || month > 12 || day < 1 || day > kDays[month - 1] ||
        (month == 2 && day == 29 && !leap)) {
      return bad_value(name, value, "存在しない日付です", "no such date");
    }
    std::vector<std::string> row{value};
    for (const auto& l : levels) {
      if (l == "month") row.push_back(fmt::format("{:04}-{:02}", year, month));
      if (l == "quarter") row.push_back(fmt::format("{:04}-Q{}", year, (month - 1) / 3 + 1));
      if (l == "year") row.push_back(fmt::format("{:04}", year));
    }
    row.push_back("*");
    rows.push_back(std::move(row));
  }
  return GeneralizationHierarchy::from_rows(std::move(rows), name);
}

Result<GeneralizationHierarchy> build_prefix_hierarchy(const std::vector<std::string>& values,
                                                       std::vector<int> lengths) {
  const std::string name = "prefix";
  if (lengths.empty()) {
    std::size_t longest = 0;
    for (const auto& v : values) longest = std::max(longest, code_point_starts(v).size() - 1);
    for (int n = static_cast<int>(longest) - 1; n >= 1; --n) lengths.push_back(n);
  }
  for (std::size_t l = 0; l < lengths.size(); ++l) {
    if (lengths[l] < 1 || (l > 0 && lengths[l] >= lengths[l - 1])) {
      return bad_spec(name, "lengths は 1 以上で、狭義に減少する並びにしてください",
                      "lengths must be at least 1 and strictly decreasing");
    }
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& value : values) {
    if (value.empty()) return bad_value(name, value, "空の値です", "empty value");
    auto starts = code_point_starts(value);
    std::vector<std::string> row{value};
    for (int n : lengths) {
      std::size_t chars = std::min<std::size_t>(static_cast<std::size_t>(n), starts.size() - 1);
      row.push_back(value.substr(0, starts[chars]));
    }
    row.push_back("*");
    rows.push_back(std::move(row));
  }
  return GeneralizationHierarchy::from_rows(std::move(rows), name);
}

Result<GeneralizationHierarchy> build_icd10_chapter_hierarchy(
    const std::vector<std::string>& values) {
  const std::string name = "icd10";
  // WHO ICD-10 chapters by the first and last 3-character category they hold.
  static constexpr std::pair<const char*, const char*> kChapters[] = {
      {"A00", "B99"}, {"C00", "D48"}, {"D50", "D89"}, {"E00", "E90"}, {"F00", "F99"},
      {"G00", "G99"}, {"H00", "H59"}, {"H60", "H95"}, {"I00", "I99"}, {"J00", "J99"},
      {"K00", "K93"}, {"L00", "L99"}, {"M00", "M99"}, {"N00", "N99"}, {"O00", "O99"},
      {"P00", "P96"}, {"Q00", "Q99"}, {"R00", "R99"}, {"S00", "T98"}, {"V01", "Y98"},
      {"Z00", "Z99"}, {"U00", "U99"}};
  std::vector<std::vector<std::string>> rows;
  for (const auto& value : values) {
    std::string category = value.substr(0, 3);
    bool well_formed = value.size() >= 3 && std::isupper(static_cast<unsigned char>(value[0])) &&
                       std::isdigit(static_cast<unsigned char>(value[1])) &&
                       std::isalnum(static_cast<unsigned char>(value[2]));
    const char* chapter = nullptr;
    for (auto [first, last] : kChapters) {
      if (well_formed && category >= first && category <= last) chapter = first;
    }
    if (chapter == nullptr) {
      return bad_value(name, value, "ICD-10 の分類コードとして読めません (例: K297, K29.7)",
                       "not an ICD-10 code (e.g. K297, K29.7)");
    }
    std::string range;
    for (auto [first, last] : kChapters) {
      if (first == chapter) range = fmt::format("{}-{}", first, last);
    }
    std::vector<std::string> row{value};
    if (value.size() > 3)
      row.push_back(category);
    else
      row.push_back(value);
    row.push_back(range);
    row.push_back("*");
    rows.push_back(std::move(row));
  }
  return GeneralizationHierarchy::from_rows(std::move(rows), name);
}

namespace {

constexpr const char* kPrefectures[] = {
    "北海道", "青森県", "岩手県", "宮城県", "秋田県", "山形県",   "福島県", "茨城県",
    "栃木県", "群馬県", "埼玉県", "千葉県", "東京都", "神奈川県", "新潟県", "富山県",
    "石川県", "福井県", "山梨県", "長野県", "岐阜県", "静岡県",   "愛知県", "三重県",
    "滋賀県", "京都府", "大阪府", "兵庫県", "奈良県", "和歌山県", "鳥取県", "島根県",
    "岡山県", "広島県", "山口県", "徳島県", "香川県", "愛媛県",   "高知県", "福岡県",
    "佐賀県", "長崎県", "熊本県", "大分県", "宮崎県", "鹿児島県", "沖縄県"};
// Eight regions by the last prefecture code each holds.
constexpr std::pair<int, const char*> kRegions[] = {
    {1, "北海道地方"}, {7, "東北地方"},  {14, "関東地方"}, {23, "中部地方"},
    {30, "近畿地方"},  {35, "中国地方"}, {39, "四国地方"}, {47, "九州・沖縄地方"}};

const char* region_of(int pref) {
  for (auto [last, label] : kRegions) {
    if (pref <= last) return label;
  }
  return "*";
}

}  // namespace

std::string_view prefecture_of(std::string_view address) {
  for (const char* p : kPrefectures) {
    if (address.starts_with(p)) return p;
  }
  return {};
}

Result<GeneralizationHierarchy> build_prefecture_hierarchy(const std::vector<std::string>& values) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& value : values) {
    int pref = 0;
    for (int i = 0; i < 47; ++i) {
      if (value == kPrefectures[i]) pref = i + 1;
    }
    if (pref == 0) {
      return bad_value("prefecture", value, "都道府県名ではありません", "not a prefecture");
    }
    rows.push_back({value, region_of(pref), "*"});
  }
  return GeneralizationHierarchy::from_rows(std::move(rows), "prefecture");
}

Result<GeneralizationHierarchy> build_municipality_hierarchy(
    const std::vector<std::string>& values) {
  const std::string name = "municipality";
  std::vector<std::vector<std::string>> rows;
  for (const auto& value : values) {
    bool digits = (value.size() == 5 || value.size() == 6) && all_digits(value);
    int pref = digits ? std::stoi(value.substr(0, 2)) : 0;
    if (pref < 1 || pref > 47) {
      return bad_value(name, value,
                       "全国地方公共団体コード (5桁または6桁、先頭2桁が 01〜47) ではありません",
                       "not a local government code (5 or 6 digits, first two 01-47)");
    }
    rows.push_back({value, kPrefectures[pref - 1], region_of(pref), "*"});
  }
  return GeneralizationHierarchy::from_rows(std::move(rows), name);
}

Result<GeneralizationHierarchy> build_masking_hierarchy(const std::vector<std::string>& values) {
  const std::string name = "masking";
  std::size_t longest = 0;
  for (const auto& v : values) longest = std::max(longest, code_point_starts(v).size() - 1);
  std::vector<std::vector<std::string>> rows;
  for (const auto& value : values) {
    if (value.empty()) return bad_value(name, value, "空の値です", "empty value");
    auto starts = code_point_starts(value);
    std::size_t chars = starts.size() - 1;
    std::vector<std::string> row{value};
    for (std::size_t masked = 1; masked <= longest; ++masked) {
      std::size_t keep = masked >= chars ? 0 : chars - masked;
      row.push_back(value.substr(0, starts[keep]) + std::string(chars - keep, '*'));
    }
    row.push_back("*");
    rows.push_back(std::move(row));
  }
  return GeneralizationHierarchy::from_rows(std::move(rows), name);
}

}  // namespace tokumei::anon
