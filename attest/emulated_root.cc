#include "attest/emulated_root.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "attest/emulation_mark.h"
#include "attest/private_file.h"
#include "attest/snp_report.h"
#include "attest/vcek.h"
#include "crypto/rsa.h"
#include "crypto/symmetric.h"
#include "crypto/x509_builder.h"

namespace nsgx::attest {

namespace {

constexpr crypto::UnixTime kDay = 86400;
// AMD's ARK and ASK are valid for 25 years, VCEKs for 7.
constexpr crypto::UnixTime kRootValidity = kDay * 365 * 25;
constexpr crypto::UnixTime kVcekValidity = kDay * 365 * 7;

constexpr const char* kFiles[] = {"ark.pem", "ask.pem", "vcek.pem", "vcek-key.pem"};

std::string errno_text() { return std::strerror(errno); }

void remove_dir(const std::string& dir) {
  for (const char* f : kFiles) unlink((dir + "/" + f).c_str());
  rmdir(dir.c_str());
}

crypto::CertificateExtension marker() { return {kEmulatedOid, true, crypto::der_encode_utf8string(kEmulatedText)}; }

crypto::CertificateSpec spec(const char* cn, std::uint64_t serial, crypto::UnixTime from, crypto::UnixTime validity) {
  crypto::CertificateSpec s;
  s.subject = {{"O", "nestedsgx"}, {"OU", "emulated SEV-SNP platform root, not AMD hardware"}, {"CN", cn}};
  s.serial = serial;
  s.not_before = from;
  s.not_after = from + validity;
  s.extensions.push_back(marker());
  return s;
}

}  // namespace

Result<EmulatedRoot> EmulatedRoot::create(const EmulatedRootOptions& options) {
  if (options.rsa_bits != 3072 && options.rsa_bits != 4096)
    return Error("emulated root: RSA keys must be 3072 or 4096 bits, not " + std::to_string(options.rsa_bits));
  const crypto::UnixTime from = options.not_before.value_or(crypto::unix_now() - kDay);

  NSGX_ASSIGN_OR_RETURN(auto ark_key, crypto::RsaPrivateKey::generate(options.rsa_bits, 65537));
  NSGX_ASSIGN_OR_RETURN(auto ask_key, crypto::RsaPrivateKey::generate(options.rsa_bits, 65537));
  NSGX_ASSIGN_OR_RETURN(auto vcek_key, crypto::EcdsaP384PrivateKey::generate());

  auto ark_spec = spec("ARK-nestedsgx emulated", 1, from, kRootValidity);
  ark_spec.ca = true;
  NSGX_ASSIGN_OR_RETURN(auto ark, crypto::issue_certificate(ark_spec, ark_key.public_key(), ark_key, nullptr));
  auto ask_spec = spec("SEV-nestedsgx emulated", 2, from, kRootValidity);
  ask_spec.ca = true;
  ask_spec.path_len = 0;
  NSGX_ASSIGN_OR_RETURN(auto ask, crypto::issue_certificate(ask_spec, ask_key.public_key(), ark_key, &ark));

  // The VCEK's extensions as AMD's VCEK spec lays them out for family 19h.
  std::array<std::uint8_t, 64> chip_id{};
  NSGX_RETURN_IF_ERROR(crypto::random_bytes(chip_id));
  const auto layout = snp::TcbLayout::kMilanGenoa;
  auto vcek_spec = spec("SEV-VCEK nestedsgx emulated", 3, from, kVcekValidity);
  vcek_spec.extensions.push_back({amd_oid::kStructVersion, false, crypto::der_encode_integer(0)});
  vcek_spec.extensions.push_back({amd_oid::kProductName, false, crypto::der_encode_ia5string(kEmulatedProductName)});
  vcek_spec.extensions.push_back({amd_oid::kBlSpl, false, crypto::der_encode_integer(options.tcb.bootloader(layout))});
  vcek_spec.extensions.push_back({amd_oid::kTeeSpl, false, crypto::der_encode_integer(options.tcb.tee(layout))});
  vcek_spec.extensions.push_back({amd_oid::kSnpSpl, false, crypto::der_encode_integer(options.tcb.snp(layout))});
  vcek_spec.extensions.push_back(
      {amd_oid::kUcodeSpl, false, crypto::der_encode_integer(options.tcb.microcode(layout))});
  vcek_spec.extensions.push_back({amd_oid::kHwId, false, Bytes(chip_id.begin(), chip_id.end())});
  NSGX_ASSIGN_OR_RETURN(auto vcek, crypto::issue_certificate(vcek_spec, vcek_key.public_key(), ask_key, &ask));
  // ark_key and ask_key go out of scope here and are never written anywhere.
  return from_parts(std::move(ark), std::move(ask), std::move(vcek), std::move(vcek_key));
}

Result<EmulatedRoot> EmulatedRoot::from_parts(crypto::Certificate ark, crypto::Certificate ask,
                                              crypto::Certificate vcek, crypto::EcdsaP384PrivateKey vcek_key) {
  for (const crypto::Certificate* c : {&ark, &ask, &vcek})
    if (!is_marked_emulated(*c)) return Error("certificate '" + c->subject_common_name() + "' is not marked emulated");
  NSGX_ASSIGN_OR_RETURN(auto ark_pub, ark.rsa_public_key());
  NSGX_ASSIGN_OR_RETURN(auto ask_pub, ask.rsa_public_key());
  if (!ark.verify_signature(ark_pub)) return Error("the ARK is not self-signed");
  if (!ask.verify_signature(ark_pub)) return Error("the ASK is not signed by the ARK");
  if (!vcek.verify_signature(ask_pub)) return Error("the VCEK is not signed by the ASK");
  NSGX_ASSIGN_OR_RETURN(auto vcek_pub, vcek.ec_p384_public_key());
  if (vcek_pub.uncompressed_point() != vcek_key.public_key().uncompressed_point())
    return Error("the VCEK key does not belong to the VCEK certificate");
  NSGX_ASSIGN_OR_RETURN(auto ext, read_vcek_extensions(vcek));
  if (!ext.hw_id || ext.hw_id->size() != 64) return Error("the VCEK has no 64-byte hwID");
  if (!ext.bl_spl || !ext.tee_spl || !ext.snp_spl || !ext.ucode_spl) return Error("the VCEK lacks a TCB extension");
  std::array<std::uint8_t, 64> chip_id{};
  std::copy(ext.hw_id->begin(), ext.hw_id->end(), chip_id.begin());
  const auto tcb = snp::TcbVersion::from_parts_milan(*ext.bl_spl, *ext.tee_spl, *ext.snp_spl, *ext.ucode_spl);
  return EmulatedRoot(std::move(ark), std::move(ask), std::move(vcek), std::move(vcek_key), chip_id, tcb);
}

bool EmulatedRoot::exists(const std::string& dir) {
  struct stat st {};
  return lstat((dir + "/" + kFiles[0]).c_str(), &st) == 0;
}

Result<EmulatedRoot> EmulatedRoot::load(const std::string& dir) {
  std::string text[4];
  for (std::size_t i = 0; i < 4; ++i) {
    auto t = read_private(dir + "/" + kFiles[i]);
    if (!t) return t.error().context("emulated SNP root");
    text[i] = std::move(*t);
  }
  auto parse = [&](std::size_t i) -> Result<crypto::Certificate> {
    auto c = crypto::Certificate::from_pem(text[i]);
    if (!c) return c.error().context(dir + "/" + kFiles[i]);
    return c;
  };
  NSGX_ASSIGN_OR_RETURN(auto ark, parse(0));
  NSGX_ASSIGN_OR_RETURN(auto ask, parse(1));
  NSGX_ASSIGN_OR_RETURN(auto vcek, parse(2));
  auto key = crypto::EcdsaP384PrivateKey::from_pem(text[3]);
  OPENSSL_cleanse(text[3].data(), text[3].size());
  if (!key) return key.error().context(dir + "/" + kFiles[3]);
  auto root = from_parts(std::move(ark), std::move(ask), std::move(vcek), std::move(*key));
  if (!root) return root.error().context("emulated SNP root in " + dir);
  return root;
}

Status EmulatedRoot::save(const std::string& dir) const {
  if (exists(dir)) return Error(dir + " already holds an emulated SNP root");
  const auto slash = dir.find_last_of('/');
  if (slash != std::string::npos && slash > 0) NSGX_RETURN_IF_ERROR(make_private_dirs(dir.substr(0, slash)));
  // Build the whole root in a sibling directory, then rename it into place:
  // readers see all four files or none.
  const std::string tmp = dir + ".tmp." + std::to_string(getpid());
  if (mkdir(tmp.c_str(), 0700) != 0) return Error("cannot create " + tmp + ": " + errno_text());
  auto key_pem = vcek_key_.to_pem();
  if (!key_pem) {
    remove_dir(tmp);
    return key_pem.error();
  }
  std::string contents[4] = {ark_.pem(), ask_.pem(), vcek_.pem(), *key_pem};
  OPENSSL_cleanse(key_pem->data(), key_pem->size());
  Status written;
  for (std::size_t i = 0; i < 4 && written; ++i) written = write_private(tmp + "/" + kFiles[i], contents[i]);
  OPENSSL_cleanse(contents[3].data(), contents[3].size());
  if (!written) {
    remove_dir(tmp);
    return written;
  }
  // rename(2) replaces an empty directory and fails on a non-empty one, so
  // of two processes creating a root at once exactly one wins.
  if (rename(tmp.c_str(), dir.c_str()) != 0) {
    const std::string why = errno_text();
    remove_dir(tmp);
    return Error("cannot create " + dir + ": " + why);
  }
  return {};
}

Result<EmulatedRoot> EmulatedRoot::load_or_create(const std::string& dir, const EmulatedRootOptions& options) {
  if (exists(dir)) return load(dir);
  NSGX_ASSIGN_OR_RETURN(auto root, create(options));
  if (Status saved = root.save(dir); !saved) {
    if (exists(dir)) return load(dir);  // another process won the race
    return saved.error();
  }
  // Read back what is on disk, so this and every later load agree.
  return load(dir);
}

SnpChain EmulatedRoot::chain() const { return supplied_chain(ark_, ask_); }

Result<std::array<std::uint8_t, snp::kReportSize>> EmulatedRoot::issue_report(
    const EmulatedReportRequest& request) const {
  snp::AttestationReport r{};
  r.version = kEmulatedReportVersion;
  r.policy = snp::policy::kReserved1 | snp::policy::kSmt;  // bit 17 must be one; no debug
  r.vmpl = request.vmpl;
  r.signature_algo = snp::kSignatureAlgoEcdsaP384Sha384;
  r.current_tcb = r.reported_tcb = r.committed_tcb = r.launch_tcb = tcb_;
  r.key_info = 0;  // SIGNING_KEY 0: "VCEK"
  std::copy(request.report_data.begin(), request.report_data.end(), r.report_data);
  std::copy(request.measurement.begin(), request.measurement.end(), r.measurement);
  std::copy(request.host_data.begin(), request.host_data.end(), r.host_data);
  std::copy(chip_id_.begin(), chip_id_.end(), r.chip_id);
  // CPUID_FAM_ID/MOD_ID/STEP stay zero: this is no particular CPU.
  std::array<std::uint8_t, snp::kReportSize> out{};
  const ByteSpan b = as_bytes(r);
  std::copy(b.begin(), b.end(), out.begin());
  NSGX_RETURN_IF_ERROR(sign_snp_report(out, vcek_key_));
  return out;
}

}  // namespace nsgx::attest
