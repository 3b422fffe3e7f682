#include "attest/sev_guest.h"

#include <fcntl.h>
#include <linux/sev-guest.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "arch/snp/attestation_report.h"

namespace nsgx::attest {

namespace {
// MSG_REPORT_RSP: STATUS (4 bytes), REPORT_SIZE (4), reserved (18h), REPORT.
constexpr std::size_t kRspStatus = 0x0;
constexpr std::size_t kRspReportSize = 0x4;
constexpr std::size_t kRspReport = 0x20;
static_assert(kRspReport + snp::kReportSize <= sizeof(snp_report_resp::data));
}  // namespace

bool sev_guest_available(const std::string& device) { return access(device.c_str(), F_OK) == 0; }

Result<Bytes> request_snp_report(std::span<const std::uint8_t, 64> report_data, std::uint32_t vmpl,
                                 const std::string& device) {
  if (!sev_guest_available(device)) return Error("no SEV-SNP guest device (" + device + "): not an SEV-SNP guest");
  const int fd = open(device.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return Error("cannot open " + device + ": " + std::strerror(errno));

  snp_report_req req{};
  std::copy(report_data.begin(), report_data.end(), req.user_data);
  req.vmpl = vmpl;
  snp_report_resp resp{};
  snp_guest_request_ioctl io{};
  io.msg_version = 1;  // the only message version the driver accepts for reports
  io.req_data = reinterpret_cast<std::uint64_t>(&req);
  io.resp_data = reinterpret_cast<std::uint64_t>(&resp);
  const int rc = ioctl(fd, SNP_GET_REPORT, &io);
  const int err = errno;
  close(fd);
  if (rc != 0)
    // exitinfo2: bits 31:0 the firmware error, 63:32 the VMM error (uapi comment).
    return Error(std::string("SNP_GET_REPORT failed: ") + std::strerror(err) + " (firmware error " +
                 hex_u64(io.exitinfo2 & 0xffffffffu) + ", VMM error " + hex_u64(io.exitinfo2 >> 32) + ")");

  const std::uint32_t status = load_le<std::uint32_t>(resp.data + kRspStatus);
  const std::uint32_t size = load_le<std::uint32_t>(resp.data + kRspReportSize);
  if (status != 0) return Error("SNP_GET_REPORT: firmware status " + hex_u64(status));
  if (size != snp::kReportSize)
    return Error("SNP_GET_REPORT: report of " + std::to_string(size) + " bytes, expected " +
                 std::to_string(snp::kReportSize));
  return Bytes(resp.data + kRspReport, resp.data + kRspReport + size);
}

}  // namespace nsgx::attest
