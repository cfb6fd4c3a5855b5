#include "tokumei/anon/job.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <set>

#include "tokumei/base/files.h"

namespace tokumei::anon {
namespace {

// Walks a parsed job, turning every problem into an error located at the file, line and key.
class JobReader {
 public:
  JobReader(std::string source, std::filesystem::path base)
      : source_(std::move(source)), base_(std::move(base)) {}

  std::unexpected<Error> error(const toml::node* node, const std::string& key, std::string ja,
                               std::string en) const {
    Location at{.file = source_, .field = key};
    if (node != nullptr) {
      at.line = static_cast<int>(node->source().begin.line);
      at.column = static_cast<int>(node->source().begin.column);
    }
    return fail(Errc::invalid_input, {std::move(ja), std::move(en)}, std::move(at));
  }

  // Refuses keys of `table` not in `allowed`.
  Status only(const toml::table& table, const std::string& prefix,
              std::initializer_list<std::string_view> allowed) const {
    for (const auto& [k, v] : table) {
      bool known = false;
      for (auto a : allowed) known = known || k.str() == a;
      if (known) continue;
      std::string list;
      for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      std::string key = prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
      return error(&v, key, fmt::format("不明なキー「{}」です (使えるキー: {})", key, list),
                   fmt::format("unknown key \"{}\" (known keys: {})", key, list));
    }
    return ok();
  }

  template <class T>
  Result<std::optional<T>> get(const toml::table& table, const std::string& prefix,
                               std::string_view name) const {
    const toml::node* node = table.get(name);
    std::string key = prefix.empty() ? std::string(name) : prefix + "." + std::string(name);
    if (node == nullptr) return std::optional<T>{};
    lines_[key] = static_cast<int>(node->source().begin.line);
    if constexpr (std::is_same_v<T, double>) {
      if (auto v = node->value<double>()) return std::optional<T>{*v};
      return error(node, key, fmt::format("「{}」は数値にしてください", key),
                   fmt::format("\"{}\" must be a number", key));
    } else if constexpr (std::is_same_v<T, std::int64_t>) {
      if (node->is_integer()) return std::optional<T>{*node->value<std::int64_t>()};
      return error(node, key, fmt::format("「{}」は整数にしてください", key),
                   fmt::format("\"{}\" must be an integer", key));
    } else {
      if (node->is_string()) return std::optional<T>{*node->value<std::string>()};
      return error(node, key, fmt::format("「{}」は文字列にしてください", key),
                   fmt::format("\"{}\" must be a string", key));
    }
  }

  template <class T>
  Result<std::vector<T>> get_array(const toml::table& table, const std::string& prefix,
                                   std::string_view name) const {
    std::vector<T> out;
    const toml::node* node = table.get(name);
    std::string key = prefix + "." + std::string(name);
    if (node == nullptr) return out;
    const toml::array* array = node->as_array();
    bool good = array != nullptr;
    if (good) {
      for (const auto& e : *array) {
        std::optional<T> v;
        if constexpr (std::is_same_v<T, std::string>)
          v = e.value<std::string>();
        else if constexpr (std::is_same_v<T, int>) {
          if (e.is_integer()) v = static_cast<int>(*e.value<std::int64_t>());
        } else
          v = e.value<double>();
        if (!v) {
          good = false;
          break;
        }
        out.push_back(*v);
      }
    }
    if (!good) {
      return error(node, key, fmt::format("「{}」の配列の要素の型が正しくありません", key),
                   fmt::format("\"{}\" must be an array of the right type", key));
    }
    return out;
  }

  std::filesystem::path resolve(const std::string& path) const {
    std::filesystem::path p(path);
    return p.is_absolute() ? p : base_ / p;
  }

  const std::string& source() const { return source_; }
  std::map<std::string, int>& lines() const { return lines_; }

