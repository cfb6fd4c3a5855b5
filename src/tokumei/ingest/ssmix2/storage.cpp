#include "tokumei/ingest/ssmix2/storage.h"

#include <fmt/format.h>

#include <vector>

#include "tokumei/ingest/fields.h"

namespace tokumei::ingest::ssmix2 {
namespace {

// yyyyMMdd, a real month and day.
bool valid_date(std::string_view s) { return s.size() == 8 && !iso_datetime(s).empty(); }

// "ADT-00", "OMP-01", or a three-letter type without a number ("OMD").
bool valid_data_type(std::string_view s) {
  auto upper = [](char c) { return c >= 'A' && c <= 'Z'; };
  if (s.size() < 3 || !upper(s[0]) || !upper(s[1]) || !upper(s[2])) return false;
  return s.size() == 3 || (s.size() == 6 && s[3] == '-' && all_digits(s.substr(4)));
}

}  // namespace

Result<StoragePath> parse_storage_path(const std::filesystem::path& relative,
                                       const std::string& source) {
  auto refuse = [&](std::string field, std::string ja, std::string en) {
    return fail(Errc::invalid_input, {std::move(ja), std::move(en)},
                Location{.file = source, .field = std::move(field)});
  };
  std::vector<std::string> parts;
  for (const auto& p : relative) parts.push_back(p.string());
  if (parts.size() != 6) {
    return refuse("path",
                  fmt::format("標準化ストレージのパスは 患者ID先頭3桁/次の3桁/患者ID/日付/"
                              "データ種別/ファイル の 6 段ですが、{} 段です",
                              parts.size()),
                  fmt::format("a standardized-storage path has six parts (PID[0:3]/PID[3:6]/PID/"
                              "date/data type/file), this one has {}",
                              parts.size()));
  }
  const std::string& file = parts[5];
  const std::vector<std::string_view> name = split(file, '_');
  if (name.size() != 7) {
    return refuse("file name",
                  fmt::format("ファイル名は 患者ID_日付_データ種別_オーダNo_発生日時_診療科_状態 "
                              "の 7 項目ですが、{} 項目です",
                              name.size()),
                  fmt::format("the file name has {} parts, not seven (PID_date_datatype_orderNo_"
                              "eventTime_department_flag)",
                              name.size()));
  }
  StoragePath p{.patient_id = std::string(name[0]),
                .date = std::string(name[1]),
                .data_type = std::string(name[2]),
                .order_number = std::string(name[3]),
                .event_time = std::string(name[4]),
                .department = std::string(name[5])};
  auto disagree = [&](const char* what_ja, const char* what_en, const std::string& folder,
                      const std::string& in_name) {
    return refuse(what_en,
                  fmt::format("フォルダの{}「{}」とファイル名の{}「{}」が一致しません "
                              "(別の場所に置かれたファイル)",
                              what_ja, folder, what_ja, in_name),
                  fmt::format("the folder's {} \"{}\" differs from the file name's \"{}\" (a file "
                              "in the wrong place)",
                              what_en, folder, in_name));
  };
  if (p.patient_id.empty())
    return refuse("patient ID", "患者 ID が空です", "the patient ID is empty");
  if (parts[2] != p.patient_id) return disagree("患者ID", "patient ID", parts[2], p.patient_id);
  const std::string first = p.patient_id.substr(0, 3);
  const std::string second = p.patient_id.size() > 3 ? p.patient_id.substr(3, 3) : "";
  if (parts[0] != first || (!second.empty() && parts[1] != second)) {
    return disagree("患者ID", "patient ID", parts[0] + "/" + parts[1], first + "/" + second);
  }
  if (parts[3] != p.date) return disagree("日付", "date", parts[3], p.date);
  if (parts[4] != p.data_type) return disagree("データ種別", "data type", parts[4], p.data_type);
  if (p.date != "-" && !valid_date(p.date)) {
    return refuse("date", fmt::format("日付「{}」は yyyyMMdd でも - でもありません", p.date),
                  fmt::format("date \"{}\" is neither yyyyMMdd nor -", p.date));
  }
  if (!valid_data_type(p.data_type)) {
    return refuse("data type", fmt::format("データ種別「{}」の形が正しくありません", p.data_type),
                  fmt::format("data type \"{}\" is not of the form ABC-00", p.data_type));
  }
  if (p.event_time.size() != 17 || !all_digits(p.event_time)) {
    return refuse(
        "event time",
        fmt::format("発生日時「{}」は 17 桁の数字 (yyyyMMddHHmmssfff) ではありません",
                    p.event_time),
        fmt::format("event time \"{}\" is not 17 digits (yyyyMMddHHmmssfff)", p.event_time));
  }
  if (name[6] != "0" && name[6] != "1") {
    return refuse(
        "condition flag", fmt::format("状態フラグ「{}」は 1 (有効) か 0 (削除) です", name[6]),
        fmt::format("condition flag \"{}\" is neither 1 (valid) nor 0 (deleted)", name[6]));
  }
  p.deleted = name[6] == "0";
  return p;
}

}  // namespace tokumei::ingest::ssmix2
