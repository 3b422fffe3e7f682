// The security monitor core: the EPC, the EPCM and the SGX leaf functions.
//
// It alone decides what becomes an enclave page, measures it, launches it
// and (with the keys leaves) derives its secrets. No system calls, no
// exceptions, no RTTI, no global state: it reaches the outside only through
// Platform. Every leaf checks the enclave's life cycle first, validates
// every operand before changing anything, and returns a LeafResult with the
// SDM's status code or fault. docs/monitor-interface.md lists each leaf's
// inputs, checks, effects and errors.
//
//   FakePlatform p(1024);            // 4 MiB EPC
//   Monitor m(p, {});
//   auto r = m.ecreate(EpcIndex{0}, secs, secinfo);
//   r = m.eadd(EpcIndex{1}, EnclaveId{0}, LinearAddr{base}, page, secinfo);
//   r = m.eextend(EpcIndex{1}, 0);   ...
//   r = m.einit(EnclaveId{0}, sigstruct, nullptr);
//
// Lock order (outermost first): Enclave::mu, then Monitor::epcm_mu_. The
// EPCM lock guards the EPCM array and the enclave table and is never held
// while hashing or copying pages. A page owned by an enclave changes only
// under that enclave's lock; leaves on such a page take it with hold_page().
// Platform calls (page_mapped/page_unmapped, page_assigned/released,
// revoke_tcs, any_thread_inside) are made with Enclave::mu held and never
// under epcm_mu_: a backend may take there only locks it never holds while
// calling into the monitor (both backends take none for the mapping calls).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <unordered_map>
#include <utility>
#include <vector>

#include "arch/sgx/pageinfo.h"
#include "arch/sgx/report.h"
#include "arch/sgx/secs.h"
#include "arch/sgx/sigstruct.h"
#include "arch/sgx/tcs.h"
#include "crypto/symmetric.h"
#include "identity/measurement.h"
#include "identity/sigstruct.h"
#include "monitor/epcm.h"
#include "monitor/page_rights.h"
#include "monitor/platform.h"
#include "monitor/thread.h"
#include "monitor/types.h"

namespace nsgx::monitor {

// Flexible launch control: any signer by default (SDM 38.1.4, the
// IA32_SGXLEPUBKEYHASH MSRs set to the owner's choice), optionally an
// MRSIGNER allow-list and a ban on debug enclaves.
struct LaunchPolicy {
  std::vector<identity::Mrsigner> allowed_signers;  // empty: any signer
  bool allow_debug = true;
  // IA32_SGXLEPUBKEYHASH: the signer of the launch enclave whose
  // EINITTOKENs EINIT accepts. Unset: tokens with VALID set are refused.
  std::optional<identity::Mrsigner> launch_enclave_signer;
};

struct MonitorConfig {
  LaunchPolicy launch;
  // XSAVE features the platform supports (XCR0); ECREATE refuses others.
  std::uint64_t supported_xfrm = sgx::xfrm::kLegacy | sgx::xfrm::kAvx | sgx::xfrm::kOpmask | sgx::xfrm::kZmmHi256 |
                                 sgx::xfrm::kHi16Zmm | sgx::xfrm::kPkru;
  std::uint32_t supported_misc_select = sgx::misc::kExinfo;
  // Attribute bits the platform supports (SDM: CPUID.(EAX=12H,ECX=1)).
  std::uint64_t supported_attributes = sgx::attr::kInit | sgx::attr::kDebug | sgx::attr::kMode64Bit |
                                       sgx::attr::kProvisionKey | sgx::attr::kEinitTokenKey | sgx::attr::kKss |
                                       sgx::attr::kAexNotify;
};

enum class EnclaveState : std::uint8_t { kCreated, kInitialized };

// Pages one SSA frame needs for the XSAVE area of `xfrm`, the MISC region of
// `misc_select` and GPRSGX (SDM 34.9); ECREATE refuses smaller frames.
std::uint32_t ssa_frame_pages_needed(std::uint64_t xfrm, std::uint32_t misc_select);

// The ELRANGE offset of page `page` of SSA frame `frame` of a TCS whose OSSA
// is `ossa`, with frames of `frame_pages` pages (SDM 34.8.1: frame n starts
// at OSSA + n * SSAFRAMESIZE * 4 KiB). Nothing when the arithmetic wraps or
// the page lies outside an ELRANGE of `elrange_size` bytes: CSSA, NSSA and
// OSSA come from a TCS the enclave wrote, SSAFRAMESIZE from the OS's SECS.
std::optional<std::uint64_t> ssa_page_offset(std::uint64_t ossa, std::uint32_t frame, std::uint32_t frame_pages,
                                             std::uint32_t page, std::uint64_t elrange_size);

class Monitor {
 public:
  Monitor(Platform& platform, MonitorConfig config);
  ~Monitor();  // wipes the paging key
  Monitor(const Monitor&) = delete;
  Monitor& operator=(const Monitor&) = delete;
  const MonitorConfig& config() const { return config_; }

