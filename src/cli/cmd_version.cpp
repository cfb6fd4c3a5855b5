#include <openssl/crypto.h>
#include <sqlite3.h>

#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "tokumei/base/version.h"

namespace tokumei::cli {

void add_version(CLI::App& app, const Globals& g, int* exit_code) {
  auto* cmd = app.add_subcommand(
      "version", tr(g, "版とライブラリの版を表示する", "show the version and library versions"));
  cmd->callback([&g, exit_code] {
    if (g.json) {
      std::cout << nlohmann::json{{"tokumei", kVersion},
                                  {"openssl", OpenSSL_version(OPENSSL_VERSION)},
                                  {"sqlite", sqlite3_libversion()}}
                       .dump(2)
                << "\n";
    } else {
      std::cout << "tokumei " << kVersion << "\n"
                << "  OpenSSL: " << OpenSSL_version(OPENSSL_VERSION) << "\n"
                << "  SQLite:  " << sqlite3_libversion() << "\n";
    }
    *exit_code = kOk;
  });
}

}  // namespace tokumei::cli
