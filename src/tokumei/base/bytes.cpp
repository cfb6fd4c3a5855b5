#include "tokumei/base/bytes.h"

#include <array>
#include <cstring>

namespace tokumei {
namespace {

constexpr char kHex[] = "0123456789abcdef";
constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kB32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::unexpected<Error> bad_char(std::string_view what, std::size_t offset) {
  return fail(
      Errc::invalid_input,
      {std::string(what) + " の " + std::to_string(offset) + " バイト目に使えない文字があります",
       "invalid " + std::string(what) + " character at offset " + std::to_string(offset)});
}

}  // namespace

std::string hex_encode(ByteView data) {
  std::string out;
  out.reserve(data.size() * 2);
  for (auto b : data) {
    out += kHex[b >> 4];
    out += kHex[b & 0xf];
  }
  return out;
}

Result<Bytes> hex_decode(std::string_view text) {
  if (text.size() % 2 != 0) {
    return fail(Errc::invalid_input, {"16進文字列の長さが奇数です", "hex string has odd length"});
  }
  Bytes out(text.size() / 2);
  for (std::size_t i = 0; i < out.size(); ++i) {
    int hi = hex_value(text[2 * i]);
    int lo = hex_value(text[2 * i + 1]);
    if (hi < 0) return bad_char("hex", 2 * i);
    if (lo < 0) return bad_char("hex", 2 * i + 1);
    out[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return out;
}

std::string base64_encode(ByteView data) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    std::uint32_t v = data[i] << 16 | data[i + 1] << 8 | data[i + 2];
    out += kB64[v >> 18 & 63];
    out += kB64[v >> 12 & 63];
    out += kB64[v >> 6 & 63];
    out += kB64[v & 63];
  }
  if (std::size_t rest = data.size() - i; rest > 0) {
    std::uint32_t v = data[i] << 16 | (rest == 2 ? data[i + 1] << 8 : 0);
    out += kB64[v >> 18 & 63];
    out += kB64[v >> 12 & 63];
    out += rest == 2 ? kB64[v >> 6 & 63] : '=';
    out += '=';
  }
  return out;
}

Result<Bytes> base64_decode(std::string_view text) {
  std::array<int, 256> table;
  table.fill(-1);
  for (int i = 0; i < 64; ++i) table[static_cast<unsigned char>(kB64[i])] = i;
  Bytes out;
  out.reserve(text.size() / 4 * 3);
  std::uint32_t acc = 0;
  int bits = 0;
  std::size_t pad = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '=') {
      ++pad;
      continue;
    }
    if (pad > 0 || table[static_cast<unsigned char>(c)] < 0) return bad_char("base64", i);
    acc = acc << 6 | static_cast<std::uint32_t>(table[static_cast<unsigned char>(c)]);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<std::uint8_t>(acc >> bits & 0xff));
    }
  }
  std::size_t data_chars = text.size() - pad;
  // One leftover character cannot encode a byte, and the unused low bits of the last character
  // must be zero: anything else is truncated or corrupted input, never silently accepted.
  if (pad > 2 || (text.size() % 4 != 0 && pad > 0) || data_chars % 4 == 1 ||
      (bits > 0 && (acc & ((1u << bits) - 1)) != 0)) {
    return fail(Errc::invalid_input,
                {"base64 の長さまたはパディングが不正です（途中で切れている可能性があります）",
                 "bad base64 length or padding (truncated?)"});
  }
  return out;
}

std::string base32_encode(ByteView data) {
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (auto b : data) {
    acc = acc << 8 | b;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += kB32[acc >> bits & 31];
    }
  }
  if (bits > 0) out += kB32[acc << (5 - bits) & 31];
  return out;
}

Result<Bytes> base32_decode(std::string_view text) {
  Bytes out;
  std::uint32_t acc = 0;
  int bits = 0;
  std::size_t data_chars = text.find('=');
  if (data_chars == std::string_view::npos) data_chars = text.size();
  for (std::size_t i = data_chars; i < text.size(); ++i) {
    if (text[i] != '=') return bad_char("base32", i);
  }
  for (std::size_t i = 0; i < data_chars; ++i) {
    char c = text[i];
    int v;
    if (c >= 'A' && c <= 'Z') {
      v = c - 'A';
    } else if (c >= 'a' && c <= 'z') {
      v = c - 'a';
    } else if (c >= '2' && c <= '7') {
      v = c - '2' + 26;
    } else {
      return bad_char("base32", i);
    }
    acc = acc << 5 | static_cast<std::uint32_t>(v);
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<std::uint8_t>(acc >> bits & 0xff));
    }
  }
  // 1, 3 or 6 characters past a multiple of 8 cannot come from whole bytes.
  if (std::size_t rest = data_chars % 8; rest == 1 || rest == 3 || rest == 6) {
    return fail(Errc::invalid_input, {"base32 の長さが不正です（途中で切れている可能性があります）",
                                      "bad base32 length (truncated?)"});
  }
  return out;
}

void secure_wipe(void* data, std::size_t size) {
  volatile auto* p = static_cast<volatile unsigned char*>(data);
  while (size-- > 0) *p++ = 0;
}

bool constant_time_equal(ByteView a, ByteView b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= a[i] ^ b[i];
  return diff == 0;
}

}  // namespace tokumei
