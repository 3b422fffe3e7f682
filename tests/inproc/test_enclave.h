// The selftest enclave (test_encl.S) loaded exactly as the kernel's SGX
// selftests load theirs: /dev/sgx_enclave ioctls, mmap of the enclave range,
// and __vdso_sgx_enter_enclave found through getauxval(AT_SYSINFO_EHDR).
// Nothing here knows about nestedsgx except that the SIGSTRUCT is computed
// with its identity library. Shared by the selftest and the vDSO benchmark,
// so it reports errors in `error` rather than through a test framework.
#pragma once

#include <asm/sgx.h>

#include <cstdint>
#include <string>

#include "arch/sgx/secs.h"
#include "arch/sgx/sigstruct.h"
#include "crypto/rsa.h"

namespace nsgx::testing {

inline constexpr std::uint64_t kPage = 4096, kImagePages = 16, kEnclSize = 64 * kPage;

// The enclave's ABI: RDI points at one of these in untrusted memory.
// ops: 0 NOP, 1 PUT, 2 GET, 3 WRITE, 4 READ, 5 EACCEPT, 6 EMODPE, 7 CLOBBER, 8 SPIN.
struct EnclOp {
  std::uint64_t op, value, addr, tcs_index;
};

using vdso_enter_t = int (*)(unsigned long, unsigned long, unsigned long, unsigned int, unsigned long, unsigned long,
                             sgx_enclave_run*);

// The classic vDSO symbol lookup (Documentation/vDSO/parse_vdso.c).
vdso_enter_t find_vdso_entry();

class TestEnclave {
 public:
  enum class Stop { kNone, kBeforeInit };
  // Builds the image at `image_path`, signs it with `key`, initializes and
  // maps it (or stops before EINIT, for init() to finish). The first
  // failure is in `error`. `size` is the enclave range (a power of two of
  // at least kEnclSize): the pages past the image are its heap, which the
  // enclave gets by EAUG.
  TestEnclave(const std::string& image_path, const crypto::RsaPrivateKey& key, bool map_heap = true,
              Stop stop = Stop::kNone, std::uint64_t size = kEnclSize);
  ~TestEnclave();
  TestEnclave(const TestEnclave&) = delete;
  TestEnclave& operator=(const TestEnclave&) = delete;

  // EINIT with `sigstruct`, then the mappings.
  void init();
  // EENTER through TCS `tcs` with `op`; the run struct says how it ended.
  int call(EnclOp& op, sgx_enclave_run& run, unsigned tcs = 0) const;

  int fd = -1;
  std::uint64_t base = 0;
  sgx::Secs secs{};
  sgx::Sigstruct sigstruct{};
  vdso_enter_t enter = nullptr;
  std::string error;

 private:
  void fail(const std::string& what);
  bool map_heap_;
  std::uint64_t size_;
  std::uint8_t* src_ = nullptr;
  std::uint8_t* area_ = nullptr;
};

}  // namespace nsgx::testing

// Calls the vDSO entry keeping the callee-saved registers itself, as the
// selftests' call.S does: after an AEX the synthetic state has cleared
// R12-R15, so only the EEXIT path returns them as the enclave left them.
extern "C" int encl_call(nsgx::testing::vdso_enter_t fn, unsigned long op, sgx_enclave_run* run, unsigned function);
