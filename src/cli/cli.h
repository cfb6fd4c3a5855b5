#pragma once
// Shared pieces of the `tokumei` command: the chosen language, output helpers and exit codes.

#include <CLI/CLI.hpp>
#include <chrono>
#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "tokumei/base/error.h"
#include "tokumei/zones/deployment.h"

namespace tokumei::cli {

// Exit codes (documented in `tokumei --help`).
enum Exit : int {
  kOk = 0,
  kFailed = 1,   // the command ran and failed, or found problems
  kUsage = 2,    // wrong arguments
  kRefused = 3,  // refused to touch something that exists (init on an existing deployment)
};

struct Globals {
  Lang lang = Lang::ja;
  bool json = false;
};

// Picks the message in the chosen language.
inline const std::string& tr(const Globals& g, const Text& t) { return t.in(g.lang); }
inline std::string tr(const Globals& g, const char* ja, const char* en) {
  return g.lang == Lang::ja ? ja : en;
}

// Prints `j` indented, for --json.
inline void print_json(const nlohmann::json& j) { std::cout << j.dump(2) << "\n"; }

// Prints an error (located, in the chosen language) to stderr and returns the exit code for it.
int report_error(const Globals& g, const Error& e);

// A progress line on stderr for a person at a terminal (never with --json), shown once the work
// has run for a second so quick runs stay quiet; its line is ended when it goes out of scope.
class ProgressLine {
 public:
  explicit ProgressLine(const Globals& g);
  ~ProgressLine();
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;
  // Rewrites the line with `text` when it is due.
  void show(const std::string& text);

 private:
  bool tty_;
  std::chrono::steady_clock::time_point started_;
  bool shown_ = false;
};

// Reads a passphrase from the first line of `path`.
Result<std::string> read_passphrase_file(const std::string& path);

// What a command that works on a deployment is told: --dir, --passphrase-file, --terminal, and
// the session token of `tokumei login` (--session, or TOKUMEI_SESSION in the environment).
struct DeploymentArgs {
  std::string dir;
  std::string passphrase_file;
  std::string terminal = "local";
  std::string session;
  // --session, else TOKUMEI_SESSION.
  std::string session_token() const;
};
void add_deployment_options(CLI::App* cmd, const Globals& g, DeploymentArgs& args);
// The logged-in person, if their session is alive on this terminal and their role may perform
// `op` (AUTHZ-02); every refusal is in the audit log.
Result<security::AuthContext> authorize(zones::Deployment& deployment, const DeploymentArgs& args,
                                        security::Operation op);
// Opens the deployment, authorizes `op` and runs `body`; any error is reported and sets the exit
// code.
void with_session(
    const Globals& g, const DeploymentArgs& args, security::Operation op, int* exit_code,
    const std::function<Status(zones::Deployment&, const security::AuthContext&)>& body);
// Reads one line of a secret from standard input (a password or a code), without echo on a
// terminal; `prompt` goes to stderr when stdin is a terminal.
Result<std::string> read_secret_line(const std::string& prompt);

// The start of a Japanese day (UTC+9) written in any form identity::normalize_date reads.
Result<TimePoint> japanese_day_start(const std::string& text);

// Opens the deployment the arguments name.
Result<std::unique_ptr<zones::Deployment>> open_deployment(const DeploymentArgs& args,
                                                           const Clock& clock, Random& random);

void add_version(CLI::App& app, const Globals& g, int* exit_code);
void add_init(CLI::App& app, const Globals& g, int* exit_code);
void add_doctor(CLI::App& app, const Globals& g, int* exit_code);
void add_anonymize(CLI::App& app, const Globals& g, int* exit_code);
void add_ingest(CLI::App& app, const Globals& g, int* exit_code);
void add_synth(CLI::App& app, const Globals& g, int* exit_code);
void add_link(CLI::App& app, const Globals& g, int* exit_code);
void add_quality(CLI::App& app, const Globals& g, int* exit_code);  // check, findings, acquire
void add_correct(CLI::App& app, const Globals& g, int* exit_code);
void add_consent(CLI::App& app, const Globals& g,
                 int* exit_code);  // notification, optout, inquiry
// login, logout, password, account, terminal
void add_security(CLI::App& app, const Globals& g, int* exit_code);
// audit, monitor, incident, exit, breakglass
void add_audit(CLI::App& app, const Globals& g, int* exit_code);
// registry, request, committee, contract, build, package, approve, ledger, open
void add_release(CLI::App& app, const Globals& g, int* exit_code);

}  // namespace tokumei::cli
