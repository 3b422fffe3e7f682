// The application's side of the isolated backend: its connection to
// nsgx-monitor (a daemon found and authenticated by find_monitor() — the
// system monitor first —, else a private monitor started for this process,
// which isolates nothing from the user; NSGX_REQUIRE_SYSTEM_MONITOR=1
// refuses that fallback) and its
// window — memory shared with every enclave host of this process, mapped at
// the same address there, from which marshalling buffers, the untrusted
// stacks of OCALLs and the EENTER/EEXIT mailboxes are allocated.
//
//   Client* c = Client::get(&why);        // nullptr: `why` says what failed
//   std::uint64_t h;
//   c->create(secs, h);  c->add_pages(h, ...);  c->init(h, sigstruct, ...);
//   void* buf = c->window_alloc(4096);    // visible to the enclave at the same address
//
// Thread-safe; requests on the connection are serialised.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "arch/sgx/secs.h"
#include "arch/sgx/sigstruct.h"
#include "runtime/isolated/paths.h"
#include "runtime/isolated/protocol.h"

namespace nsgx::isolated {

class Client {
 public:
  // The process's client, connected on first use; nullptr if no monitor
  // can be reached or started (`why` then says why).
  static Client* get(std::string* why = nullptr);

  // Each returns 0 or -errno, as the corresponding /dev/sgx_enclave ioctl.
  int create(const sgx::Secs& secs, std::uint64_t& handle);
  int add_pages(std::uint64_t handle, std::uint64_t offset, std::uint64_t secinfo_flags, bool measure,
                std::span<const std::uint8_t> pages);
  // On success `tcs` lists the enclave's TCSs; mailbox i serves tcs[i];
  // `host_pid` is the enclave host's process (for a debugger).
  int init(std::uint64_t handle, const sgx::Sigstruct& sigstruct, std::uint64_t mailbox_addr, std::uint32_t mailboxes,
           std::vector<std::uint64_t>& tcs, std::uint32_t* host_pid = nullptr);
  int destroy(std::uint64_t handle);
  // SGX2 page operations (SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS, _MODIFY_TYPES,
  // _REMOVE_PAGES): `op` one of kRestrict, kModifyTypes, kRemovePages; `arg`
  // the permissions or page type. `count` gets the bytes processed and
  // `result` the SGX status of the page that failed (EMODPR/EMODT).
  int page_op(Op op, std::uint64_t handle, std::uint64_t offset, std::uint64_t length, std::uint64_t arg,
              std::uint64_t& count, std::uint64_t& result);
  // Serve the TCS at `addr` (made by the enclave with SGX2) on mailbox `slot`.
  int add_tcs(std::uint64_t handle, std::uint64_t addr, std::uint32_t slot);
  int status(StatusInfo& out);
  // The quoting identity's TARGETINFO (512 bytes) and the quote size.
  int quote_info(std::span<std::uint8_t, 512> target_info, std::uint32_t& quote_size);
  // A quote of the 432-byte REPORT with `nonce` (at most 64 bytes).
  int quote(std::span<const std::uint8_t, 432> report, std::span<const std::uint8_t> nonce,
            std::vector<std::uint8_t>& out);
  // Sends a raw request (tests: forged requests must get errors).
  int raw(const Header& h, std::span<const std::uint8_t> body, Reply& reply, std::vector<std::uint8_t>* tail = nullptr);

  // Window memory: zeroed, `align` (a power of two, at most 4096) aligned.
  void* window_alloc(std::size_t size, std::size_t align = 64);
  void window_free(void* p);
  bool in_window(const void* p, std::size_t n) const;
  std::span<std::uint8_t> window() const { return {window_, window_size_}; }
  // Reserves (PROT_NONE) a naturally aligned range for an enclave's ELRANGE
  // where the enclave host can map it at the same address; nullptr if none.
  static void* reserve(std::size_t size);
  // False once the monitor's end of the connection is gone.
  bool alive() const;
  std::uint32_t spin() const { return spin_; }
  std::uint32_t yields() const { return yields_; }
  // Which monitor serves this process (system, the user's daemon, private).
  MonitorKind kind() const { return kind_; }

 private:
  Client() = default;
  bool connect(std::string& why);
  bool start_private(std::string& why);
  int request(Op op, std::uint64_t handle, std::span<const std::uint8_t> a, std::span<const std::uint8_t> b, Reply& r,
              std::vector<std::uint8_t>* tail = nullptr);

  int fd_ = -1;
  std::mutex mu_;
  std::uint8_t* window_ = nullptr;
  std::size_t window_size_ = 0;
  std::mutex alloc_mu_;
  std::map<std::size_t, std::size_t> free_;  // offset -> size
  std::map<std::size_t, std::size_t> used_;  // offset -> size
  std::uint32_t spin_ = 4000;
  std::uint32_t yields_ = kYieldRounds;  // mailbox.h; NSGX_YIELD
  MonitorKind kind_ = MonitorKind::kPrivate;
};

}  // namespace nsgx::isolated