 private:
  std::string source_;
  mutable std::map<std::string, int> lines_;
  std::filesystem::path base_;
};

Result<Job> read_job(const toml::table& root, const JobReader& r) {
  Job job;
  job.source = r.source();
  TKM_RETURN_IF_ERROR(
      r.only(root, "", {"input", "output", "model", "attributes", "report", "threads"}));

  const toml::table* input = root["input"].as_table();
  if (input == nullptr) {
    return r.error(nullptr, "input.path", "[input] の path (入力 CSV) がありません",
                   "[input] path (the input CSV) is missing");
  }
  TKM_RETURN_IF_ERROR(r.only(*input, "input", {"path", "delimiter"}));
  TKM_ASSIGN_OR_RETURN(auto in_path, r.get<std::string>(*input, "input", "path"));
  if (!in_path) {
    return r.error(input, "input.path", "[input] の path (入力 CSV) がありません",
                   "[input] path (the input CSV) is missing");
  }
  job.input = r.resolve(*in_path);
  TKM_ASSIGN_OR_RETURN(auto delimiter, r.get<std::string>(*input, "input", "delimiter"));
  if (delimiter) {
    if (*delimiter != ";" && *delimiter != ",") {
      return r.error(input->get("delimiter"), "input.delimiter",
                     "delimiter は \";\" か \",\" にしてください",
                     "delimiter must be \";\" or \",\"");
    }
    job.csv.delimiter = (*delimiter)[0];
  }

  if (const toml::table* output = root["output"].as_table()) {
    TKM_RETURN_IF_ERROR(r.only(*output, "output", {"path", "report"}));
    TKM_ASSIGN_OR_RETURN(auto out, r.get<std::string>(*output, "output", "path"));
    if (out) job.output = r.resolve(*out);
    TKM_ASSIGN_OR_RETURN(auto report, r.get<std::string>(*output, "output", "report"));
    if (report) job.report = r.resolve(*report);
  }
  if (const toml::table* report = root["report"].as_table()) {
    TKM_RETURN_IF_ERROR(r.only(*report, "report", {"risk_threshold"}));
    TKM_ASSIGN_OR_RETURN(auto t, r.get<double>(*report, "report", "risk_threshold"));
    if (t) job.risk_threshold = *t;
  }
  TKM_ASSIGN_OR_RETURN(auto threads, r.get<std::int64_t>(root, "", "threads"));
  if (threads) job.threads = static_cast<int>(*threads);

  const toml::table* model = root["model"].as_table();
  if (model == nullptr) {
    return r.error(nullptr, "model", "[model] (プライバシーモデル) がありません",
                   "[model] (the privacy model) is missing");
  }
  TKM_RETURN_IF_ERROR(r.only(*model, "model",
                             {"k", "suppression_limit", "highest_risk", "average_risk", "metric",
                              "gs_factor", "l_diversity", "t_closeness"}));
  TKM_ASSIGN_OR_RETURN(auto k, r.get<std::int64_t>(*model, "model", "k"));
  if (k) job.model.k = static_cast<int>(*k);
  TKM_ASSIGN_OR_RETURN(auto limit, r.get<double>(*model, "model", "suppression_limit"));
  if (limit) job.model.suppression_limit = *limit;
  TKM_ASSIGN_OR_RETURN(auto highest, r.get<double>(*model, "model", "highest_risk"));
  if (highest) job.model.highest_risk = *highest;
  TKM_ASSIGN_OR_RETURN(auto average, r.get<double>(*model, "model", "average_risk"));
  if (average) job.model.average_risk = *average;
  TKM_ASSIGN_OR_RETURN(auto metric, r.get<std::string>(*model, "model", "metric"));
  if (metric) {
    auto m = parse_metric(*metric);
    if (!m) {
      return r.error(model->get("metric"), "model.metric",
                     fmt::format("不明な指標「{}」です (loss, entropy, discernibility, "
                                 "average_class_size, precision)",
                                 *metric),
                     fmt::format("unknown metric \"{}\" (loss, entropy, discernibility, "
                                 "average_class_size, precision)",
                                 *metric));
    }
    job.metric.metric = *m;
  }
  TKM_ASSIGN_OR_RETURN(auto gs, r.get<double>(*model, "model", "gs_factor"));
  if (gs) job.metric.gs_factor = *gs;

  auto each_table = [&](std::string_view name, auto&& visit) -> Status {
    const toml::node* node = model->get(name);
    if (node == nullptr) return ok();
    std::string key = "model." + std::string(name);
    const toml::array* array = node->as_array();
    if (array == nullptr) {
      return r.error(node, key, fmt::format("[[{}]] の表の配列として書いてください", key),
                     fmt::format("write \"{}\" as an array of tables ([[{}]])", key, key));
    }
    for (const auto& e : *array) {
      const toml::table* t = e.as_table();
      if (t == nullptr) {
        return r.error(&e, key, fmt::format("[[{}]] の要素は表にしてください", key),
                       fmt::format("each \"{}\" entry must be a table", key));
      }
      TKM_RETURN_IF_ERROR(visit(*t, key));
    }
    return ok();
  };
  TKM_RETURN_IF_ERROR(
      each_table("l_diversity", [&](const toml::table& t, const std::string& key) -> Status {
        TKM_RETURN_IF_ERROR(r.only(t, key, {"attribute", "variant", "l", "c"}));
        LDiversity l;
        TKM_ASSIGN_OR_RETURN(auto attribute, r.get<std::string>(t, key, "attribute"));
        if (!attribute) {
          return r.error(&t, key + ".attribute", "attribute (機微属性の列) がありません",
                         "attribute (the sensitive column) is missing");
        }
        l.attribute = *attribute;
        TKM_ASSIGN_OR_RETURN(auto variant, r.get<std::string>(t, key, "variant"));
        if (variant) {
          if (*variant == "distinct")
            l.variant = LDiversity::Variant::distinct;
          else if (*variant == "entropy")
            l.variant = LDiversity::Variant::entropy;
          else if (*variant == "recursive")
            l.variant = LDiversity::Variant::recursive;
          else {
            return r.error(
                t.get("variant"), key + ".variant",
                fmt::format("不明な種類「{}」です (distinct, entropy, recursive)", *variant),
                fmt::format("unknown variant \"{}\" (distinct, entropy, recursive)", *variant));
          }
        }
        TKM_ASSIGN_OR_RETURN(auto lv, r.get<double>(t, key, "l"));
        if (lv) l.l = *lv;
        TKM_ASSIGN_OR_RETURN(auto c, r.get<double>(t, key, "c"));
        if (c) l.c = *c;
        job.model.l_diversity.push_back(l);
        return ok();
      }));
  TKM_RETURN_IF_ERROR(
      each_table("t_closeness", [&](const toml::table& t, const std::string& key) -> Status {
        TKM_RETURN_IF_ERROR(r.only(t, key, {"attribute", "distance", "t"}));
        TCloseness c;
        TKM_ASSIGN_OR_RETURN(auto attribute, r.get<std::string>(t, key, "attribute"));
        if (!attribute) {
          return r.error(&t, key + ".attribute", "attribute (機微属性の列) がありません",
                         "attribute (the sensitive column) is missing");
        }
        c.attribute = *attribute;
        TKM_ASSIGN_OR_RETURN(auto distance, r.get<std::string>(t, key, "distance"));
        if (distance) {
          if (*distance == "equal")
            c.distance = TCloseness::Distance::equal;
          else if (*distance == "hierarchical")
            c.distance = TCloseness::Distance::hierarchical;
          else {
            return r.error(t.get("distance"), key + ".distance",
                           fmt::format("不明な距離「{}」です (equal, hierarchical)", *distance),
                           fmt::format("unknown distance \"{}\" (equal, hierarchical)", *distance));
          }
        }
        TKM_ASSIGN_OR_RETURN(auto tv, r.get<double>(t, key, "t"));
        if (tv) c.t = *tv;
        job.model.t_closeness.push_back(c);
        return ok();
      }));

  const toml::table* attributes = root["attributes"].as_table();
  if (attributes == nullptr || attributes->empty()) {
    return r.error(nullptr, "attributes", "[attributes.<列名>] で各列の役割を指定してください",
                   "give every column a role with [attributes.<column>]");
  }
  for (const auto& [name, node] : *attributes) {
    std::string key = "attributes." + std::string(name.str());
    const toml::table* t = node.as_table();
    if (t == nullptr) {
      return r.error(&node, key, fmt::format("「{}」は表 ([{}]) にしてください", key, key),
                     fmt::format("\"{}\" must be a table ([{}])", key, key));
    }
    TKM_RETURN_IF_ERROR(r.only(
        *t, key, {"role", "hierarchy", "builder", "bottom", "top", "widths", "levels", "lengths"}));
    JobAttribute a;
    a.column = std::string(name.str());
    r.lines()[key] = static_cast<int>(t->source().begin.line);
    TKM_ASSIGN_OR_RETURN(auto role, r.get<std::string>(*t, key, "role"));
    auto parsed = role ? parse_role(*role) : std::nullopt;
    if (!parsed) {
      return r.error(t, key + ".role",
                     fmt::format("「{}」の role は identifying, quasi_identifying, sensitive, "
                                 "insensitive のいずれかにしてください",
                                 a.column),
                     fmt::format("the role of \"{}\" must be identifying, quasi_identifying, "
                                 "sensitive or insensitive",
                                 a.column));
    }
    a.role = *parsed;
    TKM_ASSIGN_OR_RETURN(auto file, r.get<std::string>(*t, key, "hierarchy"));
    TKM_ASSIGN_OR_RETURN(auto builder, r.get<std::string>(*t, key, "builder"));
    if (file && builder) {
      return r.error(t, key, "hierarchy と builder は一方だけ指定してください",
                     "give either hierarchy or builder, not both");
    }
    if (file || builder) {
      HierarchySource h;
      h.line = static_cast<int>(t->source().begin.line);
      if (file) h.file = r.resolve(*file);
      if (builder) {
        static const std::set<std::string> kBuilders{"intervals", "dates",        "prefix",
                                                     "icd10",     "municipality", "masking"};
        if (!kBuilders.contains(*builder)) {
          return r.error(t->get("builder"), key + ".builder",
                         fmt::format("不明な builder「{}」です (intervals, dates, prefix, icd10, "
                                     "municipality, masking)",
                                     *builder),
                         fmt::format("unknown builder \"{}\" (intervals, dates, prefix, icd10, "
                                     "municipality, masking)",
                                     *builder));
        }
        h.builder = *builder;
        TKM_ASSIGN_OR_RETURN(auto bottom, r.get<double>(*t, key, "bottom"));
        TKM_ASSIGN_OR_RETURN(auto top, r.get<double>(*t, key, "top"));
        if (bottom) h.intervals.bottom = *bottom;
        if (top) h.intervals.top = *top;
        TKM_ASSIGN_OR_RETURN(h.intervals.widths, r.get_array<double>(*t, key, "widths"));
        TKM_ASSIGN_OR_RETURN(h.date_levels, r.get_array<std::string>(*t, key, "levels"));
        TKM_ASSIGN_OR_RETURN(h.prefix_lengths, r.get_array<int>(*t, key, "lengths"));
      }
      a.hierarchy = std::move(h);
    }
    job.attributes.push_back(std::move(a));
  }
  job.lines = r.lines();
  return job;
}

}  // namespace

Result<Job> parse_job(std::string_view text, const std::string& source,
                      const std::filesystem::path& base_dir) {
  toml::table parsed;
  try {
    parsed = toml::parse(text, std::string_view(source));
  } catch (const toml::parse_error& e) {
    return fail(Errc::invalid_input,
                {fmt::format("TOML の構文エラー: {}", e.description()),
                 fmt::format("TOML syntax error: {}", e.description())},
                Location{.file = source,
                         .line = static_cast<int>(e.source().begin.line),
                         .column = static_cast<int>(e.source().begin.column)});
  }
  return read_job(parsed, JobReader(source, base_dir));
}

Result<Job> load_job(const std::filesystem::path& path) {
  TKM_ASSIGN_OR_RETURN(std::string text, read_file(path));
  return parse_job(text, path.string(), path.parent_path());
}

Error locate(const Job& job, Error error) {
  const Location& where = error.where();
  if (!where.file.empty() || where.field.empty()) return error;
  std::string field = where.field;
  for (const std::string& key : {"model." + field, "attributes." + field, field}) {
    if (auto it = job.lines.find(key); it != job.lines.end()) {
      return Error(error.code(), error.text(),
                   Location{.file = job.source, .line = it->second, .field = key});
    }
  }
  return Error(error.code(), error.text(), Location{.file = job.source, .field = field});
}

namespace {

// The hierarchy of `column` as `h` describes it. A builder's error is placed at the job line of
// the attribute.
Result<GeneralizationHierarchy> hierarchy_of(const Job& job, const std::string& column,
                                             const HierarchySource& h, const Table& table) {
  if (!h.file.empty()) return GeneralizationHierarchy::read(h.file);
  const std::string key = "attributes." + column;
  int c = table.find_column(column);
  if (c < 0) {
    return fail(Errc::invalid_input,
                {fmt::format("列「{}」は表にありません", column),
                 fmt::format("column \"{}\" is not in the table", column)},
                Location{.file = job.source, .line = h.line, .field = key});
  }
  const auto& values = table.column(c).dictionary.values();
  Result<GeneralizationHierarchy> built =
      h.builder == "intervals"      ? build_interval_hierarchy(values, h.intervals)
      : h.builder == "dates"        ? build_date_hierarchy(values, h.date_levels)
      : h.builder == "prefix"       ? build_prefix_hierarchy(values, h.prefix_lengths)
      : h.builder == "icd10"        ? build_icd10_chapter_hierarchy(values)
      : h.builder == "municipality" ? build_municipality_hierarchy(values)
                                    : build_masking_hierarchy(values);  // read_job checked the name
  if (!built) {
    const Error& e = built.error();
    return fail(Error(
        e.code(), e.text(),
        Location{.file = job.source, .line = h.line, .field = key + " (" + e.where().field + ")"}));
  }
  return built;
}

}  // namespace

Result<AnonymizationSpec> make_spec(const Job& job, const Table& table) {
  AnonymizationSpec spec;
  spec.model = job.model;
  spec.metric = job.metric;
  spec.threads = job.threads;
  for (const auto& a : job.attributes) {
    AttributeSpec s{.column = a.column, .role = a.role};
    if (a.hierarchy) {
      TKM_ASSIGN_OR_RETURN(s.hierarchy, hierarchy_of(job, a.column, *a.hierarchy, table));
    }
    spec.attributes.push_back(std::move(s));
  }
  return spec;
}

}  // namespace tokumei::anon
