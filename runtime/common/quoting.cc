#include "runtime/common/quoting.h"

#include <cerrno>
#include <cstdio>

#include "attest/emulated_root.h"
#include "attest/sev_guest.h"

namespace nsgx::runtime {

const attest::Quoter* QuotingService::quoter(std::string* why) {
  std::lock_guard lock(mu_);
  if (!quoter_) {
    // The first quote of a state directory off SEV-SNP makes the emulated
    // root: two RSA-4096 keys (AMD's ARK/ASK size), seconds of silence
    // otherwise. Said on stderr — the application's, for a private monitor
    // or inproc; the journal, for the system monitor.
    const std::string root_dir = options_.state_dir + "/" + attest::kEmulatedRootDir;
    if ((options_.force_emulated || !attest::sev_guest_available(options_.sev_guest_device)) &&
        !attest::EmulatedRoot::exists(root_dir))
      std::fprintf(stderr,
                   "nestedsgx: first quote on this platform: creating the emulated SEV-SNP root in %s "
                   "(RSA-4096 keys; a few seconds, once)\n",
                   root_dir.c_str());
    auto q = attest::Quoter::create(options_);
    if (!q) {
      if (why) *why = q.error().message();
      return nullptr;
    }
    quoter_.emplace(std::move(*q));
  }
  return &*quoter_;
}

int QuotingService::quote_size(std::uint32_t& size, std::string* why) {
  const attest::Quoter* q = quoter(why);
  if (q == nullptr) return -EIO;
  size = static_cast<std::uint32_t>(q->quote_size());
  return 0;
}

int QuotingService::quote(const monitor::Monitor& monitor, ByteSpan report, ByteSpan nonce, Bytes& out,
                          std::string* why) {
  if (report.size() != sizeof(sgx::Report)) {
    if (why) *why = "a REPORT is 432 bytes";
    return -EBADMSG;
  }
  if (nonce.size() > attest::kQuoteMaxNonce) {
    if (why) *why = "the nonce is longer than 64 bytes";
    return -EINVAL;
  }
  const auto r = copy_struct<sgx::Report>(report);
  if (const monitor::LeafResult checked = monitor.verify_report(r, target_info()); !checked) {
    if (why) *why = checked.detail;
    return -EBADMSG;
  }
  const attest::Quoter* q = quoter(why);
  if (q == nullptr) return -EIO;
  auto signed_quote = q->quote(r.body, nonce);
  if (!signed_quote) {
    if (why) *why = signed_quote.error().message();
    // REPORT_DATA does not bind the nonce (or, rarely, signing failed).
    return -EINVAL;
  }
  out = std::move(*signed_quote);
  return 0;
}

}  // namespace nsgx::runtime
