#include <gtest/gtest.h>

#include <cstring>

#include "arch/sgx/pageinfo.h"
#include "arch/sgx/report.h"
#include "arch/sgx/secs.h"
#include "arch/sgx/sigstruct.h"
#include "arch/sgx/ssa.h"
#include "arch/sgx/tcs.h"
#include "arch/snp/attestation_report.h"
#include "base/bytes.h"

namespace nsgx {
namespace {

TEST(Arch, ExitInfoEncoding) {
  auto e = sgx::ExitInfo::make(sgx::vector::kPf, sgx::ExitType::kHardwareException);
  EXPECT_EQ(e.raw, 0x8000030eu);
  EXPECT_TRUE(e.valid());
  EXPECT_EQ(e.vector(), 14);
  EXPECT_EQ(e.exit_type(), 3);
}

TEST(Arch, SsaOffsets) {
  EXPECT_EQ(sgx::gprsgx_offset(1), 4096u - 184u);
  EXPECT_EQ(sgx::exinfo_offset(1), 4096u - 184u - 16u);
}

TEST(Arch, SecinfoFlags) {
  sgx::Secinfo s{};
  s.flags = sgx::secinfo_flags::page_type(sgx::PageType::kTcs);
  EXPECT_EQ(s.flags, 0x100u);
  EXPECT_EQ(s.page_type(), sgx::PageType::kTcs);
  EXPECT_EQ(sgx::secinfo_flags::kReservedMask & 0xff3fu, 0u);
  EXPECT_NE(sgx::secinfo_flags::kReservedMask & 0x40u, 0u);
}

TEST(Arch, StatusNames) {
  EXPECT_STREQ(sgx::status_name(sgx::Status::kInvalidMeasurement), "SGX_INVALID_MEASUREMENT");
  EXPECT_EQ(static_cast<int>(sgx::Status::kUnmaskedEvent), 128);
  EXPECT_EQ(static_cast<int>(sgx::Status::kInvalidKeyname), 256);
}

TEST(Arch, SnpTcbLayouts) {
  snp::TcbVersion t{0x7308000000000003ull};
  EXPECT_EQ(t.bootloader(snp::TcbLayout::kMilanGenoa), 3);
  EXPECT_EQ(t.tee(snp::TcbLayout::kMilanGenoa), 0);
  EXPECT_EQ(t.snp(snp::TcbLayout::kMilanGenoa), 8);
  EXPECT_EQ(t.microcode(snp::TcbLayout::kMilanGenoa), 0x73);
  EXPECT_EQ(t.fmc(snp::TcbLayout::kTurin), 3);
  EXPECT_EQ(snp::TcbVersion::from_parts_milan(3, 0, 8, 0x73), t);
}

}  // namespace
}  // namespace nsgx
