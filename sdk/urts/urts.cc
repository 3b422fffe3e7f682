// The untrusted runtime (SGX SDK interface: sgx_create_enclave,
// sgx_destroy_enclave, and sgx_ecall for the generated proxies). It loads
// through the upstream Linux SGX interface — /dev/sgx_enclave's ioctls and
// mmap, and __vdso_sgx_enter_enclave — so an application runs unchanged on
// SGX hardware or under `nsgx exec` (the inproc backend). The image is
// replayed exactly as `nsgx measure` replays it (image::SdkImage), into
// the driver instead of a hash.
#include <asm/sgx.h>
#include <elf.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/auxv.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <vector>

#include "arch/sgx/pageinfo.h"
#include "image/sdk_image.h"
#include "sgx_edger8r.h"
#include "sgx_urts.h"

using vdso_fn = int (*)(unsigned long, unsigned long, unsigned long, unsigned int, unsigned long, unsigned long,
                        sgx_enclave_run*);
extern "C" {
int nsgx_urts_enter(vdso_fn fn, long rdi, void* rsi, sgx_enclave_run* run);
int nsgx_urts_vdso_handler(long, long, long, long, long, long, sgx_enclave_run*);
}

namespace nsgx::urts {
namespace {

constexpr long kEcmdInitEnclave = -1, kEcmdExcept = -3, kOcmdEret = -1;
constexpr std::uint64_t kPage = 4096;

// The classic vDSO symbol lookup (Documentation/vDSO/parse_vdso.c).
vdso_fn find_vdso() {
  const auto base = getauxval(AT_SYSINFO_EHDR);
  if (base == 0) return nullptr;
  const auto* eh = reinterpret_cast<const Elf64_Ehdr*>(base);
  const Elf64_Dyn* dyn = nullptr;
  for (int i = 0; i < eh->e_phnum; ++i) {
    const auto* ph =
        reinterpret_cast<const Elf64_Phdr*>(base + eh->e_phoff + static_cast<std::uint64_t>(i) * eh->e_phentsize);
    if (ph->p_type == PT_DYNAMIC) dyn = reinterpret_cast<const Elf64_Dyn*>(base + ph->p_offset);
  }
  const Elf64_Word* hash = nullptr;
  const Elf64_Sym* sym = nullptr;
  const char* str = nullptr;
  for (; dyn && dyn->d_tag != DT_NULL; ++dyn) {
    if (dyn->d_tag == DT_HASH) hash = reinterpret_cast<const Elf64_Word*>(base + dyn->d_un.d_ptr);
    if (dyn->d_tag == DT_SYMTAB) sym = reinterpret_cast<const Elf64_Sym*>(base + dyn->d_un.d_ptr);
    if (dyn->d_tag == DT_STRTAB) str = reinterpret_cast<const char*>(base + dyn->d_un.d_ptr);
  }
  if (!hash || !sym || !str) return nullptr;
  for (Elf64_Word i = 0; i < hash[1]; ++i)
    if (std::strcmp(str + sym[i].st_name, "__vdso_sgx_enter_enclave") == 0)
      return reinterpret_cast<vdso_fn>(base + sym[i].st_value);
  return nullptr;
}

struct Enclave {
  int fd = -1;
  std::uint8_t* area = nullptr;
  std::size_t area_size = 0;
  std::uint64_t base = 0, size = 0;
  std::mutex tcs_mu;
  std::vector<std::uint64_t> free_tcs;
  std::atomic<bool> crashed{false};
  ~Enclave() {
    if (area) munmap(area, area_size);
    if (fd >= 0) close(fd);
  }
};

std::shared_mutex g_mu;
std::map<sgx_enclave_id_t, std::shared_ptr<Enclave>> g_enclaves;
std::atomic<sgx_enclave_id_t> g_next_id{1};

// What this thread is inside: a nested ECALL (from an OCALL) reuses the TCS.
struct Active {
  sgx_enclave_id_t eid;
  std::uint64_t tcs;
};
thread_local std::vector<Active> t_active;

// One vDSO call's state, reached from the exit handler through run->user_data.
struct CallContext {
  const void* ocall_table;
  vdso_fn vdso = nullptr;
  sgx_status_t status = SGX_ERROR_UNEXPECTED;
  bool returned = false;
};

// Replays an image into /dev/sgx_enclave: each page by SGX_IOC_ENCLAVE_ADD_PAGES.
class DriverLoader final : public identity::EnclaveBuilder {
 public:
  explicit DriverLoader(int fd) : fd_(fd) {}
  Status ecreate(std::uint32_t, std::uint64_t) override { return {}; }  // done by SGX_IOC_ENCLAVE_CREATE
  Status add_page(std::uint64_t offset, std::uint64_t flags, std::span<const std::uint8_t, sgx::kPageSize> data,
                  std::uint16_t extend_mask) override {
    if (extend_mask != 0 && extend_mask != 0xffff) return Error("partial EEXTEND is not offered by the Linux driver");
    std::memcpy(page_, data.data(), kPage);
    alignas(64) sgx::Secinfo si{};
    si.flags = flags;
    sgx_enclave_add_pages a{reinterpret_cast<std::uint64_t>(page_),
                            offset,
                            kPage,
                            reinterpret_cast<std::uint64_t>(&si),
                            extend_mask ? static_cast<std::uint64_t>(SGX_PAGE_MEASURE) : 0u,
                            0};
    if (ioctl(fd_, SGX_IOC_ENCLAVE_ADD_PAGES, &a) != 0)
      return Error("SGX_IOC_ENCLAVE_ADD_PAGES at " + std::to_string(offset) + ": " + std::strerror(errno));
    pages_.push_back({offset, flags});
    return {};
  }
  struct Added {
    std::uint64_t offset, flags;
  };
  const std::vector<Added>& pages() const { return pages_; }

