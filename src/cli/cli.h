#pragma once
// Shared pieces of the `tokumei` command: the chosen language, output helpers and exit codes.

#include <CLI/CLI.hpp>
#include <chrono>
#include <iostream>
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

// What a command that works on a deployment is told: --dir, --passphrase-file, --terminal.
struct DeploymentArgs {
  std::string dir;
  std::string passphrase_file;
  std::string terminal = "local";
};
void add_deployment_options(CLI::App* cmd, const Globals& g, DeploymentArgs& args);
// The active account named by --user (until sessions come, the account is named, not logged in);
// Errc::permission_denied for a disabled one.
Result<security::Account> active_account(zones::Deployment& deployment, const std::string& user);

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

}  // namespace tokumei::cli
