// Writes a seed for host_request_fuzz: what a working enclave host sends —
// EREPORT, EGETKEY, a fault on a page the enclave has not got (EAUG),
// EACCEPT of it, EMODPE, EACCEPTCOPY — each on worker tag 1, so the fuzzer
// starts inside the monitor's ENCLU paths rather than at their length checks.
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

#include "runtime/isolated/protocol.h"

namespace {

using namespace nsgx::isolated;

template <typename T>
void put(std::vector<std::uint8_t>& out, Op op, const T& body) {
  const auto total = static_cast<std::uint16_t>(sizeof(Header) + sizeof body);
  out.push_back(static_cast<std::uint8_t>(total & 0xff));
  out.push_back(static_cast<std::uint8_t>(total >> 8));
  const Header h{op, 1, 0};
  const auto* hp = reinterpret_cast<const std::uint8_t*>(&h);
  out.insert(out.end(), hp, hp + sizeof h);
  const auto* b = reinterpret_cast<const std::uint8_t*>(&body);
  out.insert(out.end(), b, b + sizeof body);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  constexpr std::uint64_t kBase = 0x200000000000ull;
  std::vector<std::uint8_t> out;
  put(out, Op::kEreport, EreportReq{});
  EgetkeyReq k{};
  k.key_request[0] = 4;  // SEAL_KEY
  put(out, Op::kEgetkey, k);
  put(out, Op::kFault, FaultReq{kBase + 0x4000, 6, 0});  // a write by user code to a page it has not got
  PageOpReq a{kBase + 0x4000, 0, {}};
  const std::uint64_t pending = 0x03 | (2ull << 8) | (1ull << 3);  // SECINFO: R|W, PT_REG, PENDING
  std::memcpy(a.secinfo, &pending, sizeof pending);
  put(out, Op::kEaccept, a);
  PageOpReq x{kBase + 0x2000, 0, {}};
  const std::uint64_t rwx = 0x07 | (2ull << 8);
  std::memcpy(x.secinfo, &rwx, sizeof rwx);
  put(out, Op::kEmodpe, x);
  put(out, Op::kFault, FaultReq{kBase + 0x5000, 6, 0});
  PageOpReq cp{kBase + 0x5000, kBase + 0x1000, {}};
  std::memcpy(cp.secinfo, &pending, sizeof pending);
  put(out, Op::kEacceptcopy, cp);
  std::FILE* f = std::fopen(argv[1], "wb");
  if (f == nullptr || std::fwrite(out.data(), 1, out.size(), f) != out.size() || std::fclose(f) != 0) return 1;
  return 0;
}