  // ---- ENCLS ----
  // ECREATE: `secs_page` becomes the SECS of a new enclave (its EnclaveId).
  LeafResult ecreate(EpcIndex secs_page, const sgx::Secs& secs, const sgx::Secinfo& secinfo);
  // EADD: copies `src` into `page` at `addr` of `enclave` with `secinfo`.
  LeafResult eadd(EpcIndex page, EnclaveId enclave, LinearAddr addr, std::span<const std::uint8_t, sgx::kPageSize> src,
                  const sgx::Secinfo& secinfo);
  // EEXTEND: measures the 256 bytes at `offset` (256-aligned) of `page`.
  LeafResult eextend(EpcIndex page, std::uint32_t offset);
  // EINIT: checks the SIGSTRUCT (and EINITTOKEN when given) and launches.
  LeafResult einit(EnclaveId enclave, const sgx::Sigstruct& sigstruct, const sgx::EinitToken* token);
  // EREMOVE: frees `page`; a SECS only when the enclave has no pages left.
  LeafResult eremove(EpcIndex page);

  // ---- SGX2: dynamic memory management (SDM 38.5.7) ----
  // EAUG: a zeroed, PENDING R/W page at `addr` of an initialized enclave;
  // usable after the enclave EACCEPTs it.
  LeafResult eaug(EpcIndex page, EnclaveId enclave, LinearAddr addr);
  // EMODPR: restricts the page's permissions to `secinfo`'s (sets PR).
  LeafResult emodpr(EpcIndex page, const sgx::Secinfo& secinfo);
  // EMODT: changes the page's type to TCS or TRIM (sets MODIFIED, drops permissions).
  LeafResult emodt(EpcIndex page, const sgx::Secinfo& secinfo);
  // EDBGRD/EDBGWR: 8 bytes at `offset` of a page of a debug enclave.
  LeafResult edbgrd(EpcIndex page, std::uint32_t offset, std::uint64_t& value);
  LeafResult edbgwr(EpcIndex page, std::uint32_t offset, std::uint64_t value);

  // ---- paging (SDM 38.5 "EPC and Management of EPC Pages") ----
  // EPA: `page` becomes a Version Array page of 512 empty slots.
  LeafResult epa(EpcIndex page);
  // EBLOCK: no new mappings of `page`; the backend unmaps it.
  LeafResult eblock(EpcIndex page);
  // ETRACK: starts a tracking cycle for `enclave` (threads inside must leave).
  LeafResult etrack(EnclaveId enclave);
  // EWB: evicts the blocked, tracked `page`: AES-GCM encrypts it into `out`
  // with its PCMD, stores a fresh version in slot `slot` of VA page `va`.
  struct EvictedPage {
    std::array<std::uint8_t, sgx::kPageSize> data{};
    sgx::Pcmd pcmd{};
    std::uint64_t linaddr = 0;
  };
  LeafResult ewb(EpcIndex page, EpcIndex va, std::uint32_t slot, EvictedPage& out);
  // ELDU/ELDB: loads an evicted page of `enclave` back into free `page`,
  // checking its MAC against the version in `va`/`slot` (which is cleared,
  // so a copy can be loaded once). ELDB leaves it blocked.
  LeafResult eldu(EpcIndex page, EnclaveId enclave, EpcIndex va, std::uint32_t slot, const EvictedPage& in,
                  bool blocked = false);

  // ---- ENCLU, executed by a thread of `enclave` (the backend names the
  // enclave whose TCS is running; the monitor never trusts the enclave to
  // say who it is) ----
  // EGETKEY: derives the key `request` names for this enclave into `key`;
  // the monitor keeps no copy, the caller wipes `key` once delivered.
  LeafResult egetkey(EnclaveId enclave, const sgx::KeyRequest& request, crypto::Key128& key);
  // EREPORT: a REPORT of this enclave, MACed with the report key of `target`.
  LeafResult ereport(EnclaveId enclave, const sgx::TargetInfo& target, std::span<const std::uint8_t, 64> report_data,
                     sgx::Report& report);