 private:
  int fd_;
  alignas(4096) std::uint8_t page_[4096];
  std::vector<Added> pages_;
};

int prot_of(std::uint64_t flags) {
  if ((flags & 0xff00) == 0x100) return PROT_READ | PROT_WRITE;  // TCS: the driver allows R/W
  return ((flags & 1) ? PROT_READ : 0) | ((flags & 2) ? PROT_WRITE : 0) | ((flags & 4) ? PROT_EXEC : 0);
}

// ECMD_EXCEPT on `tcs` (CSSA 1 after an AEX): the enclave's handlers get
// the exception; true if the enclave can be resumed.
// One EENTER through the vDSO on `tcs`, OCALLs and exceptions served by
// the exit handler; false if the enclave did not return (ERET).
bool enter(vdso_fn vdso, std::uint64_t tcs, long rdi, void* rsi, CallContext& ctx) {
  sgx_enclave_run run{};
  run.tcs = tcs;
  run.user_handler = reinterpret_cast<std::uint64_t>(&nsgx_urts_vdso_handler);
  run.user_data = reinterpret_cast<std::uint64_t>(&ctx);
  return nsgx_urts_enter(vdso, rdi, rsi, &run) == 0 && ctx.returned;
}

bool run_exception_handling(vdso_fn vdso, std::uint64_t tcs) {
  CallContext except{nullptr, vdso};
  return enter(vdso, tcs, kEcmdExcept, nullptr, except) && except.status == SGX_SUCCESS;
}

// #BP and #DB are not reported through the vDSO (the kernel does not fix
// them up); they arrive as SIGTRAP at the AEP, as on SGX hardware. As the
// SDK's runtime does, run the enclave's exception handling, then return to
// the AEP, whose ENCLU resumes the enclave.
struct sigaction g_prev_sigtrap;
void on_sigtrap(int sig, siginfo_t* info, void* ctx) {
  auto* uc = static_cast<ucontext_t*>(ctx);
  const auto reg = [&](int r) { return static_cast<std::uint64_t>(uc->uc_mcontext.gregs[r]); };
  // The synthetic state after an AEX: RAX = ERESUME, RBX = the TCS, RCX = RIP = the AEP.
  if (!t_active.empty() && reg(REG_RAX) == 3 && reg(REG_RBX) == t_active.back().tcs && reg(REG_RCX) == reg(REG_RIP)) {
    static const vdso_fn vdso = find_vdso();
    if (vdso != nullptr && run_exception_handling(vdso, t_active.back().tcs)) return;
    // Not handled: the enclave crashed; its thread cannot resume.
    std::shared_lock lock(g_mu);
    if (auto it = g_enclaves.find(t_active.back().eid); it != g_enclaves.end()) it->second->crashed = true;
  }
  if (g_prev_sigtrap.sa_flags & SA_SIGINFO) {
    if (g_prev_sigtrap.sa_sigaction) return g_prev_sigtrap.sa_sigaction(sig, info, ctx);
  } else if (g_prev_sigtrap.sa_handler != SIG_DFL && g_prev_sigtrap.sa_handler != SIG_IGN) {
    return g_prev_sigtrap.sa_handler(sig);
  }
  signal(SIGTRAP, SIG_DFL);
  raise(SIGTRAP);
}

void install_sigtrap_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction sa {};
    sa.sa_sigaction = on_sigtrap;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTRAP, &sa, &g_prev_sigtrap);
  });
}

