// Fuzzes SEV-SNP report parsing (binary and hex text) and what is derived
// from a parsed report before any key is involved: TCB decoding, the
// signature's conversion, the KDS URL.
#include <cstddef>
#include <cstdint>

#include "attest/snp_report.h"
#include "attest/vcek.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto r = nsgx::attest::parse_snp_report({data, size});
  if (!r) return 0;
  for (auto tcb : {r->report.current_tcb, r->report.reported_tcb, r->report.committed_tcb, r->report.launch_tcb})
    (void)nsgx::attest::describe_tcb(tcb, r->tcb_layout);
  (void)r->cpu_product();
  (void)nsgx::attest::report_signature(*r);
  (void)nsgx::attest::kds_vcek_url("Milan", *r);
  return 0;
}