  // EENTER through the TCS at `tcs`: marks it busy, saves the untrusted
  // RSP/RBP into the current SSA frame, and returns where to start.
  LeafResult eenter(EnclaveId enclave, LinearAddr tcs, std::uint64_t aep, std::uint64_t return_address,
                    std::uint64_t untrusted_rsp, std::uint64_t untrusted_rbp, EnterState& out);
  // EEXIT by the thread running on `tcs`: the TCS is free again.
  LeafResult eexit(EnclaveId enclave, LinearAddr tcs);
  // AEX of the thread on `tcs`: saves `state` to SSA frame CSSA (with
  // EXITINFO/EXINFO when the event is reported), increments CSSA, frees
  // the TCS. `synthetic` receives the state the untrusted side sees:
  // RAX = ERESUME, RBX = TCS, RCX = AEP, everything else cleared.
  // RSP/RBP = the URSP/URBP EENTER saved. `xsave`, when given, is the
  // extended state the backend took off the CPU; it goes to the frame's
  // XSAVE region (at most its first page).
  LeafResult aex(EnclaveId enclave, LinearAddr tcs, const CpuState& state, const ExitEvent& event,
                 CpuState& synthetic, ByteSpan xsave = {});
  // ERESUME on `tcs`: restores the state saved in SSA frame CSSA-1 (and the
  // XSAVE region into `xsave` when given).
  LeafResult eresume(EnclaveId enclave, LinearAddr tcs, std::uint64_t aep, CpuState& state,
                     MutableByteSpan xsave = {});

  // EACCEPT: the enclave accepts a pending (EAUG), modified (EMODT) or
  // restricted (EMODPR) page whose state `secinfo` must describe exactly.
  LeafResult eaccept(EnclaveId enclave, LinearAddr addr, const sgx::Secinfo& secinfo);
  // EACCEPTCOPY: accepts a pending page, filling it from the enclave page at
  // `src` and giving it `secinfo`'s permissions.
  LeafResult eacceptcopy(EnclaveId enclave, LinearAddr addr, LinearAddr src, const sgx::Secinfo& secinfo);
  // EMODPE: the enclave extends a page's permissions by `secinfo`'s.
  LeafResult emodpe(EnclaveId enclave, LinearAddr addr, const sgx::Secinfo& secinfo);

  // ---- the quoting identity (remote attestation, docs/attestation.md) ----
  // The TARGETINFO an enclave gives EREPORT to have this monitor quote it,
  // as an SGX enclave targets the Quoting Enclave. Its MEASUREMENT is
  // SHA-256("NSGX-QUOTING-IDENTITY-v1"): a digest of a 24-byte string, never
  // of an ECREATE/EADD/EEXTEND record stream (whole 64-byte records), so no
  // enclave can measure to it and obtain its report key through EGETKEY.
  // ATTRIBUTES = INIT | MODE64BIT, XFRM = x87|SSE, MISCSELECT = 0.
  static sgx::TargetInfo quoting_target();
  // Checks a REPORT as the target enclave would with EGETKEY(REPORT) and
  // its KEYID: the KEYID must be this monitor start's, and the MAC over the
  // body must verify under `target`'s report key (compared in constant
  // time). kMacCompareFail otherwise. The monitor derives the key itself:
  // the quoting identity is not an enclave and runs no EGETKEY.
  LeafResult verify_report(const sgx::Report& report, const sgx::TargetInfo& target) const;

  // ---- inspection (for backends and tests) ----
  std::optional<EpcmEntry> epcm(EpcIndex page) const;
  std::optional<EnclaveState> state(EnclaveId enclave) const;
  // The SECS as the monitor holds it (MRENCLAVE/MRSIGNER valid after EINIT).
  std::optional<sgx::Secs> secs(EnclaveId enclave) const;
  std::uint32_t free_pages() const;
  // EPC pages the enclave owns besides its SECS (the SECS's child count).
  std::optional<std::uint64_t> child_count(EnclaveId enclave) const;
  std::uint32_t page_count() const { return static_cast<std::uint32_t>(epcm_.size()); }