sgx_status_t load(const char* path, bool debug, sgx_enclave_id_t* eid, sgx_misc_attribute_t* misc) {
  install_sigtrap_once();
  auto file = read_file(path);
  if (!file) return SGX_ERROR_ENCLAVE_FILE_ACCESS;
  auto img = image::SdkImage::parse(std::move(*file));
  if (!img) {
    std::fprintf(stderr, "nsgx urts: %s: %s\n", path, img.error().message().c_str());
    return SGX_ERROR_INVALID_ENCLAVE;
  }
  const sgx::Sigstruct& ss = img->sigstruct();
  auto e = std::make_shared<Enclave>();
  e->fd = open("/dev/sgx_enclave", O_RDWR | O_CLOEXEC);
  if (e->fd < 0) {
    std::fprintf(stderr, "nsgx urts: cannot open /dev/sgx_enclave (%s); run the program under `nsgx exec`\n",
                 std::strerror(errno));
    return SGX_ERROR_NO_DEVICE;
  }
  e->size = img->metadata().enclave_size;
  e->area_size = 2 * e->size;
  void* area = mmap(nullptr, e->area_size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (area == MAP_FAILED) return SGX_ERROR_OUT_OF_MEMORY;
  e->area = static_cast<std::uint8_t*>(area);
  e->base = (reinterpret_cast<std::uint64_t>(area) + e->size - 1) & ~(e->size - 1);

  alignas(4096) static thread_local sgx::Secs secs;
  secs = {};
  secs.size = e->size;
  secs.base_addr = e->base;
  secs.ssa_frame_size = img->metadata().ssa_frame_size;
  secs.misc_select = ss.misc_select;
  secs.attributes = ss.attributes;
  secs.attributes.flags = (ss.attributes.flags & ~sgx::attr::kDebug) | (debug ? sgx::attr::kDebug : 0);
  sgx_enclave_create c{reinterpret_cast<std::uint64_t>(&secs)};
  if (ioctl(e->fd, SGX_IOC_ENCLAVE_CREATE, &c) != 0)
    return errno == ENOMEM ? SGX_ERROR_OUT_OF_EPC : SGX_ERROR_INVALID_ENCLAVE;
  DriverLoader loader(e->fd);
  if (auto st = img->replay(loader); !st) {
    std::fprintf(stderr, "nsgx urts: %s: %s\n", path, st.error().message().c_str());
    return errno == ENOMEM ? SGX_ERROR_OUT_OF_EPC : SGX_ERROR_INVALID_ENCLAVE;
  }
  // A debug launch of an enclave whose SIGSTRUCT forbids debugging.
  if (debug && (ss.attribute_mask.flags & sgx::attr::kDebug) && !(ss.attributes.flags & sgx::attr::kDebug))
    return SGX_ERROR_NDEBUG_ENCLAVE;
  sgx_enclave_init in{reinterpret_cast<std::uint64_t>(&ss)};
  if (ioctl(e->fd, SGX_IOC_ENCLAVE_INIT, &in) != 0)
    // EINIT refused it (signature, attributes against their mask, launch policy).
    return errno == EPERM ? SGX_ERROR_INVALID_SIGNATURE : SGX_ERROR_UNEXPECTED;
  // Map runs of pages with equal permissions; TCSs go to the pool.
  const auto& pages = loader.pages();
  std::vector<DriverLoader::Added> sorted(pages.begin(), pages.end());
  std::sort(sorted.begin(), sorted.end(), [](auto& a, auto& b) { return a.offset < b.offset; });
  for (std::size_t i = 0; i < sorted.size();) {
    std::size_t j = i + 1;
    const int prot = prot_of(sorted[i].flags);
    while (j < sorted.size() && sorted[j].offset == sorted[j - 1].offset + kPage && prot_of(sorted[j].flags) == prot)
      ++j;
    void* at = reinterpret_cast<void*>(e->base + sorted[i].offset);
    if (mmap(at, (j - i) * kPage, prot, MAP_SHARED | MAP_FIXED, e->fd, 0) != at) return SGX_ERROR_MEMORY_MAP_CONFLICT;
    i = j;
  }
  for (const auto& p : sorted)
    if ((p.flags & 0xff00) == 0x100) e->free_tcs.push_back(e->base + p.offset);
  std::reverse(e->free_tcs.begin(), e->free_tcs.end());  // the first TCS is handed out first
  if (e->free_tcs.empty()) return SGX_ERROR_INVALID_ENCLAVE;

  const sgx_enclave_id_t id = g_next_id.fetch_add(1);
  {
    std::unique_lock lock(g_mu);
    g_enclaves[id] = e;
  }
  // The trusted runtime's initialization (ECMD_INIT_ENCLAVE with the
  // SDK's system_features_t, which ours only checks is outside).
  alignas(64) static thread_local std::uint8_t features[512];
  std::memset(features, 0, sizeof features);
  const sgx_status_t st = sgx_ecall(id, static_cast<int>(kEcmdInitEnclave), nullptr, features);
  if (st != SGX_SUCCESS) {
    std::unique_lock lock(g_mu);
    g_enclaves.erase(id);
    return st;
  }
  *eid = id;
  if (misc) {
    misc->secs_attr.flags = secs.attributes.flags;
    misc->secs_attr.xfrm = secs.attributes.xfrm;
    misc->misc_select = secs.misc_select;
  }
  return SGX_SUCCESS;
}

}  // namespace
}  // namespace nsgx::urts

