#include "tests/inproc/test_enclave.h"

#include <elf.h>
#include <fcntl.h>
#include <sys/auxv.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <span>

#include "arch/sgx/pageinfo.h"
#include "base/bytes.h"
#include "identity/enclave_builder.h"
#include "identity/sigstruct.h"

__asm__(R"(
	.text
	.globl encl_call
	.type encl_call, @function
encl_call:
	push %rbx
	push %rbp
	push %r12
	push %r13
	push %r14
	push %r15
	mov %rdi, %rax
	mov %rsi, %rdi
	push %rdx
	xor %esi, %esi
	xor %edx, %edx
	xor %r8d, %r8d
	xor %r9d, %r9d
	call *%rax
	add $8, %rsp
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbp
	pop %rbx
	ret
	.size encl_call, .-encl_call
)");

namespace nsgx::testing {

vdso_enter_t find_vdso_entry() {
  const auto vbase = getauxval(AT_SYSINFO_EHDR);
  if (vbase == 0) return nullptr;
  const auto* eh = reinterpret_cast<const Elf64_Ehdr*>(vbase);
  const Elf64_Dyn* dyn = nullptr;
  for (int i = 0; i < eh->e_phnum; ++i) {
    const auto* ph =
        reinterpret_cast<const Elf64_Phdr*>(vbase + eh->e_phoff + static_cast<std::uint64_t>(i) * eh->e_phentsize);
    if (ph->p_type == PT_DYNAMIC) dyn = reinterpret_cast<const Elf64_Dyn*>(vbase + ph->p_offset);
  }
  const Elf64_Word* hash = nullptr;
  const Elf64_Sym* sym = nullptr;
  const char* str = nullptr;
  for (; dyn && dyn->d_tag != DT_NULL; ++dyn) {
    if (dyn->d_tag == DT_HASH) hash = reinterpret_cast<const Elf64_Word*>(vbase + dyn->d_un.d_ptr);
    if (dyn->d_tag == DT_SYMTAB) sym = reinterpret_cast<const Elf64_Sym*>(vbase + dyn->d_un.d_ptr);
    if (dyn->d_tag == DT_STRTAB) str = reinterpret_cast<const char*>(vbase + dyn->d_un.d_ptr);
  }
  if (!hash || !sym || !str) return nullptr;
  for (Elf64_Word i = 0; i < hash[1]; ++i)
    if (std::strcmp(str + sym[i].st_name, "__vdso_sgx_enter_enclave") == 0)
      return reinterpret_cast<vdso_enter_t>(vbase + sym[i].st_value);
  return nullptr;
}

namespace {

struct Segment {
  std::uint64_t first, count, flags;  // pages, SECINFO flags
  int prot;
};
// TCS, SSA, code, data, read-only, stacks, spare.
const Segment kSegments[] = {
    {0, 4, 0x100, PROT_READ | PROT_WRITE},
    {4, 4, 0x203, PROT_READ | PROT_WRITE},
    {8, 1, 0x205, PROT_READ | PROT_EXEC},
    {9, 1, 0x203, PROT_READ | PROT_WRITE},
    {10, 1, 0x201, PROT_READ},
    {11, 5, 0x203, PROT_READ | PROT_WRITE},
};

}  // namespace

void TestEnclave::fail(const std::string& what) {
  if (error.empty()) error = what + (errno != 0 ? std::string(": ") + std::strerror(errno) : std::string());
}

TestEnclave::TestEnclave(const std::string& image_path, const crypto::RsaPrivateKey& key, bool map_heap, Stop stop,
                         std::uint64_t size)
    : map_heap_(map_heap), size_(size) {
  if (size_ < kEnclSize || (size_ & (size_ - 1)) != 0) {
    fail("enclave size must be a power of two of at least kEnclSize");
    return;
  }
  auto image = read_file(image_path);
  if (!image || image->size() != kImagePages * kPage) {
    fail("test enclave image " + image_path + " missing or of the wrong size");
    return;
  }
  src_ = static_cast<std::uint8_t*>(
      mmap(nullptr, image->size(), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  std::memcpy(src_, image->data(), image->size());
  errno = 0;
  fd = open("/dev/sgx_enclave", O_RDWR);
  if (fd < 0) {
    fail("open /dev/sgx_enclave");
    return;
  }
  // Reserve twice the size and align, as the selftests do.
  area_ = static_cast<std::uint8_t*>(mmap(nullptr, 2 * size_, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  base = (reinterpret_cast<std::uint64_t>(area_) + size_ - 1) & ~(size_ - 1);
  secs = {};
  secs.size = size_;
  secs.base_addr = base;
  secs.ssa_frame_size = 1;
  secs.attributes = {sgx::attr::kMode64Bit | sgx::attr::kDebug, 3};
  sgx_enclave_create c{reinterpret_cast<std::uint64_t>(&secs)};
  if (ioctl(fd, SGX_IOC_ENCLAVE_CREATE, &c) != 0) {
    fail("SGX_IOC_ENCLAVE_CREATE");
    return;
  }
  identity::MeasuringBuilder mb;
  if (!mb.ecreate(secs.ssa_frame_size, secs.size)) {
    fail("measuring ECREATE");
    return;
  }
  for (const Segment& s : kSegments) {
    alignas(64) sgx::Secinfo si{};
    si.flags = s.flags;
    sgx_enclave_add_pages a{reinterpret_cast<std::uint64_t>(src_ + s.first * kPage),
                            s.first * kPage,
                            s.count * kPage,
                            reinterpret_cast<std::uint64_t>(&si),
                            SGX_PAGE_MEASURE,
                            0};
    if (ioctl(fd, SGX_IOC_ENCLAVE_ADD_PAGES, &a) != 0) {
      fail("SGX_IOC_ENCLAVE_ADD_PAGES");
      return;
    }
    if (a.count != s.count * kPage) {
      fail("SGX_IOC_ENCLAVE_ADD_PAGES: short count");
      return;
    }
    for (std::uint64_t p = 0; p < s.count; ++p) {
      const std::uint64_t off = (s.first + p) * kPage;
      if (!mb.add_page(off, s.flags, std::span<const std::uint8_t, 4096>(src_ + off, 4096), 0xffff)) {
        fail("measuring EADD");
        return;
      }
    }
  }
  identity::SigstructFields f;
  f.enclave_hash = mb.mrenclave();
  f.attributes = secs.attributes;
  sigstruct = identity::make_sigstruct(f);
  if (!identity::sign_sigstruct(sigstruct, key)) {
    fail("signing the SIGSTRUCT");
    return;
  }
  if (stop == Stop::kNone) init();
}

void TestEnclave::init() {
  if (!error.empty()) return;
  errno = 0;
  sgx_enclave_init in{reinterpret_cast<std::uint64_t>(&sigstruct)};
  if (ioctl(fd, SGX_IOC_ENCLAVE_INIT, &in) != 0) {
    fail("SGX_IOC_ENCLAVE_INIT");
    return;
  }
  for (const Segment& s : kSegments)
    if (mmap(reinterpret_cast<void*>(base + s.first * kPage), s.count * kPage, s.prot, MAP_SHARED | MAP_FIXED, fd, 0) !=
        reinterpret_cast<void*>(base + s.first * kPage)) {
      fail("mmap of the enclave's pages");
      return;
    }
  if (map_heap_ &&  // unbacked: any permissions
      mmap(reinterpret_cast<void*>(base + 16 * kPage), size_ - 16 * kPage, PROT_READ | PROT_WRITE,
           MAP_SHARED | MAP_FIXED, fd, 0) == MAP_FAILED) {
    fail("mmap of the unbacked range");
    return;
  }
  enter = find_vdso_entry();
  if (enter == nullptr) fail("no __vdso_sgx_enter_enclave in the vDSO");
}

TestEnclave::~TestEnclave() {
  if (area_ != nullptr) munmap(area_, 2 * size_);
  if (fd >= 0) close(fd);
  if (src_ != nullptr) munmap(src_, kImagePages * kPage);
}

int TestEnclave::call(EnclOp& op, sgx_enclave_run& run, unsigned tcs) const {
  run = {};
  run.tcs = base + tcs * kPage;
  return encl_call(enter, reinterpret_cast<unsigned long>(&op), &run, 2 /* EENTER */);
}

}  // namespace nsgx::testing