 private:
  struct Enclave {
    std::mutex mu;
    EnclaveState state = EnclaveState::kCreated;
    // The SECS lives in monitor memory, out of every other party's reach,
    // as it lives in an EPC page no software can read on SGX hardware.
    sgx::Secs secs{};
    identity::Measurement measurement;
    std::uint64_t children = 0;  // valid EPC pages owned, SECS excluded
    std::unordered_map<std::uint64_t, EpcIndex> pages;  // linear address -> page
    bool alive = false;  // false once its SECS is removed (a leaf that raced EREMOVE sees this)
    // TCS linear address -> the tracking epoch at which its thread entered;
    // absent while no thread is inside.
    std::unordered_map<std::uint64_t, std::uint64_t> busy;
    std::uint64_t epoch = 1;  // ETRACK cycles
    std::uint64_t eid = 0;    // unique per monitor; binds evicted pages to their enclave (PCMD.ENCLAVEID)
    std::array<std::uint8_t, 16> isv_family_id{};    // KSS, from the SIGSTRUCT at EINIT
    std::array<std::uint8_t, 16> isv_ext_prod_id{};  // KSS, from the SIGSTRUCT at EINIT
  };

  crypto::Key128 report_key(const sgx::TargetInfo& target) const;
  LeafResult check_einittoken(const sgx::EinitToken& token, const sgx::Secs& secs, const identity::Mrenclave& mr,
                              const identity::Mrsigner& signer) const;
  // The valid page of `enclave` (locked) at `addr`, with its EPCM entry.
  LeafResult enclave_page(Enclave& enclave, EnclaveId id, LinearAddr addr, EpcIndex& page, EpcmEntry& entry) const;
  // The TCS page of `enclave` at `tcs` (locked enclave); a fault if it is not one.
  LeafResult tcs_page(Enclave& enclave, EnclaveId id, LinearAddr tcs, EpcIndex& page) const;
  // The EPC page backing SSA frame `frame` of the TCS, checked to be a
  // writable REG page of the enclave (the GPRSGX area is in its last page).
  // `allow_blocked` for AEX; `first_page` receives the frame's first page.
  LeafResult ssa_page(Enclave& enclave, const sgx::Tcs& tcs, std::uint32_t frame, EpcIndex& page,
                      bool allow_blocked = false, EpcIndex* first_page = nullptr) const;

  // Tells the backend what enclave code may now do with `page`, whose EPCM
  // entry is `now` (page_rights(): the one place that decides it), after a
  // leaf changed it. With the owner's lock held, so one page's calls reach
  // the Platform in the order of its changes; never under epcm_mu_.
  void publish_rights(EpcIndex page, const EpcmEntry& now);

  // Resolves an enclave; nullptr if `id` is not a valid SECS. The object
  // stays allocated for the monitor's lifetime (one slot per EPC page, reused
  // by the next ECREATE on that page), so a leaf that raced with EREMOVE
  // holds a valid pointer and finds `alive` false once it has the lock.
  Enclave* find_enclave(EnclaveId id) const;
  // An enclave page operand of an ENCLS leaf with its owner's lock held and
  // its EPCM entry read under that lock. Every change to an owned page
  // happens under its owner's lock, so `entry` stays true while `lock` is
  // held. `enclave` is null when the page is free, a VA page, or could not
  // be held (its owner is gone, or it kept changing hands — then `conflict`
  // is set and `entry` says nothing but valid).
  struct HeldPage {
    Enclave* enclave = nullptr;
    std::unique_lock<std::mutex> lock;
    EpcmEntry entry{};
    bool conflict = false;
  };
  HeldPage hold_page(EpcIndex page) const;
  // Reads a live enclave under its lock for the inspection methods.
  template <typename F>
  auto inspect(EnclaveId id, F read) const -> std::optional<decltype(read(std::declval<const Enclave&>()))>;
  bool page_in_range(EpcIndex p) const { return p.value < epcm_.size(); }

  Platform& platform_;
  MonitorConfig config_;
  mutable std::mutex epcm_mu_;
  std::vector<EpcmEntry> epcm_;
  std::vector<std::unique_ptr<Enclave>> slots_;
  // CR_REPORT_KEYID: random per monitor start ("per boot"), in every REPORT.
  std::array<std::uint8_t, 32> report_key_id_{};
  // Paging: a per-start AES-256-GCM key (evicted pages die with the monitor,
  // as their enclaves do) and never-repeating versions, which also serve as
  // the GCM nonce.
  std::array<std::uint8_t, 32> paging_key_{};
  std::atomic<std::uint64_t> next_version_{1};
  std::atomic<std::uint64_t> next_eid_{1};  // by SECS page; allocated on first ECREATE there
};

}  // namespace nsgx::monitor