using namespace nsgx::urts;

// The vDSO exit handler's decision (see urts_entry.S).
extern "C" __attribute__((visibility("hidden"))) int nsgx_urts_exit(long rdi, long rsi, sgx_enclave_run* run,
                                                                    long* ocall_status) {
  auto* ctx = reinterpret_cast<CallContext*>(run->user_data);
  if (run->function != 4 /* EEXIT */) {
    // An exception inside the enclave: give its handlers a chance (the
    // SDK's ECMD_EXCEPT, entered on the same TCS, now at CSSA 1), then
    // ERESUME. If the trusted runtime cannot handle it, the call fails.
    return run_exception_handling(ctx->vdso, run->tcs) ? 2 /* ERESUME */ : 0;
  }
  if (rdi == kOcmdEret) {
    ctx->status = static_cast<sgx_status_t>(static_cast<std::uint32_t>(rsi));
    ctx->returned = true;
    return 0;
  }
  // An OCALL: index RDI, marshalling struct RSI, through the proxy's table.
  struct Table {
    std::size_t nr_ocall;
    void* table[1];
  };
  const auto* t = static_cast<const Table*>(ctx->ocall_table);
  sgx_status_t st = SGX_ERROR_INVALID_FUNCTION;
  if (t != nullptr && rdi >= 0 && static_cast<std::size_t>(rdi) < t->nr_ocall)
    st = reinterpret_cast<sgx_status_t (*)(void*)>(t->table[rdi])(reinterpret_cast<void*>(rsi));
  *ocall_status = static_cast<long>(static_cast<std::uint32_t>(st));
  return 1;
}

