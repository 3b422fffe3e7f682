// Writes a seed for monitor_request_fuzz: a message sequence that builds an
// enclave the way an application does — CREATE with a valid SECS, ADD_PAGES
// of a TCS-shaped and a code page, INIT with a zero SIGSTRUCT (refused), the
// SGX2 page operations, ADD_TCS, STATUS, DESTROY — so the fuzzer starts deep
// in the request paths instead of at the parser's first check.
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

#include "arch/sgx/secs.h"
#include "runtime/isolated/protocol.h"

namespace {

using namespace nsgx::isolated;

void put(std::vector<std::uint8_t>& out, Op op, std::uint64_t handle, const void* body, std::size_t len,
         const void* tail = nullptr, std::size_t tail_len = 0) {
  const auto total = static_cast<std::uint16_t>(sizeof(Header) + len + tail_len);
  out.push_back(static_cast<std::uint8_t>(total & 0xff));
  out.push_back(static_cast<std::uint8_t>(total >> 8));
  const Header h{op, 0, handle};
  const auto* hp = reinterpret_cast<const std::uint8_t*>(&h);
  out.insert(out.end(), hp, hp + sizeof h);
  const auto* b = static_cast<const std::uint8_t*>(body);
  out.insert(out.end(), b, b + len);
  if (tail != nullptr) out.insert(out.end(), static_cast<const std::uint8_t*>(tail), static_cast<const std::uint8_t*>(tail) + tail_len);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  std::vector<std::uint8_t> out;
  Create c{};
  nsgx::sgx::Secs secs{};
  secs.size = 0x10000;
  secs.base_addr = 0x200000000000ull;
  secs.ssa_frame_size = 1;
  secs.attributes = {nsgx::sgx::attr::kMode64Bit | nsgx::sgx::attr::kDebug, 3};
  std::memcpy(c.secs, &secs, sizeof secs);
  put(out, Op::kCreate, 0, &c, sizeof c);
  std::vector<std::uint8_t> page(4096, 0);
  AddPages a{0, 0x100, 1, 1};  // a TCS page (PT_TCS), measured
  put(out, Op::kAddPages, 1, &a, sizeof a, page.data(), page.size());
  a = AddPages{0x1000, 0x207, 1, 1};  // PT_REG, R|W|X
  page[0] = 0xc3;
  put(out, Op::kAddPages, 1, &a, sizeof a, page.data(), page.size());
  Init in{};
  in.mailboxes = 1;
  in.mailbox_addr = 0x100000000000ull;
  put(out, Op::kInit, 1, &in, sizeof in);
  const PageRange r{0x1000, 0x1000, 1};
  put(out, Op::kRestrict, 1, &r, sizeof r);
  put(out, Op::kModifyTypes, 1, &r, sizeof r);
  put(out, Op::kRemovePages, 1, &r, sizeof r);
  const AddTcs t{0x200000000000ull, 0, 0};
  put(out, Op::kAddTcs, 1, &t, sizeof t);
  put(out, Op::kStatus, 0, nullptr, 0);
  put(out, Op::kDestroy, 1, nullptr, 0);
  std::FILE* f = std::fopen(argv[1], "wb");
  if (f == nullptr || std::fwrite(out.data(), 1, out.size(), f) != out.size() || std::fclose(f) != 0) return 1;
  return 0;
}
