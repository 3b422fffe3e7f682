#include "attest/quoter.h"

#include <dlfcn.h>
#include <openssl/crypto.h>
#include <sys/stat.h>

#include <algorithm>

#include "attest/private_file.h"
#include "crypto/sha.h"
#include "crypto/x509.h"

namespace nsgx::attest {

Result<crypto::EcdsaP384PrivateKey> load_or_create_attestation_key(const std::string& dir, const std::string& name) {
  NSGX_RETURN_IF_ERROR(make_private_dirs(dir));
  const std::string path = dir + "/" + name;
  auto exists = [&] {
    struct stat st {};
    return lstat(path.c_str(), &st) == 0;
  };
  // Created here unless it exists; then read back, so that this process and
  // every later one (or a process that won a race to create it) agree.
  if (!exists()) {
    NSGX_ASSIGN_OR_RETURN(auto fresh, crypto::EcdsaP384PrivateKey::generate());
    NSGX_ASSIGN_OR_RETURN(auto text, fresh.to_pem());
    Status published = publish_private(path, text);
    OPENSSL_cleanse(text.data(), text.size());
    if (!published && !exists()) return published.error().context("attestation key");
  }
  auto pem = read_private(path);
  if (!pem) return pem.error().context("attestation key");
  auto key = crypto::EcdsaP384PrivateKey::from_pem(*pem);
  OPENSSL_cleanse(pem->data(), pem->size());
  if (!key) return key.error().context(path);
  return key;
}

Result<std::array<std::uint8_t, 48>> self_measurement() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&self_measurement), &info) == 0 || info.dli_fname == nullptr)
    return Error("cannot find the file this code was loaded from");
  // The main program's dli_fname may be a bare name; /proc/self/exe is it.
  std::string path = info.dli_fname;
  if (path.find('/') == std::string::npos) path = "/proc/self/exe";
  NSGX_ASSIGN_OR_RETURN(auto bytes, read_file(path));
  return crypto::sha384(bytes);
}

namespace {

// Whichever of VCEK, ASK, ARK the administrator provides, in that order
// (a prefix: an ASK without its VCEK is of no use in a quote).
Result<std::vector<Bytes>> read_snp_certs(const std::string& dir) {
  std::vector<Bytes> out;
  for (const char* name : {"vcek", "ask", "ark"}) {
    Result<Bytes> bytes = Error("absent");
    for (const char* ext : {".der", ".pem"}) {
      bytes = read_file(dir + "/" + name + ext);
      if (bytes) break;
    }
    if (!bytes) break;
    NSGX_ASSIGN_OR_RETURN(auto cert, crypto::Certificate::parse(*bytes));
    out.push_back(cert.der());
  }
  return out;
}

}  // namespace

Result<Quoter> Quoter::create(const QuoterOptions& options) {
  if (options.state_dir.empty()) return Error("quoter: no state directory");
  NSGX_ASSIGN_OR_RETURN(auto key, load_or_create_attestation_key(options.state_dir, options.key_file));
  const Bytes point = key.public_key().uncompressed_point();
  const auto commitment = key_commitment(point);
  std::array<std::uint8_t, snp::kReportSize> report{};
  std::vector<Bytes> certs;
  EvidenceKind kind;
  if (!options.force_emulated && sev_guest_available(options.sev_guest_device)) {
    kind = EvidenceKind::kSnpFirmware;
    NSGX_ASSIGN_OR_RETURN(auto raw, request_snp_report(commitment, 0, options.sev_guest_device));
    if (raw.size() != report.size()) return Error("quoter: the SNP firmware's report has the wrong size");
    std::copy(raw.begin(), raw.end(), report.begin());
    NSGX_ASSIGN_OR_RETURN(certs, read_snp_certs(options.state_dir + "/" + kSnpCertsDir));
  } else {
    kind = EvidenceKind::kEmulated;
    NSGX_ASSIGN_OR_RETURN(
        auto root, EmulatedRoot::load_or_create(options.state_dir + "/" + kEmulatedRootDir, options.root_options));
    EmulatedReportRequest req;
    req.report_data = commitment;
    if (options.measurement) {
      req.measurement = *options.measurement;
    } else {
      NSGX_ASSIGN_OR_RETURN(req.measurement, self_measurement());
    }
    NSGX_ASSIGN_OR_RETURN(report, root.issue_report(req));
    for (const crypto::Certificate* c : {&root.vcek(), &root.ask(), &root.ark()}) certs.push_back(c->der());
  }
  return Quoter(std::move(key), kind, report, std::move(certs));
}

std::size_t Quoter::quote_size() const {
  QuoteContents c;
  for (const Bytes& cert : certs_) c.certs.emplace_back(cert);
  return attest::quote_size(c);
}

Result<Bytes> Quoter::quote(const sgx::ReportBody& body, ByteSpan nonce) const {
  if (nonce.size() > kQuoteMaxNonce)
    return Error("quote: the nonce is " + std::to_string(nonce.size()) + " bytes, at most 64");
  if (!nonce.empty()) {
    const auto binding = nonce_binding(nonce);
    if (!std::equal(binding.begin(), binding.end(), body.report_data))
      return Error("quote: REPORT_DATA[0..32) is not SHA-256(nonce): the report does not bind this nonce");
  }
  QuoteContents c;
  c.kind = kind_;
  c.body = body;
  c.nonce = nonce;
  c.public_key = point_;
  c.snp_report = snp_report_;
  for (const Bytes& cert : certs_) c.certs.emplace_back(cert);
  NSGX_ASSIGN_OR_RETURN(auto bytes, serialize_unsigned_quote(c));
  NSGX_ASSIGN_OR_RETURN(auto sig, key_.sign_sha384(bytes));
  append_signature(bytes, sig);
  return bytes;
}

}  // namespace nsgx::attest
