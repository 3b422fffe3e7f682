// The exit gate on the isolated backend (docs/isolated.md, "The exit gate"):
// an enclave built by our trusted runtime leaves through the enclave host's
// gate when the host offers it and through a trapping ENCLU when it does
// not, and it refuses every broken offer — a gate inside ELRANGE, a wrong
// magic or version, R8 not the offer — falling back to ENCLU with the same
// results. Run with the test build of the host (nsgx-enclave-host-gate-test,
// NSGX_ENCLAVE_HOST), which makes those offers when asked (MailGate::kTest*).
// And an application that puts a gate offer of its own into the mailbox's
// R8/R9 (the test build of the untrusted runtime does, for test-app-offer):
// the host never passes it on, so the enclave never jumps where the
// application says.
//
// Under `nsgx exec` (the inproc backend, docs/inproc.md "The exit gate")
// the offer is the application's runtime's to make: the test build of the
// untrusted runtime makes the same broken offers itself (urts.cc,
// gate_offer), and the enclave must refuse them all the same
// (test-app-offer is the isolated backend's case: there it means "off").
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "bench_u.h"
#include "sgx_urts.h"

namespace {

std::uint32_t g_ocalls = 0;

bool isolated_backend() {
  const char* b = std::getenv("NSGX_BACKEND");
  return b == nullptr || *b == 0 || std::strcmp(b, "isolated") == 0;
}

struct Counts {
  std::uint64_t gate = 0, trap = 0;
};

class ExitGate : public ::testing::Test {
 protected:
  void TearDown() override {
    if (eid_ != 0) sgx_destroy_enclave(eid_);
    unsetenv("NSGX_EXIT_GATE");
  }
  // An enclave created with NSGX_EXIT_GATE=mode (unset if null).
  void create(const char* mode) {
    if (mode != nullptr)
      setenv("NSGX_EXIT_GATE", mode, 1);
    else
      unsetenv("NSGX_EXIT_GATE");
    ASSERT_EQ(sgx_create_enclave(NSGX_BENCH_ENCLAVE, 1, nullptr, nullptr, &eid_, nullptr), SGX_SUCCESS);
  }
  Counts counts() const {
    Counts c;
    EXPECT_EQ(nsgx_enclave_exit_counts(eid_, &c.gate, &c.trap), SGX_SUCCESS);
    return c;
  }
  // 50 null ECALLs and one ECALL making 50 OCALLs, all checked: 101 exits
  // (50 ECALL returns, 50 OCALLs, the last return).
  void calls() const {
    for (int i = 0; i < 50; ++i) ASSERT_EQ(ecall_null(eid_), SGX_SUCCESS);
    g_ocalls = 0;
    ASSERT_EQ(ecall_ocalls(eid_, 50), SGX_SUCCESS);
    EXPECT_EQ(g_ocalls, 50u);
  }
  sgx_enclave_id_t eid_ = 0;
};

TEST_F(ExitGate, UsedWhenTheHostOffersIt) {
  create(nullptr);
  const Counts before = counts();  // the initialization's exit
  calls();
  const Counts after = counts();
  EXPECT_EQ(after.gate - before.gate, 101u);
  EXPECT_EQ(after.trap, 0u);
}

// The FS gate of the same offer: the enclave loads an FS base of its own
// and keeps it across preemption and exceptions. An OCALL's return keeps
// it on the isolated backend (the enclave host's worker holds it; the
// application's thread never runs on it) and loads the TCS's on inproc,
// where the application's own code runs between (bench_enclave.c,
// ecall_fs_gate; runtime/common/exit_gate.h).
TEST_F(ExitGate, FsGateLoadsTheBaseAndAnOcallsReturnKeepsItWhereTheBackendSays) {
  create(nullptr);
  long r = 0;
  ASSERT_EQ(ecall_fs_gate(eid_, &r, 200, isolated_backend() ? 1 : 0), SGX_SUCCESS);
  EXPECT_EQ(r, 200);
  // The last return left the block's base in FS; the next ECALL starts on
  // the TCS's again (its first check).
  ASSERT_EQ(ecall_fs_gate(eid_, &r, 3, isolated_backend() ? 1 : 0), SGX_SUCCESS);
  EXPECT_EQ(r, 3);
  // And ordinary calls afterwards, with the TCS's bases.
  calls();
}

// NSGX_EXIT_GATE=no-fs-gate: the exit gate is used, the FS gate is not offered.
TEST_F(ExitGate, NoFsGateOffersTheExitGateAlone) {
  create("no-fs-gate");
  const Counts before = counts();
  calls();
  long r = 0;
  ASSERT_EQ(ecall_fs_gate(eid_, &r, 1, 0), SGX_SUCCESS);
  EXPECT_EQ(r, -38);
  const Counts after = counts();
  EXPECT_EQ(after.gate - before.gate, 102u);  // the 101 exits and the last ECALL's return
  EXPECT_EQ(after.trap, 0u);
}

TEST_F(ExitGate, OffMakesEveryExitTrap) {
  create("off");
  const Counts before = counts();
  calls();
  const Counts after = counts();
  EXPECT_EQ(after.trap - before.trap, 101u);
  EXPECT_EQ(after.gate, 0u);
  long r = 0;
  ASSERT_EQ(ecall_fs_gate(eid_, &r, 1, 0), SGX_SUCCESS);
  EXPECT_EQ(r, -38);  // no FS gate either
}

// Each broken offer: the enclave must not take it, and the calls still work.
class HostileGate : public ExitGate, public ::testing::WithParamInterface<const char*> {};

TEST_P(HostileGate, RefusedAndTheCallsStillWork) {
  create(GetParam());
  calls();
  const Counts c = counts();
  EXPECT_EQ(c.gate, 0u);
  EXPECT_GE(c.trap, 101u);
  long r = 0;
  ASSERT_EQ(ecall_fs_gate(eid_, &r, 1, 0), SGX_SUCCESS);
  EXPECT_EQ(r, -38);  // a refused offer brings no FS gate
}

INSTANTIATE_TEST_SUITE_P(Offers, HostileGate,
                         ::testing::Values("test-inside", "test-magic", "test-version", "test-offer",
                                           // the real exit gate with an FS gate inside ELRANGE
                                           "test-fs-inside",
                                           // the application's own offer in the mailbox: the host must not pass it on
                                           "test-app-offer"));

TEST(ExitGateMode, AnUnknownModeIsRefused) {
  setenv("NSGX_EXIT_GATE", "sometimes", 1);
  sgx_enclave_id_t eid = 0;
  EXPECT_EQ(sgx_create_enclave(NSGX_BENCH_ENCLAVE, 1, nullptr, nullptr, &eid, nullptr), SGX_ERROR_INVALID_PARAMETER);
  unsetenv("NSGX_EXIT_GATE");
}

}  // namespace

extern "C" void ocall_null(void) { ++g_ocalls; }
extern "C" void ocall_null_sl(void) { ++g_ocalls; }
