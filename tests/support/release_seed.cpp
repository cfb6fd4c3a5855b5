#include "support/release_seed.h"

#include <fmt/format.h>

#include "tokumei/identity/vault.h"

namespace tokumei::testing {
namespace {

// SplitMix64: a small, deterministic generator for the synthetic values.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

Result<std::vector<std::string>> seed_batch(store::Database& db, crypto::KeyRing& keys,
                                            const Clock& clock, Random& random,
                                            const std::string& institution,
                                            const std::function<bool(SeedPerson&)>& next,
                                            const std::string& state) {
  identity::IdentityVault vault(db, keys, clock, random);
  TKM_RETURN_IF_ERROR(vault.prepare());
  TKM_ASSIGN_OR_RETURN(auto batch, db.insert("INSERT INTO ingest_batches (institution, state, "
                                             "created_ms, finished_ms) VALUES (?, ?, ?, ?)",
                                             {institution, state, to_unix_ms(clock.now()),
                                              to_unix_ms(clock.now())}));
  Bytes hash(32);
  random.fill(hash);
  TKM_ASSIGN_OR_RETURN(auto file, db.insert("INSERT INTO ingest_files (batch_id, institution, "
                                            "content_hash, outcome, record_type, path_sealed, "
                                            "events, created_ms) VALUES (?, ?, ?, 'read', 'seed', "
                                            "x'', 0, ?)",
                                            {*batch, institution, hash, to_unix_ms(clock.now())}));
  std::vector<std::string> person_keys;
  SeedPerson p;
  bool more = true;
  while (more) {
    TKM_ASSIGN_OR_RETURN(store::Transaction tx, db.begin());
    for (int n = 0; n < 5000 && (more = next(p)); ++n) {
      model::PersonIdentity id{.institution = institution,
                               .patient_id = p.patient_id,
                               .name_kanji = p.name,
                               .birth_date = p.birth_date,
                               .sex = p.sex,
                               .address = p.address};
      TKM_ASSIGN_OR_RETURN(std::string key, vault.admit(id, *batch));
      person_keys.push_back(key);
      for (const auto& e : p.events) {
        TKM_RETURN_IF_ERROR(db.execute(
            "INSERT INTO ingest_events (batch_id, file_id, person_key, type, code_system, code, "
            "date, value, unit, withdrawn, sealed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, x'')",
            {*batch, *file, key, e.type, e.system, e.code, e.date, e.value, e.unit}));
      }
    }
    TKM_RETURN_IF_ERROR(tx.commit());
  }
  return person_keys;
}

void synthetic_person(std::size_t i, int events, std::uint64_t seed, SeedPerson& out) {
  static const char* kDiagnoses[] = {"E119", "I10",  "E785", "K210", "J449", "M545", "N185",
                                     "I480", "E039", "F329", "C169", "I219", "J189", "K590"};
  static const char* kRare[] = {"Q870", "E750", "G710", "D821"};
  static const char* kDrugs[] = {"3969007F1023", "2149039F1020", "2189015F1023", "2325003F1020",
                                 "3961008F1024", "1149019F1020", "2171014F1020", "3399007H1021"};
  static const char* kLabs[] = {"3D010000001926101", "3F015000002327101", "3B035000002327201",
                                "2A990000001930952"};
  static const char* kPlaces[] = {"東京都新宿区西新宿2-8-1", "大阪府大阪市北区中之島1-3-20",
                                  "北海道札幌市中央区北1条西2", "福岡県福岡市中央区天神1-8-1",
                                  "愛知県名古屋市中区三の丸3-1-1"};
  std::uint64_t r = mix(seed ^ (i * 0x100000001b3ULL));
  auto draw = [&](std::uint64_t bound) {
    r = mix(r);
    return r % bound;
  };
  out.patient_id = fmt::format("P{:07}", i);
  out.name = fmt::format("合成 {}号", i);
  out.birth_date = fmt::format("{:04}-{:02}-{:02}", 1935 + draw(70), 1 + draw(12), 1 + draw(28));
  out.sex = draw(2) == 0 ? model::Sex::male : model::Sex::female;
  out.address = kPlaces[draw(5)];
  out.events.clear();
  const int n = events / 2 + static_cast<int>(draw(static_cast<std::uint64_t>(events) + 1));
  for (int e = 0; e < n; ++e) {
    const std::string date =
        fmt::format("{:04}-{:02}-{:02}", 2020 + draw(5), 1 + draw(12), 1 + draw(28));
    // A long tail, as in real data: an index into thousands of codes, most of them rare.
    auto tail = [&](std::uint64_t n) {
      const double u = static_cast<double>(draw(1u << 20)) / (1u << 20);
      return static_cast<std::uint64_t>(static_cast<double>(n) * u * u * u);
    };
    switch (draw(4)) {
      case 0: {
        // Skewed: the first codes are far more common than the last; one in three from the tail.
        if (draw(3) == 0) {
          const auto t = tail(3000);
          out.events.push_back({"diagnosis", "ICD10",
                                fmt::format("{}{:02}{}", static_cast<char>('A' + t % 26),
                                            t / 26 % 100, t / 2600 % 10),
                                date});
        } else {
          const auto k = std::min(draw(14), draw(14));
          out.events.push_back({"diagnosis", "ICD10", kDiagnoses[k], date});
        }
        break;
      }
      case 1:
        if (draw(3) == 0) {
          out.events.push_back(
              {"prescription", "YJ",
               fmt::format("{:04}{:03}F1{:03}", 1100 + tail(800), draw(20), draw(1000)), date});
        } else {
          out.events.push_back({"prescription", "YJ", kDrugs[draw(8)], date});
        }
        break;
      case 2:
        out.events.push_back({"lab_result", "JLAC10",
                              draw(4) == 0 ? fmt::format("3A{:03}000001923101", tail(300))
                                           : std::string(kLabs[draw(4)]),
                              date, fmt::format("{}.{}", 3 + draw(10), draw(10)), "mg/dL"});
        break;
      default:
        out.events.push_back({"diagnosis", "ICD10", kDiagnoses[draw(3)], date});
    }
  }
  if (i % 997 == 13) out.events.push_back({"diagnosis", "ICD10", kRare[i % 4], "2022-02-02"});
}

}  // namespace tokumei::testing
