#include <ctime>
#include <iostream>
#include <memory>

#include "identity/sigstruct.h"
#include "sdk/sign/layout.h"
#include "tools/nsgx/commands.h"
#include "tools/nsgx/source.h"

namespace nsgx::cli {

namespace {

struct SignOptions {
  SourceOptions source;
  std::string enclavehash;
  std::string key;
  std::string out;
  std::string out_image;
  std::string config;  // Enclave.config.xml: lay out an unsigned enclave first
  // Field overrides; empty = default (the image's current SIGSTRUCT, else SigstructFields{}).
  std::string date, vendor, swdefined, attributes, attributes_mask, xfrm, xfrm_mask, miscselect, misc_mask, isvprodid,
      isvsvn;
};

// Today's date as the SIGSTRUCT's BCD yyyymmdd.
std::uint32_t today_bcd() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  auto bcd = [](int v, int digits) {
    std::uint32_t out = 0;
    for (int i = 0; i < digits; ++i, v /= 10) out |= static_cast<std::uint32_t>(v % 10) << (4 * i);
    return out;
  };
  return (bcd(tm.tm_year + 1900, 4) << 16) | (bcd(tm.tm_mon + 1, 2) << 8) | bcd(tm.tm_mday, 2);
}

// YYYYMMDD as written, stored as BCD (0x20240131 for 20240131).
Result<std::uint32_t> parse_date(const std::string& s) {
  if (s.size() != 8 || s.find_first_not_of("0123456789") != std::string::npos)
    return Error("--date must be YYYYMMDD, got '" + s + "'");
  return static_cast<std::uint32_t>(std::stoul(s, nullptr, 16));
}

template <typename T>
Status override_field(const std::string& text, T& field, const char* name) {
  if (text.empty()) return {};
  auto v = parse_number(text, std::numeric_limits<T>::max());
  if (!v) return v.error().context(name);
  field = static_cast<T>(*v);
  return {};
}

Status apply(const SignOptions& o, identity::SigstructFields& f) {
  if (!o.date.empty()) {
    NSGX_ASSIGN_OR_RETURN(f.date, parse_date(o.date));
  }
  NSGX_RETURN_IF_ERROR(override_field(o.vendor, f.vendor, "--vendor"));
  NSGX_RETURN_IF_ERROR(override_field(o.swdefined, f.swdefined, "--swdefined"));
  NSGX_RETURN_IF_ERROR(override_field(o.attributes, f.attributes.flags, "--attributes"));
  NSGX_RETURN_IF_ERROR(override_field(o.attributes_mask, f.attribute_mask.flags, "--attributes-mask"));
  NSGX_RETURN_IF_ERROR(override_field(o.xfrm, f.attributes.xfrm, "--xfrm"));
  NSGX_RETURN_IF_ERROR(override_field(o.xfrm_mask, f.attribute_mask.xfrm, "--xfrm-mask"));
  NSGX_RETURN_IF_ERROR(override_field(o.miscselect, f.misc_select, "--miscselect"));
  NSGX_RETURN_IF_ERROR(override_field(o.misc_mask, f.misc_mask, "--misc-mask"));
  NSGX_RETURN_IF_ERROR(override_field(o.isvprodid, f.isv_prod_id, "--isvprodid"));
  NSGX_RETURN_IF_ERROR(override_field(o.isvsvn, f.isv_svn, "--isvsvn"));
  if (f.vendor != 0 && f.vendor != sgx::kVendorIntel) return Error("--vendor must be 0 or 0x8086");
  return {};
}

// The signer-chosen fields of an existing, well-formed SIGSTRUCT, so that
// re-signing an image keeps its policy unless flags say otherwise.
identity::SigstructFields fields_of(const sgx::Sigstruct& ss) {
  identity::SigstructFields f;
  f.vendor = ss.vendor;
  f.date = ss.date;
  f.swdefined = ss.swdefined;
  f.misc_select = ss.misc_select;
  f.misc_mask = ss.misc_mask;
  f.attributes = ss.attributes;
  f.attribute_mask = ss.attribute_mask;
  f.isv_prod_id = ss.isv_prod_id;
  f.isv_svn = ss.isv_svn;
  std::copy(std::begin(ss.isv_family_id), std::end(ss.isv_family_id), f.isv_family_id.begin());
  std::copy(std::begin(ss.isv_ext_prod_id), std::end(ss.isv_ext_prod_id), f.isv_ext_prod_id.begin());
  return f;
}

Status run(SignOptions o) {
  const int inputs = o.source.count() + !o.enclavehash.empty();
  if (inputs != 1) return Error("give exactly one input: IMAGE, --sgxs FILE, --pages FILE or --enclavehash HEX");
  if (!o.out_image.empty() && o.source.image.empty()) return Error("--out-image needs an IMAGE input");
  if (o.out.empty() && o.out_image.empty()) return Error("give --out and/or --out-image");

  NSGX_ASSIGN_OR_RETURN(Bytes pem, read_file(o.key));
  auto key = crypto::RsaPrivateKey::from_pem(std::string(pem.begin(), pem.end()));
  if (!key) return key.error().context(o.key);

  identity::SigstructFields f;
  std::optional<sdk::EnclaveConfig> config;
  if (!o.config.empty()) {
    if (o.source.image.empty()) return Error("--config lays out an unsigned enclave IMAGE; give one");
    NSGX_ASSIGN_OR_RETURN(Bytes xml, read_file(o.config));
    auto c = sdk::parse_enclave_config(std::string(xml.begin(), xml.end()));
    if (!c) return c.error().context(o.config);
    NSGX_ASSIGN_OR_RETURN(Bytes elf, read_file(o.source.image));
    auto laid = sdk::lay_out(elf, *c);
    if (!laid) return laid.error().context(o.source.image);
    o.source.image_bytes = std::move(*laid);
    f = sdk::sigstruct_fields(*c);
    config = *c;
  }
  f.date = today_bcd();
  std::optional<MeasuredSource> measured;
  if (!o.enclavehash.empty()) {
    NSGX_ASSIGN_OR_RETURN(Bytes h, from_hex(o.enclavehash));
    if (h.size() != 32) return Error("--enclavehash must be 32 bytes (64 hex digits)");
    std::copy(h.begin(), h.end(), f.enclave_hash.begin());
  } else {
    NSGX_ASSIGN_OR_RETURN(MeasuredSource m, measure_source(o.source));
    if (!config && m.image && identity::verify_sigstruct(m.image->sigstruct())) {
      const auto today = f.date;
      f = fields_of(m.image->sigstruct());
      f.date = today;
    }
    f.enclave_hash = m.mrenclave;
    measured.emplace(std::move(m));
  }
  NSGX_RETURN_IF_ERROR(apply(o, f));

  sgx::Sigstruct ss = identity::make_sigstruct(f);
  NSGX_RETURN_IF_ERROR(identity::sign_sigstruct(ss, *key));
  NSGX_RETURN_IF_ERROR(identity::verify_sigstruct(ss));
  if (!o.out.empty()) NSGX_RETURN_IF_ERROR(write_file(o.out, as_bytes(ss)));
  if (!o.out_image.empty()) NSGX_RETURN_IF_ERROR(write_file(o.out_image, measured->image->with_sigstruct(ss)));
  std::cout << "MRENCLAVE " << to_hex(ByteSpan(ss.enclave_hash, 32)) << "\n"
            << "MRSIGNER  " << to_hex(identity::mrsigner(ss)) << "\n";
  return {};
}

}  // namespace

