// libos_syscall_sites FILE: what the system-call rewriter finds in an ELF
// image (syscall_sites.h), natively, for libos_rewrite_test.sh and for the
// counts in docs/libos.md. Prints one summary line, then each site's
// address and system call number (hex) and how it loads the number:
// `mov`, or `xor TRAMPOLINE` (the padding its short jump reaches, hex),
// one a line.
#include <stdio.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "libos/enclave/syscall_sites.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: libos_syscall_sites ELF-FILE\n");
    return 2;
  }
  std::ifstream f(argv[1], std::ios::binary);
  if (!f) {
    fprintf(stderr, "libos_syscall_sites: cannot open %s\n", argv[1]);
    return 1;
  }
  const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  nsgx::libos::SiteScan scan;
  std::string why;
  if (!nsgx::libos::scan_elf(bytes.data(), bytes.size(), scan, why)) {
    fprintf(stderr, "libos_syscall_sites: %s: %s\n", argv[1], why.c_str());
    return 1;
  }
  printf(
      "%s: %llu syscall instructions on %llu trusted walks (%llu walks dropped); %zu sites (%llu with a tail, "
      "%llu unconfirmed; %llu xor sites, %llu without padding in reach)\n",
      argv[1], static_cast<unsigned long long>(scan.syscalls),
      static_cast<unsigned long long>(scan.functions - scan.functions_dropped),
      static_cast<unsigned long long>(scan.functions_dropped), scan.sites.size(),
      static_cast<unsigned long long>(scan.with_tail), static_cast<unsigned long long>(scan.sites_unconfirmed),
      static_cast<unsigned long long>(scan.xor_sites), static_cast<unsigned long long>(scan.xor_unplaced));
  for (const auto& s : scan.sites) {
    if (s.head == nsgx::libos::SiteHead::kXorEax)
      printf("%llx %x xor %llx\n", static_cast<unsigned long long>(s.vaddr), s.nr,
             static_cast<unsigned long long>(s.tramp_vaddr));
    else
      printf("%llx %x mov\n", static_cast<unsigned long long>(s.vaddr), s.nr);
  }
  return 0;
}
