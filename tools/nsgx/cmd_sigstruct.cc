#include <cstdio>
#include <iostream>
#include <memory>

#include <nlohmann/json.hpp>

#include "identity/sigstruct.h"
#include "tools/nsgx/commands.h"
#include "tools/nsgx/source.h"

namespace nsgx::cli {

namespace {

std::string hex_num(std::uint64_t v, int width) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%0*llx", width, static_cast<unsigned long long>(v));
  return buf;
}

std::string attribute_names(std::uint64_t flags) {
  static constexpr std::pair<std::uint64_t, const char*> kNames[] = {
      {sgx::attr::kInit, "INIT"},         {sgx::attr::kDebug, "DEBUG"},
      {sgx::attr::kMode64Bit, "MODE64BIT"}, {sgx::attr::kProvisionKey, "PROVISIONKEY"},
      {sgx::attr::kEinitTokenKey, "EINITTOKENKEY"}, {sgx::attr::kCet, "CET"},
      {sgx::attr::kKss, "KSS"},           {sgx::attr::kAexNotify, "AEXNOTIFY"}};
  std::string out;
  for (auto [bit, name] : kNames)
    if (flags & bit) out += (out.empty() ? "" : "|") + std::string(name);
  if (flags & sgx::attr::kReservedMask) out += (out.empty() ? "" : "|") + std::string("reserved bits");
  return out.empty() ? "none" : out;
}

std::string bcd_date(std::uint32_t d) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04x-%02x-%02x", d >> 16, (d >> 8) & 0xff, d & 0xff);
  return buf;
}

struct Options {
  std::string file;
  bool json = false;
};

}  // namespace

void add_sigstruct(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand(
      "sigstruct", "print the fields of a SIGSTRUCT, or of the one in an enclave image; exit 1 if it does not verify");
  auto opts = std::make_shared<Options>();
  cmd->add_option("file", opts->file, "a SIGSTRUCT (1808 bytes) or an SGX SDK enclave image")->required();
  cmd->add_flag("--json", opts->json, "print JSON");
  cmd->callback([opts, &exit_code] {
    auto bytes = read_file(opts->file);
    if (!bytes) {
      std::cerr << "nsgx sigstruct: " << bytes.error().message() << "\n";
      exit_code = kExitBadInput;
      return;
    }
    sgx::Sigstruct ss{};
    std::optional<identity::Mrenclave> measured;
    if (bytes->size() == sizeof(sgx::Sigstruct)) {
      ss = *identity::parse_sigstruct(*bytes);
    } else {
      SourceOptions src;
      src.image = opts->file;
      auto m = measure_source(src);
      if (!m) {
        std::cerr << "nsgx sigstruct: " << m.error().message()
                  << " (expected a 1808-byte SIGSTRUCT or an SGX SDK enclave image)\n";
        exit_code = kExitBadInput;
        return;
      }
      ss = m->image->sigstruct();
      measured = m->mrenclave;
    }

    const Status sig = identity::verify_sigstruct(ss);
    std::string failure = sig ? "" : sig.error().message();
    const std::string enclave_hash = to_hex(ByteSpan(ss.enclave_hash, 32));
    if (failure.empty() && measured && to_hex(*measured) != enclave_hash)
      failure = "ENCLAVEHASH does not match the image's measured MRENCLAVE " + to_hex(*measured);

    nlohmann::ordered_json j;
    j["vendor"] = hex_num(ss.vendor, 4);
    j["date"] = bcd_date(ss.date);
    j["swdefined"] = hex_num(ss.swdefined, 8);
    j["miscselect"] = hex_num(ss.misc_select, 8);
    j["miscmask"] = hex_num(ss.misc_mask, 8);
    j["attributes"] = {{"flags", hex_num(ss.attributes.flags, 16)},
                       {"flag_names", attribute_names(ss.attributes.flags)},
                       {"xfrm", hex_num(ss.attributes.xfrm, 16)}};
    j["attributemask"] = {{"flags", hex_num(ss.attribute_mask.flags, 16)}, {"xfrm", hex_num(ss.attribute_mask.xfrm, 16)}};
    j["enclavehash"] = enclave_hash;
    j["isvprodid"] = ss.isv_prod_id;
    j["isvsvn"] = ss.isv_svn;
    if (!all_zero(ByteSpan(ss.isv_family_id, 16))) j["isvfamilyid"] = to_hex(ByteSpan(ss.isv_family_id, 16));
    if (!all_zero(ByteSpan(ss.isv_ext_prod_id, 16))) j["isvextprodid"] = to_hex(ByteSpan(ss.isv_ext_prod_id, 16));
    j["exponent"] = ss.exponent;
    j["mrsigner"] = to_hex(identity::mrsigner(ss));
    if (measured) j["measured_mrenclave"] = to_hex(*measured);
    j["valid"] = failure.empty();
    if (!failure.empty()) j["error"] = failure;

    if (opts->json) {
      std::cout << j.dump(2) << "\n";
    } else {
      for (const auto& [k, v] : j.items()) {
        if (k == "valid" || k == "error") continue;
        if (v.is_object()) {
          std::cout << k << ":";
          for (const auto& [k2, v2] : v.items())
            std::cout << " " << k2 << "=" << (v2.is_string() ? v2.get<std::string>() : v2.dump());
          std::cout << "\n";
        } else {
          std::cout << k << ": " << (v.is_string() ? v.get<std::string>() : v.dump()) << "\n";
        }
      }
      std::cout << "signature: " << (failure.empty() ? "valid (RSA-3072 e=3, Q1/Q2, header constants)" : "INVALID")
                << "\n";
    }
    if (!failure.empty()) {
      std::cerr << "nsgx sigstruct: " << opts->file << ": " << failure << "\n";
      exit_code = kExitVerifyFailed;
    }
  });
}

}  // namespace nsgx::cli
