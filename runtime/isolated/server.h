// nsgx-monitor's core: the security monitor, the EPC, the driver layer and
// the enclave hosts, served to applications over UNIX sockets.
//
// BRIEF §2, the `isolated` column: this process plays VMPL0 ring 0. It owns
// every EPC page (one memfd per enclave, never passed to an application),
// the EPCM and the platform secrets; it is not dumpable. Each application
// connection owns the enclaves it created and names them by handles that
// only mean something on that connection. After EINIT the server starts an
// enclave host (VMPL0 ring 3) for the enclave, hands it the enclave's memfd
// and the application's window, and from then on serves its ENCLU requests
// (EREPORT, EGETKEY, EACCEPT, EACCEPTCOPY, EMODPE, faults) with the
// enclave's identity as the monitor knows it — never as the host claims it.
//
//   Server server(options, secrets);
//   std::thread([&] { server.serve(fd); }).detach();   // per connection
//
// Threads: one per connection; two per enclave host (a reader that answers
// map acknowledgements at once, and a worker that serves the host's
// requests, which may need the pool lock a connection thread holds while it
// waits for such an acknowledgement).
// Lock order (server.cc has it in full): the pool lock, then a Host's
// mutex; nothing waits for a host or an application while holding the pool
// lock (commands to hosts are sent without blocking and acknowledged after
// it is released).
#pragma once

#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "driver/driver.h"
#include "monitor/monitor.h"
#include "runtime/common/quoting.h"
#include "runtime/isolated/channel.h"
#include "runtime/isolated/epc.h"

namespace nsgx::isolated {

struct ServerOptions {
  std::uint32_t epc_pages = 32768;  // 128 MiB
  monitor::LaunchPolicy launch;
  std::string host_path;  // the nsgx-enclave-host executable
  // Milliseconds an enclave host gets to start or to acknowledge a mapping
  // change before it is treated as lost.
  int host_timeout_ms = 5000;
  std::uint32_t spin = 4000;  // mailbox spin rounds in the enclave host before it sleeps
  // Where the attestation key and the emulated root live (quotes).
  std::string state_dir;
  // Who may connect besides this process's own uid and root: members of
  // this group (the system monitor's clients, group nsgx), if set.
  std::optional<gid_t> client_gid;
  // Quotas, so that one user cannot deny the monitor to others (0: none —
  // a private monitor serves one application anyway). They count per peer
  // uid (SO_PEERCRED) over all of that uid's connections: a quota per
  // connection would be multiplied by the number of connections. Root is
  // one user like any other here; it sets the quotas on the command line.
  std::uint32_t max_enclaves_per_user = 4096;
  std::uint32_t user_epc_pages = 0;            // EPC pages, EAUG included
  std::uint32_t max_connections_per_user = 0;  // open connections of one uid
  // Threads in enclave hosts (one per TCS served, SGX2 TCSs included):
  // every one is a task of the monitor's uid and of the machine's
  // threads-max, which a user must not be able to exhaust with enclaves of
  // thousands of TCSs.
  std::uint32_t max_threads_per_user = 0;
};

class Server final : public driver::DriverHooks {
 public:
  Server(const ServerOptions& options, const monitor::PlatformSecrets& secrets);
  ~Server() override;
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Serves one application connection until it closes; then frees every
  // enclave it created (their hosts are killed, their EPC pages freed).
  void serve(int fd);
  // Ends every connection (their enclave hosts stop, their EPC is freed);
  // connections that arrive later are refused.
  void shutdown();
  // Waits until every serve() has returned (after shutdown(): a clean stop).
  void wait_idle();

  StatusInfo status() const;

  // DriverHooks
  void page_changed(driver::DriverEnclave& encl, std::uint64_t addr) override;
  void kick(driver::DriverEnclave&) override {}  // no over-commit: nothing waits for threads to leave

  struct Host;
  struct Enclave;
  struct Connection;
  struct User;

 private:
  bool peer_allowed(int fd, uid_t& uid) const;
  int handle(Connection& c, Message& m, std::vector<std::uint8_t>& tail, Reply& r);
  int do_init(Connection& c, Enclave& e, const Init& in, std::vector<std::uint8_t>& tail, std::uint64_t& tcs_count);
  int start_host(Connection& c, Enclave& e, const Init& in, const std::vector<std::uint64_t>& tcs);
  static void host_reader(const std::shared_ptr<Host>& h);  // h: the reader lambda's own copy
  void host_worker(const std::shared_ptr<Host>& h);         // h: the worker lambda's own copy
  void serve_host_request(Host& h, const Message& m);
  void serve_board_request(Host& h, std::uint32_t slot, std::uint32_t number);
  // A host's request (channel or board): the reply, and its tail in `tail`.
  Reply host_request(Host& h, Op op, std::span<const std::uint8_t> body, std::vector<std::uint8_t>& tail);
  static void ring(Host& h);
  static void host_lost(Host& h);
  // Unmaps a host's thread table (with the board in it) once: the address
  // may be another host's table right after.
  static void unmap_thread_table(Host& h);
  void stop_host(Host& h);
  int host_prot_locked(Enclave& e, std::uint64_t addr);
  static std::uint32_t host_send(Host& h, Op op, std::span<const std::uint8_t> body);
  bool host_wait(Host& h, std::uint32_t tag) const;
  bool host_command(Host& h, Op op, std::span<const std::uint8_t> body);
  void settle_acks();
  int debug_attach(Connection& c, pid_t pid);
  void debug_detach(Connection& c);
  void enclave_gone(Connection& c);               // one enclave fewer on the user's quota
  bool charge_threads(User& u, std::uint32_t n);  // false: beyond the user's quota
  void refund_threads(User& u, std::uint32_t n);

  ServerOptions options_;
  IsolatedEpc epc_;
  monitor::Monitor monitor_;
  driver::EpcPool pool_;
  runtime::QuotingService quoting_;
  mutable std::mutex mu_;  // the tables below
  std::condition_variable idle_;
  std::map<Connection*, std::shared_ptr<Connection>> connections_;
  // Users with a connection open: what each holds, across its connections.
  std::map<uid_t, std::shared_ptr<User>> users_;
  // Every running enclave host by pid, for kDebugAttach (Host::session is
  // under this lock too).
  std::map<pid_t, std::weak_ptr<Host>> hosts_by_pid_;
  bool stopping_ = false;
  std::atomic<std::uint32_t> enclaves_{0}, hosts_{0};
};

}  // namespace nsgx::isolated
