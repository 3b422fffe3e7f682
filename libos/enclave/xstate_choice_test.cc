// choose_xstate (xstate_choice.h): the host's CPU claims choose among the
// save instructions; none shrinks the saved set below the enclave's XFRM,
// and a combination no sound choice fits is refused with a reason.
#include "libos/enclave/xstate_choice.h"

#include <gtest/gtest.h>

#include "libos/enclave/cpu_facts.h"

namespace nsgx::libos {
namespace {

constexpr uint64_t kAll = kCpuFxsr | kCpuXsave | kCpuXsavec;
constexpr uint64_t kLegacyXfrm = 0x3;
constexpr uint64_t kAvx512Xfrm = 0xe7;

TEST(XstateChoice, XsavecWhenTheHostReportsIt) {
  const XstateChoice c = choose_xstate(kAll, 0x2e7, kLegacyXfrm);
  EXPECT_EQ(c.mode, kXstateXsavec);
  EXPECT_EQ(c.mask, 0xe7u);  // PKRU (bit 9) is not the library OS's to save
}

TEST(XstateChoice, XsaveWithoutXsavec) {
  const XstateChoice c = choose_xstate(kCpuFxsr | kCpuXsave, 0x7, kLegacyXfrm);
  EXPECT_EQ(c.mode, kXstateXsave);
  EXPECT_EQ(c.mask, 0x7u);
}

TEST(XstateChoice, XsavecWithoutXsaveIsNotBelieved) {
  // xsavec without xsave is no combination the kernel reports: FXSAVE.
  const XstateChoice c = choose_xstate(kCpuFxsr | kCpuXsavec, 0x3, kLegacyXfrm);
  EXPECT_EQ(c.mode, kXstateFxsave);
  EXPECT_EQ(c.mask, 0x3u);
}

TEST(XstateChoice, TheHostCannotShrinkTheSetBelowXfrm) {
  const XstateChoice c = choose_xstate(kAll, 0x3, kAvx512Xfrm);
  EXPECT_EQ(c.mode, kXstateXsavec);
  EXPECT_EQ(c.mask, kAvx512Xfrm);
}

TEST(XstateChoice, FxsaveOnlyWhenNothingBeyondX87AndSseExists) {
  EXPECT_EQ(choose_xstate(kCpuFxsr, 0x3, kLegacyXfrm).mode, kXstateFxsave);
  const XstateChoice wide = choose_xstate(kCpuFxsr, 0x3, 0x7);
  EXPECT_EQ(wide.mode, kXstateNone);
  EXPECT_NE(wide.error.find("XFRM 0x7"), std::string::npos) << wide.error;
  const XstateChoice inconsistent = choose_xstate(kCpuFxsr, 0x7, kLegacyXfrm);
  EXPECT_EQ(inconsistent.mode, kXstateNone);
  EXPECT_NE(inconsistent.error.find("inconsistent"), std::string::npos) << inconsistent.error;
}

TEST(XstateChoice, NothingReportedIsRefused) {
  const XstateChoice c = choose_xstate(0, 0, kLegacyXfrm);
  EXPECT_EQ(c.mode, kXstateNone);
  EXPECT_NE(c.error.find("neither XSAVE nor FXSAVE"), std::string::npos) << c.error;
}

}  // namespace
}  // namespace nsgx::libos
