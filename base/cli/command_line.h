// Command-line conventions shared by every nestedsgx tool (nsgx,
// nsgx-edger8r, nsgx-monitor), as the SGX SDK's and most Unix tools behave:
//   - `--version` prints "<tool> <version>" and exits 0; `--help` exits 0;
//   - a usage error (unknown option or command, missing argument, bad value)
//     prints the reason and a hint to stderr and exits 2 — never one of
//     CLI11's internal codes (105, 106, 109, ...);
//   - a command group called without a command (bare `nsgx`) prints its help
//     to stderr and exits 2;
//   - an unknown command gets "did you mean ...?" when one is close.
// Exit 1 stays with the tool: a verification or operation that failed.
//
//   CLI::App app{"nsgx-edger8r: ..."};
//   nsgx::cli::set_version(app, "nsgx-edger8r");
//   ... options ...
//   if (auto rc = nsgx::cli::parse_command_line(app, argc, argv)) return *rc;
#pragma once

#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "nsgx_version.h"

namespace nsgx::cli {

inline constexpr int kExitUsage = 2;

inline void set_version(CLI::App& app, const std::string& tool) {
  app.set_version_flag("--version", tool + " " + NSGX_VERSION_STRING, "print the version and exit");
}

// Levenshtein distance, for suggestions only (short strings).
inline std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0u : 1u)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

// The command of `group` closest to `word` (within a third of its length,
// at least 1; or one it begins), or empty.
inline std::string suggest_command(const CLI::App& group, const std::string& word) {
  std::string best;
  std::size_t best_d = std::max<std::size_t>(1, word.size() / 3) + 1;
  for (const CLI::App* sub : group.get_subcommands([](const CLI::App*) { return true; })) {
    const std::string& name = sub->get_name();
    if (name.empty()) continue;
    const std::size_t d = name.rfind(word, 0) == 0 && word.size() >= 2 ? 0 : edit_distance(word, name);
    if (d < best_d) {
      best_d = d;
      best = name;
    }
  }
  return best;
}

// The deepest command that was selected on the command line (the app itself if none).
inline CLI::App* selected_command(CLI::App& app) {
  CLI::App* at = &app;
  for (;;) {
    const auto subs = at->get_subcommands();
    if (subs.empty()) return at;
    at = subs.front();
  }
}

// "nsgx verify" for the verify group of nsgx.
inline std::string command_path(const CLI::App* at) {
  std::string path;
  for (; at != nullptr; at = at->get_parent()) {
    if (!path.empty()) path.insert(0, " ");
    path.insert(0, at->get_name());
  }
  return path;
}

inline bool is_group(const CLI::App* at) {
  return !at->get_subcommands([](const CLI::App*) { return true; }).empty();
}

// Parses; nullopt: go on (callbacks ran). Otherwise the exit status to return.
inline std::optional<int> parse_command_line(CLI::App& app, int argc, const char* const* argv) {
  try {
    app.parse(argc, argv);
    return std::nullopt;
  } catch (const CLI::CallForVersion& e) {  // before Success, which it derives from
    std::cout << e.what() << "\n";
    return 0;
  } catch (const CLI::Success& e) {  // --help
    return app.exit(e) == 0 ? 0 : kExitUsage;
  } catch (const CLI::ParseError& e) {
    CLI::App* at = selected_command(app);
    const std::string path = command_path(at);
    if (is_group(at) && at->get_subcommands().empty()) {
      // A group without its command: either a word that is none of its
      // commands (a typo), or nothing at all (bare `nsgx`).
      const auto extras = at->remaining();
      if (!extras.empty() && !extras.front().empty() && extras.front()[0] != '-') {
        std::cerr << path << ": '" << extras.front() << "' is not a command";
        if (const std::string s = suggest_command(*at, extras.front()); !s.empty())
          std::cerr << "; did you mean '" << s << "'?";
        std::cerr << "\nRun '" << path << " --help' for the list of commands.\n";
      } else {
        std::cerr << at->help() << "\n" << path << ": a command is required (listed above)\n";
      }
      return kExitUsage;
    }
    std::cerr << path << ": " << e.what() << "\nRun '" << path << " --help' for usage.\n";
    return kExitUsage;
  }
}

}  // namespace nsgx::cli
