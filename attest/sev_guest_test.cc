#include "attest/sev_guest.h"

#include <gtest/gtest.h>

namespace nsgx::attest {
namespace {

// Off SNP hardware only the absent-device path can run.
TEST(SevGuest, NoDeviceIsAClearError) {
  const std::array<std::uint8_t, 64> data{};
  EXPECT_FALSE(sev_guest_available("/nonexistent/sev-guest"));
  auto r = request_snp_report(data, 0, "/nonexistent/sev-guest");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(), "no SEV-SNP guest device (/nonexistent/sev-guest): not an SEV-SNP guest");
  if (!sev_guest_available()) {
    auto d = request_snp_report(data, 0);
    ASSERT_FALSE(d);
    EXPECT_NE(d.error().message().find("no SEV-SNP guest device (/dev/sev-guest)"), std::string::npos);
  }
}

}  // namespace
}  // namespace nsgx::attest
