// Cost of the crypto primitives on the paths that run per record or per login.

#include <benchmark/benchmark.h>

#include <cstdlib>

#include "tokumei/crypto/aead.h"
#include "tokumei/crypto/hash.h"
#include "tokumei/crypto/password_hash.h"
#include "tokumei/crypto/signature.h"
#include "tokumei/crypto/totp.h"

namespace tokumei::crypto {
namespace {

void BM_Aes256GcmSeal(benchmark::State& state) {
  Bytes key(kAeadKeySize, 0x11);
  Bytes nonce(kAeadNonceSize, 0x22);
  Bytes aad(16, 0x33);
  Bytes plaintext(static_cast<std::size_t>(state.range(0)), 0x44);
  for (auto _ : state) {
    auto sealed = aes256gcm_seal(key, nonce, aad, plaintext);
    if (!sealed) state.SkipWithError("seal failed");
    benchmark::DoNotOptimize(sealed);
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Aes256GcmSeal)->Arg(64)->Arg(4096);

void BM_HmacSha256_32B(benchmark::State& state) {
  Bytes key(32, 0x0b);
  Bytes message(32, 0x5a);
  for (auto _ : state) {
    Digest mac = hmac_sha256(key, message);
    benchmark::DoNotOptimize(mac);
  }
  state.SetBytesProcessed(state.iterations() * 32);
}
BENCHMARK(BM_HmacSha256_32B);

Ed25519PrivateKey bench_key() {
  auto key = Ed25519PrivateKey::from_seed(Bytes(kEd25519SeedSize, 0x07));
  if (!key) std::abort();
  return std::move(*key);
}

void BM_Ed25519Sign(benchmark::State& state) {
  Ed25519PrivateKey key = bench_key();
  Bytes message(64, 0x5a);
  for (auto _ : state) {
    Bytes sig = key.sign(message);
    benchmark::DoNotOptimize(sig);
  }
}
BENCHMARK(BM_Ed25519Sign);

void BM_Ed25519Verify(benchmark::State& state) {
  Ed25519PrivateKey key = bench_key();
  Bytes public_key = key.public_key();
  Bytes message(64, 0x5a);
  Bytes sig = key.sign(message);
  for (auto _ : state) {
    bool valid = ed25519_verify(public_key, message, sig);
    if (!valid) state.SkipWithError("verify failed");
    benchmark::DoNotOptimize(valid);
  }
}
BENCHMARK(BM_Ed25519Verify);

// Default parameters (64 MiB, t = 3, p = 1): the cost of one login.
void BM_Argon2idHashDefault(benchmark::State& state) {
  SeededRandom random(1);
  Argon2Params params;
  for (auto _ : state) {
    auto encoded = argon2id_hash_password("correct horse battery staple", params, random);
    if (!encoded) state.SkipWithError("hash failed");
    benchmark::DoNotOptimize(encoded);
  }
}
BENCHMARK(BM_Argon2idHashDefault)->Unit(benchmark::kMillisecond)->Iterations(3);

void BM_TotpCode(benchmark::State& state) {
  Bytes secret(20, 0x31);
  TotpParams params;
  std::int64_t t = 1'700'000'000;
  for (auto _ : state) {
    auto code = totp_code(secret, t, params);
    if (!code) state.SkipWithError("totp failed");
    benchmark::DoNotOptimize(code);
    t += 30;
  }
}
BENCHMARK(BM_TotpCode);

}  // namespace
}  // namespace tokumei::crypto
