// The isolated backend's wire formats: application <-> nsgx-monitor (a UNIX
// SOCK_SEQPACKET connection), nsgx-monitor <-> enclave host (a socketpair),
// and the per-TCS mailbox that application and enclave host share for
// EENTER/EEXIT (docs/isolated.md).
//
// Every message is a Header followed by a fixed struct for its op and, for
// some ops, a variable tail (page data, TCS list). Receivers check the
// length of each message against its op before reading a field (parse,
// don't cast): `parse<T>(msg)` copies the fixed part out of the received
// bytes, so a short or oversized message is an error, never a wild read.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <type_traits>

namespace nsgx::isolated {

inline constexpr std::uint32_t kProtocolVersion = 1;
// A seqpacket message is at most this big (the default socket buffer holds it).
inline constexpr std::size_t kMaxMessage = std::size_t{128} * 1024;
inline constexpr std::uint32_t kPagesPerAdd = 16;  // 64 KiB of page data per ADD_PAGES message
// The host area: the application reserves [window_base + window_size,
// + kHostAreaSize) — no access, no memory — and never maps anything there;
// its enclave hosts place their own mappings there (host_main.cc), so that
// none of them sits at an address of the application's that enclave code
// may use (app_memory.h: the host mirrors the application's memory at the
// same addresses).
inline constexpr std::uint64_t kHostAreaSize = 64ull << 30;

enum class Op : std::uint32_t {
  // application -> monitor; each gets one Reply
  kHello = 1,     // Hello + the window memfd [+ the application's /proc/self/mem [+ its /proc/self/maps], app_memory.h]
  kCreate = 2,    // Create (the SECS)
  kAddPages = 3,  // AddPages + page data
  kInit = 4,      // Init
  kRestrict = 5,  // PageRange (SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS)
  kModifyTypes = 6,
  kRemovePages = 7,
  kDestroy = 8,
  kStatus = 9,        // monitor statistics (tests, `nsgx monitor status`)
  kAddTcs = 10,       // AddTcs: serve a TCS the enclave made with SGX2 (EMODT + EACCEPT) on a spare mailbox
  kQuoteInfo = 11,    // reply value: the quote size; tail: the quoting identity's TARGETINFO (512 bytes)
  kQuote = 12,        // QuoteReq; reply tail: the quote (docs/attestation.md)
  kDebugAttach = 13,  // DebugAttach; reply: a descriptor, the debug enclave's debugging channel (below)
  // enclave host -> monitor; each gets one Reply with the same tag
  kHostHello = 32,  // the host is non-dumpable: send it the memory
  kEreport = 33,
  kEgetkey = 34,
  kEaccept = 35,
  kEacceptcopy = 36,
  kEmodpe = 37,
  kFault = 38,
  kHostReady = 39,  // mapped, threads started, sandboxed
  // monitor -> enclave host
  kHostStart = 64,   // HostStart + TCS list + fds (EPC memfd, window memfd, thread table); then kMap
                     // messages (tag 0, no acknowledgement) and kHostReady: go
  kMap = 65,         // MapRun: set the protection of a run of enclave pages; answered by kMapDone
  kMapDone = 66,     // also acknowledges kHostAddTcs
  kHostAddTcs = 67,  // AddTcs: start a thread for that TCS and mailbox
  kReply = 100,
};

struct Header {
  Op op;
  std::uint32_t tag;       // host requests: the worker; replies echo it
  std::uint64_t handle;    // the enclave, as the application's connection names it
};
static_assert(sizeof(Header) == 16);

// The answer to every request: 0 or -errno as the driver ioctl would
// return, plus an op-specific value (bytes done, a status, a handle).
struct Reply {
  std::int32_t err;
  std::uint32_t status;  // ENCLU leaves: the SGX status or a fault kind
  std::uint64_t value;
};

// Hello's flags: the application's enclave hosts learn its page
// protections from the text of its /proc/self/maps even where the kernel
// answers PROCMAP_QUERY (NSGX_APP_PROTECTIONS=text, docs/isolated.md).
inline constexpr std::uint32_t kHelloMapsText = 1;

struct Hello {
  std::uint32_t version;
  std::uint32_t flags;        // kHelloMapsText, or 0
  std::uint64_t window_base;  // where the application mapped the window
  std::uint64_t window_size;
};

struct Create {
  std::uint8_t secs[4096];
};

struct AddPages {
  std::uint64_t offset;  // from the enclave base
  std::uint64_t secinfo_flags;
  std::uint32_t measure;  // SGX_PAGE_MEASURE
  std::uint32_t pages;    // followed by pages * 4096 bytes
};

struct Init {
  std::uint8_t sigstruct[1808];
  std::uint32_t reserved;
  std::uint32_t mailboxes;     // mailbox slots the application provides (one per TCS)
  std::uint64_t mailbox_addr;  // in the window
};
// Init's reply value: the number of TCSs; then their addresses follow (u64 each), in mailbox order.
// Its status: the enclave host's pid, for a debugger of a debug enclave
// (sdk/include/nsgx_debugger.h host_pid; `ps` shows it to anyone anyway).

struct PageRange {
  std::uint64_t offset, length;
  std::uint64_t arg;  // permissions (RESTRICT) or page type (MODIFY_TYPES)
};
// Reply value: bytes processed; status: the SGX result of the failing page.

struct AddTcs {
  std::uint64_t addr;  // the TCS page
  std::uint32_t slot;  // its mailbox (index into the Init mailboxes)
  std::uint32_t reserved;
};

struct QuoteReq {
  std::uint8_t report[432];  // the enclave's REPORT, targeted at the quoting identity
  std::uint32_t nonce_size;  // 0..64
  std::uint32_t reserved;
  std::uint8_t nonce[64];
};
// kQuote's reply: err -EBADMSG (the REPORT's KEYID or MAC is not the
// monitor's for the quoting identity), -EINVAL (a bad nonce, or REPORT_DATA
// not binding it), -EIO (no attestation key or evidence).

// kDebugAttach (docs/monitor-interface.md "Debugging"): the debugging
// channel of the enclave whose host has this pid. Answered only to the
// enclave's creator (the SO_PEERCRED uid of the connection that created
// it) and only for a debug enclave (SECS.ATTRIBUTES.DEBUG): -ESRCH no such
// enclave host in this monitor, -EPERM another user's enclave, -EACCES not
// a debug enclave, -EBUSY another session holds it. Success: one
// descriptor (SCM_RIGHTS) on which the host's gdb remote-protocol stub
// answers; the session lasts as long as this connection.
struct DebugAttach {
  std::uint32_t host_pid;
  std::uint32_t reserved;  // 0
};

struct StatusInfo {
  std::uint32_t epc_pages, free_pages;
  std::uint32_t enclaves, hosts;
  std::uint32_t connections, reserved;
};

// ---- enclave host <-> monitor

// The thread table, shared by the monitor and one enclave host — never the
// application: per mailbox slot, the TCS its worker is inside (0 while
// outside). The host writes it around every entry (it enters and leaves
// without asking the monitor, for speed); the monitor reads it for the SDM's
// checks on threads inside (monitor::Platform::revoke_tcs). Only the
// enclave's own host can write it, so a false entry harms no one but that
// enclave.
//
// The monitor revokes a TCS (EMODT to TRIM) by writing it to `revoked_tcs`
// of every slot and then looking for a thread inside on it; a worker
// publishes `inside_tcs` and then looks at its slot's `revoked_tcs` (both
// sequentially consistent, Dekker's pattern): either the monitor sees the
// thread inside and refuses, or the thread sees the revocation and does not
// enter — never both missed.
struct alignas(64) ThreadSlot {
  std::atomic<std::uint64_t> inside_tcs;
  std::atomic<std::uint64_t> revoked_tcs;
  std::uint8_t pad[48];
};
static_assert(sizeof(ThreadSlot) == 64 && std::atomic<std::uint64_t>::is_always_lock_free);

// ---- the request board: the SGX2 requests of first touches
//
// An enclave host asks the monitor for kFault (EAUG on a first touch),
// kEaccept, kEacceptcopy and kEmodpe through memory that it and the
// monitor alone share — the thread table's memfd, past the ThreadSlots —
// instead of the channel: a message each way and two thread hand-offs in
// each process cost more than the request itself (docs/isolated.md,
// "SGX2"). One BoardSlot per mailbox slot, used by that slot's worker only:
// it writes `op`, `size` and `body`, bumps `request`, then bumps the
// board's `doorbell` and wakes the monitor if it sleeps there. The monitor
// copies op, size and body out once (the host may change them at any
// time), serves them exactly as the same op on the channel (Reply and the
// 4-byte protection tail; any other op: -ENOSYS), writes `reply` and `prot`
// and sets `response` to the request's number. Everything in it is the
// host's to write but `reply`, `prot`, `response` and `monitor_sleeping`:
// a host that scribbles confuses only its own requests.
struct alignas(64) BoardBell {
  std::atomic<std::uint32_t> doorbell;
  std::atomic<std::uint32_t> monitor_sleeping;
  std::uint8_t pad[56];
};
struct alignas(64) BoardSlot {
  std::atomic<std::uint32_t> request;
  std::atomic<std::uint32_t> host_sleeping;
  std::atomic<std::uint32_t> response;
  Op op;
  std::uint32_t size;  // bytes of `body` in use: sizeof(FaultReq) or sizeof(PageOpReq)
  std::uint32_t reserved;
  std::uint8_t body[104];
  Reply reply;
  std::int32_t prot;  // the channel's 4-byte tail: the page's protection after the request
  std::uint8_t pad[44];
};
static_assert(sizeof(BoardBell) == 64 && sizeof(BoardSlot) == 192 && offsetof(BoardSlot, reply) == 128);
// The thread table's memfd: `mailboxes` ThreadSlots, then (page-aligned)
// the BoardBell and `mailboxes` BoardSlots.
constexpr std::size_t page_round(std::size_t n) { return (n + 4095) & ~std::size_t{4095}; }
constexpr std::size_t board_offset(std::uint32_t mailboxes) {
  return page_round(std::size_t{mailboxes} * sizeof(ThreadSlot));
}
constexpr std::size_t thread_table_bytes(std::uint32_t mailboxes) {
  return board_offset(mailboxes) + page_round(sizeof(BoardBell) + std::size_t{mailboxes} * sizeof(BoardSlot));
}

struct HostStart {
  std::uint64_t base, size;  // ELRANGE
  std::uint64_t window_base, window_size;
  std::uint64_t mailbox_addr;
  std::uint64_t attributes, xfrm;
  std::uint32_t misc_select;
  std::uint32_t ssa_frame_size;  // pages
  std::uint32_t tcs_count;       // followed by tcs_count u64 addresses
  std::uint32_t spin;            // mailbox spin rounds before sleeping
  std::uint32_t mailboxes;       // slots at mailbox_addr: tcs_count, plus spares for TCSs added later
  std::uint32_t flags;           // kHostAppMemory, kHostAppMaps: the descriptors after the first three
};
// A fourth descriptor reads/writes the application's memory (its
// /proc/self/mem); with kHostAppMaps as well, a fifth is its
// /proc/self/maps, asked for the application's page protections
// (app_memory.h).
inline constexpr std::uint32_t kHostAppMemory = 1;
inline constexpr std::uint32_t kHostAppMaps = 2;
// With kHostAppMaps: read the maps' text even where the kernel answers
// PROCMAP_QUERY (the way of kernels before 6.11, app_memory.h), as the
// application asked with kHelloMapsText. No descriptor of its own.
inline constexpr std::uint32_t kHostAppMapsText = 8;
// A debug enclave's host: one more descriptor, after the others, is its end
// of the debugging channel (a SOCK_SEQPACKET pair whose other end the
// monitor keeps and lends to the owner's kDebugAttach).
inline constexpr std::uint32_t kHostDebug = 4;
// On the debugging channel, a message of exactly these bytes comes from the
// monitor alone, when the session's connection closed: the stub resumes
// every thread and forgets the session. (A client that sends it ends its
// own session, nothing more.)
inline constexpr char kDebugSessionEnd[] = "\x00nsgx-session-end";

struct MapRun {
  std::uint64_t addr;
  std::uint32_t pages;
  std::int32_t prot;  // PROT_* for the enclave's view; PROT_NONE: absent or not accessible; | kProtTcs
};
// In MapRun.prot and fault replies: the page is a TCS the enclave may be
// entered on (valid, not pending or modified); its mapping is PROT_NONE.
inline constexpr std::int32_t kProtTcs = 0x100;

struct EreportReq {
  std::uint8_t target_info[512];
  std::uint8_t report_data[64];
};
struct EgetkeyReq {
  std::uint8_t key_request[512];
};
struct PageOpReq {  // EACCEPT, EACCEPTCOPY, EMODPE
  std::uint64_t addr;
  std::uint64_t src;  // EACCEPTCOPY only
  std::uint8_t secinfo[64];
};
struct FaultReq {
  std::uint64_t addr;
  std::uint32_t error_code;  // the native #PF error code (P/W/U/I)
  std::uint32_t reserved;
};
static_assert(sizeof(PageOpReq) <= sizeof(BoardSlot::body) && sizeof(FaultReq) <= sizeof(BoardSlot::body));
// Leaf replies: status = LeafKind (0 ok, 1 SGX status in value, 2 #GP, 3 #PF at value);
// kEreport is followed by the 432-byte REPORT, kEgetkey by the 16-byte key.
// kFault: value 1 fixed (retry), 0 not fixed; status = the #PF error code to report.

static_assert(std::is_trivially_copyable_v<HostStart> && std::is_trivially_copyable_v<Init>);

// Copies the fixed part of a message body; nullopt if `body` is too short.
template <typename T>
std::optional<T> parse(std::span<const std::uint8_t> body) {
  static_assert(std::is_trivially_copyable_v<T>);
  if (body.size() < sizeof(T)) return std::nullopt;
  T t;
  std::memcpy(&t, body.data(), sizeof t);
  return t;
}

// ---- the mailbox: one per TCS, in the window (shared by the application
// and the enclave host, both of which may be hostile to the other's data:
// each side copies what it reads once and checks it).

enum class MailOp : std::uint32_t { kNone = 0, kEenter = 1, kEresume = 2 };
enum class MailExit : std::uint32_t {
  kNone = 0,
  kEexit = 1,  // the enclave executed EEXIT; registers below
  kAex = 2,    // an asynchronous exit; vector/error_code/address
  kFault = 3,  // EENTER/ERESUME refused (#GP), as the instruction would fault
  kLost = 4,   // the enclave host is gone
};

// Whether the host offers the enclave its exit gate at this EENTER
// (runtime/common/exit_gate.h; docs/isolated.md, "The exit gate"). The
// application chooses (NSGX_EXIT_GATE), but never the gate itself: the host
// offers its own or none, and never passes on the application's R8/R9.
// kNoFsGate offers the exit gate alone (to compare the FS gate with the
// #UD a library OS falls back to, docs/isolated.md "The FS gate").
// The kTest* values are honoured only by the test build of the host
// (NSGX_HOST_GATE_TESTING), which offers descriptors the enclave must
// refuse; any other host treats them as kOff.
enum class MailGate : std::uint32_t {
  kOffer = 0,
  kOff = 1,
  kTestInside = 2,    // a gate inside ELRANGE (the enclave's entry point)
  kTestMagic = 3,     // the host's real gate under a wrong magic
  kTestVersion = 4,   // the host's real gate under a wrong version
  kTestOffer = 5,     // the host's real descriptor, R8 not the offer
  kTestFsInside = 6,  // the host's real gate with an FS gate inside ELRANGE
  kNoFsGate = 7,      // the exit gate without its FS gate (NSGX_EXIT_GATE=no-fs-gate)
};

// Whether the host may turn an AEX of this entry around itself
// (docs/isolated.md, "The exception turnaround"): make the SGX SDK's
// exception entry — EENTER on the same TCS (now CSSA + 1) with RDI =
// kTurnaroundEnterRdi, RSI = RDX = 0, URSP = URBP = the URSP of the
// latest EENTER — and, when that entry's EEXIT says the exception was
// dealt with (RDI = kTurnaroundExitRdi, status 0 in RSI's low 32 bits),
// ERESUME, all without answering the application. That is exactly what
// the application's runtime would do (sdk/urts/urts.cc, isolated_call);
// anything else is answered as before. The application chooses per entry
// (NSGX_EXCEPTION_TURNAROUND at sgx_create_enclave, on by default).
enum class MailTurnaround : std::uint32_t { kOff = 0, kSdk = 1 };
// The SGX SDK's ABI (docs/sdk-abi.md): ECMD_EXCEPT in RDI at EENTER, and
// the EEXIT of the ECALL's return, OCMD_ERET in RDI with the status in RSI.
inline constexpr std::uint64_t kTurnaroundEnterRdi = static_cast<std::uint64_t>(-3);  // ECMD_EXCEPT
inline constexpr std::uint64_t kTurnaroundExitRdi = static_cast<std::uint64_t>(-1);   // OCMD_ERET

struct alignas(64) Mailbox {
  // The application bumps `request` after writing a request; the host sets
  // `response` to the same value after writing the answer. The sleeping
  // flags let the other side know a FUTEX_WAKE is needed.
  std::atomic<std::uint32_t> request;
  std::atomic<std::uint32_t> app_sleeping;
  std::atomic<std::uint32_t> lost;  // set by the monitor when the host is gone
  std::uint8_t pad0[52];
  std::atomic<std::uint32_t> response;
  std::atomic<std::uint32_t> host_sleeping;
  std::uint8_t pad1[56];
  // request
  MailOp op;
  MailGate gate;
  std::uint64_t rdi, rsi, rdx, r8, r9, ursp, urbp;
  MailTurnaround turnaround;
  std::uint8_t pad2[64 - 8 - 4];
  // response
  MailExit exit;
  std::uint16_t vector, error_code;
  std::uint64_t out_rdi, out_rsi, out_rdx, out_r8, out_r9, out_rsp, out_rbp;
  std::uint64_t address;
  // A debug enclave's AEX only: RIP relative to the enclave base, as a
  // debugger reads it from the SSA (EDBGRD); never set for production
  // enclaves, whose state the application must not learn.
  std::uint64_t fault_rip;
  std::uint32_t fault_rip_valid;
  // kEexit: 1 if the enclave left through the host's exit gate, 0 through
  // ENCLU (a trap).
  std::uint32_t via_gate;
  // How many AEXs of this request the host turned around itself
  // (MailTurnaround::kSdk): each an exception entry whose EEXIT said
  // "handled", then ERESUME; the application saw none of them.
  std::uint32_t turnarounds;
  // 1: an AEX happened and the host already made the exception entry for
  // it, which did not end in "handled"; `exit` and its fields are that
  // entry's outcome (its EEXIT, its own AEX, or kFault if EENTER was
  // refused), exactly what the application's own exception entry would
  // have been answered with. With kEexit, vector/error_code/address/
  // fault_rip describe the AEX that started it.
  std::uint32_t except_entered;
  // ---- interrupts (docs/isolated.md, "Interrupts"): the application asks
  // the host to interrupt the enclave thread that serves its outstanding
  // request, as a host signal interrupts a thread inside an SGX enclave.
  // `interrupt` = (the request's counter value << 32) | a count the
  // application bumps per ask (one writer: the thread that posted the
  // request). The host interrupts only for the request it is serving and
  // only once per count; what follows is an AEX without EXITINFO (SDM
  // Vol. 3D 37.9.1.1) and, with kSdk, the SDK's exception entry, as for
  // any AEX. An ask is a request to interrupt, never an entry: the host
  // takes the AEX only from enclave code it really interrupted.
  alignas(64) std::atomic<std::uint64_t> interrupt;
  // Mailbox 0's only (one per enclave): bumped and woken after an ask; the
  // host's interrupter thread sleeps on it.
  std::atomic<std::uint32_t> doorbell;
  std::uint8_t pad3[52];
};
static_assert(sizeof(Mailbox) == 448 && sizeof(Mailbox) <= 512 && std::atomic<std::uint32_t>::is_always_lock_free &&
              std::atomic<std::uint64_t>::is_always_lock_free);
static_assert(offsetof(Mailbox, interrupt) == 384 && offsetof(Mailbox, doorbell) == 392);
// The vector an interrupt AEX is reported with in `vector` (an exception
// entry after it that did not end in "handled"; the turnaround off): the
// SDK's NSGX_INTERRUPT_VECTOR (sdk/include/nsgx_first_phase.h), no
// exception vector.
inline constexpr std::uint16_t kInterruptVector = 0x100;
// The `interrupt` word for an ask about request `request` after `prev`.
constexpr std::uint64_t next_interrupt(std::uint64_t prev, std::uint32_t request) {
  return (std::uint64_t{request} << 32) | ((prev + 1) & 0xffffffffu);
}
inline constexpr std::size_t kMailboxStride = 512;
// sched_yield rounds between a mailbox waiter's spin and its futex sleep
// (mailbox.h, wait_change).
inline constexpr std::uint32_t kYieldRounds = 0;

}  // namespace nsgx::isolated
