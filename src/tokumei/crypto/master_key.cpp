#include "tokumei/crypto/master_key.h"

#include "tokumei/base/files.h"

namespace tokumei::crypto {
namespace {
constexpr std::string_view kHeader = "tokumei-master-key-v1 ";
}

Status create_master_key_file(const std::filesystem::path& path, Random& random) {
  SecretBytes key(kMasterKeySize);
  random.fill(key.span());
  std::string text = std::string(kHeader) + base64_encode(key.view()) + "\n";
  Status s = create_file_exclusive(path, as_bytes(text), 0600);
  secure_wipe(text.data(), text.size());
  return s;
}

Result<SecretBytes> read_master_key_file(const std::filesystem::path& path) {
  TKM_RETURN_IF_ERROR(require_owner_only(path, {"マスター鍵ファイル", "master key file"}));
  Location where{.file = path.string()};
  TKM_ASSIGN_OR_RETURN(std::string text, read_file(path));
  auto wipe_text = [&] { secure_wipe(text.data(), text.size()); };
  if (!text.starts_with(kHeader)) {
    wipe_text();
    return fail(Errc::invalid_input,
                {"マスター鍵ファイルの形式が違います（先頭に tokumei-master-key-v1 がありません）",
                 "not a Tokumei master key file (missing tokumei-master-key-v1 header)"},
                where);
  }
  std::string_view body(text);
  body.remove_prefix(kHeader.size());
  while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.remove_suffix(1);
  auto decoded = base64_decode(body);
  wipe_text();
  if (!decoded || decoded->size() != kMasterKeySize) {
    if (decoded) secure_wipe(decoded->data(), decoded->size());
    return fail(Errc::invalid_input,
                {"マスター鍵ファイルの鍵が壊れています（32 バイトの base64 ではありません）",
                 "master key file is damaged (not 32 bytes of base64)"},
                where);
  }
  SecretBytes key(*decoded);
  secure_wipe(decoded->data(), decoded->size());
  return key;
}

}  // namespace tokumei::crypto