extern "C" sgx_status_t sgx_ecall(const sgx_enclave_id_t eid, const int index, const void* ocall_table, void* ms) {
  std::shared_ptr<Enclave> e;
  {
    std::shared_lock lock(g_mu);
    auto it = g_enclaves.find(eid);
    if (it == g_enclaves.end()) return SGX_ERROR_INVALID_ENCLAVE_ID;
    e = it->second;
  }
  if (e->crashed) return SGX_ERROR_ENCLAVE_CRASHED;
  static const vdso_fn vdso = find_vdso();
  if (vdso == nullptr) return SGX_ERROR_NO_DEVICE;
  // A nested ECALL (this thread is in an OCALL of this enclave) uses the
  // same TCS; an outermost one takes a free TCS for its duration.
  std::uint64_t tcs = 0;
  bool borrowed = false;
  for (auto it = t_active.rbegin(); it != t_active.rend(); ++it)
    if (it->eid == eid) {
      tcs = it->tcs;
      break;
    }
  if (tcs == 0) {
    std::lock_guard lock(e->tcs_mu);
    if (e->free_tcs.empty()) return SGX_ERROR_OUT_OF_TCS;
    tcs = e->free_tcs.back();
    e->free_tcs.pop_back();
    borrowed = true;
  }
  t_active.push_back({eid, tcs});
  CallContext ctx{ocall_table, vdso};
  const bool returned = enter(vdso, tcs, index, ms, ctx);
  t_active.pop_back();
  sgx_status_t result = ctx.status;
  if (!returned) {
    // An exception the enclave did not handle, or no usable TCS: the
    // enclave cannot continue (the SDK's SGX_ERROR_ENCLAVE_CRASHED).
    e->crashed = true;
    result = SGX_ERROR_ENCLAVE_CRASHED;
    borrowed = false;  // its SSA frame holds the exception: never reuse it
  }
  if (borrowed) {
    std::lock_guard lock(e->tcs_mu);
    e->free_tcs.push_back(tcs);
  }
  return result;
}

extern "C" sgx_status_t sgx_ecall_switchless(const sgx_enclave_id_t eid, const int index, const void* ocall_table,
                                             void* ms) {
  return sgx_ecall(eid, index, ocall_table, ms);
}

extern "C" sgx_status_t sgx_create_enclave(const char* file_name, const int debug, sgx_launch_token_t* launch_token,
                                           int* launch_token_updated, sgx_enclave_id_t* enclave_id,
                                           sgx_misc_attribute_t* misc_attr) {
  (void)launch_token;
  if (file_name == nullptr || enclave_id == nullptr) return SGX_ERROR_INVALID_PARAMETER;
  if (launch_token_updated) *launch_token_updated = 0;
  return load(file_name, debug != 0, enclave_id, misc_attr);
}

extern "C" sgx_status_t sgx_destroy_enclave(const sgx_enclave_id_t enclave_id) {
  std::unique_lock lock(g_mu);
  if (g_enclaves.erase(enclave_id) == 0) return SGX_ERROR_INVALID_ENCLAVE_ID;
  return SGX_SUCCESS;
}
