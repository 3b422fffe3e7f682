// `nsgx gdb [--gdb PROGRAM] [GDB OPTIONS...] -- APP [ARGS...]`: gdb on an
// SGX application with enclave symbols, breakpoints and stepping inside
// debug enclaves (docs/user-guide.md "Debugging enclaves").
//
// By default the application runs on the inproc backend, under `nsgx exec`
// as gdb's exec wrapper, so enclave code runs in the process gdb traces.
// With --isolated it runs on the isolated backend, and the extension
// attaches the enclave host of each debug enclave as a second inferior —
// which only the enclave's owner can, and only for debug enclaves
// (docs/threat-model.md "Debugging"). gdb loads tools/gdb/nsgx_gdb.py,
// which follows the untrusted runtime's debugger interface
// (sdk/include/nsgx_debugger.h). Under the system monitor, whose hosts
// belong to its user, the extension instead connects gdb (`target remote |
// nsgx gdb --stub PID`) to the enclave's debugging stub, which the monitor
// lends to the enclave's owner only (docs/monitor-interface.md "Debugging").
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "base/install_layout.h"
#include "runtime/isolated/channel.h"
#include "runtime/isolated/paths.h"
#include "tools/nsgx/commands.h"

namespace nsgx::cli {

namespace {

std::string self_path() {
  std::string buf(4096, '\0');
  const ssize_t n = readlink("/proc/self/exe", buf.data(), buf.size() - 1);
  if (n <= 0) return "nsgx";
  buf.resize(static_cast<std::size_t>(n));
  return buf;
}

std::string plugin_path() {
  if (const char* p = std::getenv("NSGX_GDB_PLUGIN"); p && *p) return p;
  if (const std::string prefix = installed_prefix(); !prefix.empty())
    return prefix + "/share/nestedsgx/gdb/nsgx_gdb.py";
  return NSGX_GDB_PLUGIN_SOURCE_PATH;
}

// gdb hands exec-wrapper to /bin/sh: one single-quoted word.
std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (const char c : s) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

// 1: the monitor refused, or none could be asked.
constexpr int kExitRefused = 1;

bool write_all(int fd, const char* p, std::size_t n) {
  while (n > 0) {
    const ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

// `nsgx gdb --stub PID`: standard input and output joined to the debugging
// stub of the debug enclave whose host has that pid, asked of the monitor
// daemon this user's applications use (the system monitor, or
// $NSGX_MONITOR_SOCKET). The session lasts as long as this process.
int run_stub(const std::string& pid_arg) {
  char* end = nullptr;
  errno = 0;
  const unsigned long pid = std::strtoul(pid_arg.c_str(), &end, 10);
  if (pid_arg.empty() || *end != '\0' || errno != 0 || pid == 0 || pid > 0x7fffffff) {
    std::cerr << "nsgx gdb --stub: '" << pid_arg << "' is not a process id\n";
    return kExitBadInput;
  }
  std::string why;
  const isolated::FoundMonitor found = isolated::find_monitor(&why);
  if (found.conn.fd < 0) {
    std::cerr << "nsgx gdb --stub: no monitor daemon to ask" << (why.empty() ? std::string() : ": " + why)
              << " (an enclave of a private monitor runs in a host of your own: gdb attaches to it)\n";
    return kExitRefused;
  }
  const int mon = found.conn.fd;
  const isolated::DebugAttach req{static_cast<std::uint32_t>(pid), 0};
  isolated::Message reply;
  if (isolated::send_message(mon, isolated::Header{isolated::Op::kDebugAttach, 1, 0}, isolated::bytes_of(req)) != 0 ||
      isolated::recv_message(mon, reply) != 1 || reply.header.op != isolated::Op::kReply) {
    std::cerr << "nsgx gdb --stub: the monitor did not answer\n";
    return kExitRefused;
  }
  const auto r = isolated::parse<isolated::Reply>(reply.body);
  if (!r || r->err != 0) {
    const int err = r ? -r->err : EPROTO;
    const char* what = err == ESRCH   ? "no enclave host with that pid is served by this monitor"
                       : err == EPERM ? "the enclave is not yours (only the user who created it may debug it)"
                       : err == EACCES
                           ? "not a debug enclave (SECS.ATTRIBUTES.DEBUG is clear): no debugger may reach it"
                       : err == EBUSY  ? "another debugging session holds that enclave"
                       : err == ENOSYS ? "this monitor has no debugging service"
                                       : std::strerror(err);
    std::cerr << "nsgx gdb --stub: enclave host " << pid << ": " << what << "\n";
    return kExitRefused;
  }
  const int stub = reply.take_fd(0);
  if (stub < 0) {
    std::cerr << "nsgx gdb --stub: the monitor sent no debugging channel\n";
    return kExitRefused;
  }
  // gdb's bytes to the stub, one message per read (the stub reads a stream
  // of them); the stub's messages to gdb.
  std::vector<char> buf(std::size_t{64} * 1024);  // more than the stub's largest message (a packet of 4 KiB)
  pollfd fds[2] = {{0, POLLIN, 0}, {stub, POLLIN, 0}};
  for (;;) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[0].revents != 0) {
      const ssize_t n = read(0, buf.data(), buf.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0 || send(stub, buf.data(), static_cast<std::size_t>(n), MSG_NOSIGNAL) != n) break;
    }
    if (fds[1].revents != 0) {
      const ssize_t n = recv(stub, buf.data(), buf.size(), 0);
      if (n <= 0 || !write_all(1, buf.data(), static_cast<std::size_t>(n))) break;
    }
  }
  close(stub);
  close(mon);  // the monitor ends the session: the enclave's threads go on
  return kExitOk;
}

}  // namespace

void add_gdb(CLI::App& app) {
  // Registered for `nsgx --help` and `nsgx gdb --help`; the command itself
  // is run by run_gdb, before CLI11 parses: its arguments are gdb's up to
  // `--` and the application's after it, a split CLI11 (2.1) cannot make
  // when gdb options and a `--` both appear.
  auto* cmd = app.add_subcommand("gdb",
                                 "debug an SGX application with gdb: enclave symbols, breakpoints and "
                                 "stepping in debug enclaves (on the inproc backend, or --isolated)");
  cmd->add_option("--gdb", "the gdb to run (default: gdb from PATH)");
  // Only for the help: run_gdb reads the flag itself.
  static bool isolated_help = false;
  cmd->add_flag("--isolated", isolated_help,
                "run the application on the isolated backend and attach each debug enclave's host "
                "(gdb stops once when it has attached: continue)");
  static std::string stub_help;
  cmd->add_option("--stub", stub_help,
                  "join standard input/output to the debugging stub of your debug enclave whose enclave host "
                  "has this pid, under a monitor daemon (gdb: target remote | nsgx gdb --stub PID)");
  cmd->footer(
      "usage: nsgx gdb [--gdb PROGRAM] [--isolated] [GDB OPTIONS...] -- APP [ARGS...]\n"
      "       nsgx gdb --stub PID\n"
      "example: nsgx gdb -ex 'break enclave.c:ecall_hello' -ex run -- ./app enclave.signed.so");
}

std::optional<int> run_gdb(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  std::string gdb = "gdb";
  std::size_t i = 0;
  if (i < args.size() && (args[i] == "-h" || args[i] == "--help")) return std::nullopt;  // CLI11's help
  if (i < args.size() && args[i] == "--stub") {
    if (args.size() != 2) {
      std::cerr << "nsgx gdb: usage: nsgx gdb --stub PID\n";
      return kExitBadInput;
    }
    return run_stub(args[1]);
  }
  if (i < args.size() && args[i] == "--gdb") {
    if (i + 1 >= args.size()) {
      std::cerr << "nsgx gdb: --gdb needs a program\n";
      return kExitBadInput;
    }
    gdb = args[i + 1];
    i += 2;
  } else if (i < args.size() && args[i].rfind("--gdb=", 0) == 0) {
    gdb = args[i].substr(6);
    ++i;
  }
  bool isolated = false;
  if (i < args.size() && args[i] == "--isolated") {
    isolated = true;
    ++i;
  }
  std::vector<std::string> gdb_args, program;
  bool after = false;
  for (; i < args.size(); ++i) {
    if (!after && args[i] == "--") {
      after = true;
      continue;
    }
    (after ? program : gdb_args).push_back(args[i]);
  }
  if (program.empty()) {
    std::cerr << "nsgx gdb: no application given (after --)\n"
                 "usage: nsgx gdb [--gdb PROGRAM] [--isolated] [GDB OPTIONS...] -- APP [ARGS...]\n";
    return kExitBadInput;
  }
  const std::string plugin = plugin_path();
  if (access(plugin.c_str(), R_OK) != 0) {
    std::cerr << "nsgx gdb: the gdb extension " << plugin << " is missing: " << std::strerror(errno) << "\n";
    return kExitBadInput;
  }
  // A debug enclave's crash is also described on stderr by the runtime.
  setenv("NSGX_DEBUG", "1", 0);
  // The extension runs this program for a system monitor's debugging stub.
  setenv("NSGX_GDB_NSGX", self_path().c_str(), 1);
  std::vector<std::string> gargv = {gdb, "-q"};
  if (isolated) {
    // The default backend; the application's own choice of another is overridden.
    setenv("NSGX_BACKEND", "isolated", 1);
    // A system monitor's enclave is reached through its debugging stub, a
    // remote target beside the application's native one: gdb resumes two
    // targets together only if each runs in non-stop mode underneath (the
    // user still sees all-stop).
    gargv.insert(gargv.end(), {"-iex", "maint set target-non-stop on"});
  } else {
    gargv.insert(gargv.end(), {"-iex", "set exec-wrapper " + shell_quote(self_path()) + " exec --"});
    // `nsgx exec` (its --cpuid auto) will make CPUID fault where it can:
    // every CPUID the application runs is then a SIGSEGV the runtime
    // answers, which the extension must not stop at.
    if (cpuid_faulting_available()) gargv.insert(gargv.end(), {"-iex", "set $_nsgx_cpuid_faults = 1"});
  }
  gargv.insert(gargv.end(), {"-x", plugin});
  gargv.insert(gargv.end(), gdb_args.begin(), gdb_args.end());
  gargv.emplace_back("--args");
  gargv.insert(gargv.end(), program.begin(), program.end());
  std::vector<char*> cargv;
  cargv.reserve(gargv.size() + 1);
  for (auto& a : gargv) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  execvp(gdb.c_str(), cargv.data());
  std::cerr << "nsgx gdb: cannot run " << gdb << ": " << std::strerror(errno)
            << (errno == ENOENT ? " (install gdb: apt-get install gdb)" : "") << "\n";
  return 127;
}

}  // namespace nsgx::cli