void add_sign(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("sign", "measure an enclave (or take --enclavehash) and write a signed SIGSTRUCT");
  auto o = std::make_shared<SignOptions>();
  o->source.add_to(*cmd);
  cmd->add_option("--enclavehash", o->enclavehash, "sign this MRENCLAVE (64 hex digits) instead of measuring");
  cmd->add_option("--key", o->key, "RSA-3072 exponent-3 private key, PEM (see nsgx keygen)")->required();
  cmd->add_option("--out", o->out, "write the SIGSTRUCT here");
  cmd->add_option("--out-image", o->out_image, "with IMAGE: write the image carrying the new SIGSTRUCT here");
  cmd->add_option("--config", o->config,
                  "Enclave.config.xml: lay out an unsigned enclave (heap, threads, metadata) before signing it");
  cmd->add_option("--date", o->date, "YYYYMMDD (default: today, UTC)");
  cmd->add_option("--vendor", o->vendor, "0 or 0x8086");
  cmd->add_option("--swdefined", o->swdefined, "SWDEFINED word");
  cmd->add_option("--attributes", o->attributes, "ATTRIBUTES.FLAGS (default 0x4, MODE64BIT)");
  cmd->add_option("--attributes-mask", o->attributes_mask, "ATTRIBUTEMASK.FLAGS (default ~0x2: all but DEBUG)");
  cmd->add_option("--xfrm", o->xfrm, "ATTRIBUTES.XFRM (default 0x3)");
  cmd->add_option("--xfrm-mask", o->xfrm_mask, "ATTRIBUTEMASK.XFRM (default 0xffffffffffffff1b)");
  cmd->add_option("--miscselect", o->miscselect, "MISCSELECT (default 0)");
  cmd->add_option("--misc-mask", o->misc_mask, "MISCMASK (default 0xffffffff)");
  cmd->add_option("--isvprodid", o->isvprodid, "ISVPRODID (default 0)");
  cmd->add_option("--isvsvn", o->isvsvn, "ISVSVN (default 0)");
  cmd->footer(
      "Numbers are decimal or 0x-prefixed hex. Re-signing an image keeps the fields of its current SIGSTRUCT\n"
      "unless a flag overrides them. Raw pages: --pages FILE --tcs 0 [--enclave-size N] [--ssa-frame-size N]\n"
      "[--page-flags 0x207] measures page i at offset i*4096, TCS pages with SECINFO 0x100.");
  cmd->callback([o, &exit_code] {
    auto st = run(*o);
    if (!st) {
      std::cerr << "nsgx sign: " << st.error().message() << "\n";
      exit_code = kExitBadInput;
    }
  });
}

}  // namespace nsgx::cli
