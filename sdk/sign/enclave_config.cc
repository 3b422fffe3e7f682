#include "sdk/sign/enclave_config.h"

#include <cerrno>
#include <cstdlib>
#include <map>
#include <pugixml.hpp>
#include <set>

namespace nsgx::sdk {
namespace {

// strtoull with base 0 as the SDK's signer does, without '-' and with the whole text consumed.
Result<std::uint64_t> number(const std::string& name, const std::string& text, std::uint64_t min, std::uint64_t max) {
  std::string t = text;
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) t.pop_back();
  std::size_t i = 0;
  while (i < t.size() && std::isspace(static_cast<unsigned char>(t[i]))) ++i;
  t = t.substr(i);
  if (t.empty() || t[0] == '-' || t[0] == '+') return Error("<" + name + ">: '" + text + "' is not a number");
  errno = 0;
  char* end = nullptr;
  const unsigned long long v = std::strtoull(t.c_str(), &end, 0);
  if (errno != 0 || end == nullptr || *end != '\0') return Error("<" + name + ">: '" + text + "' is not a number");
  if (v < min || v > max)
    return Error("<" + name + ">: " + t + " is out of range [" + std::to_string(min) + ", " + std::to_string(max) +
                 "]");
  return static_cast<std::uint64_t>(v);
}

}  // namespace

Result<EnclaveConfig> parse_enclave_config(const std::string& xml) {
  pugi::xml_document doc;
  const pugi::xml_parse_result parsed = doc.load_buffer(xml.data(), xml.size());
  if (!parsed)
    return Error(std::string("not well-formed XML: ") + parsed.description() + " at byte " +
                 std::to_string(parsed.offset));
  const pugi::xml_node root = doc.child("EnclaveConfiguration");
  if (!root) return Error("the root element must be <EnclaveConfiguration>");
  EnclaveConfig c;
  std::set<std::string> seen;
  std::map<std::string, std::uint64_t> v;
  struct Range {
    std::uint64_t min, max;
  };
  static const std::map<std::string, Range> kKnown = {
      {"ProdID", {0, 0xffff}},
      {"ISVSVN", {0, 0xffff}},
      {"TCSNum", {1, 0xffffffff}},
      {"TCSMaxNum", {1, 0xffffffff}},
      {"TCSMinPool", {0, 0xffffffff}},
      {"TCSPolicy", {0, 1}},
      {"StackMaxSize", {0x2000, 0x40000000}},
      {"StackMinSize", {0x2000, 0x40000000}},
      {"HeapMaxSize", {0, 0x1000000000}},
      {"HeapMinSize", {0, 0x1000000000}},
      {"HeapInitSize", {0, 0x1000000000}},
      {"DisableDebug", {0, 1}},
      {"ProvisionKey", {0, 1}},
      {"EnableKSS", {0, 1}},
      {"MiscSelect", {0, 0xffffffff}},
      {"MiscMask", {0, 0xffffffff}},
      {"ReleaseType", {0, 1}},
      {"IntelSigned", {0, 1}},
      {"LaunchKey", {0, 1}},
      {"HW", {0, 0x10}},
      {"ReservedMemMaxSize", {0, 0}},
      {"ReservedMemMinSize", {0, 0}},
      {"ReservedMemInitSize", {0, 0}},
      {"ReservedMemExecutable", {0, 0}},
      {"UserRegionSize", {0, 0x1000000000}},
      {"UserRegionFirst", {0, 1}},  // nestedsgx's own (enclave_config.h)
      {"ISVFAMILYID_H", {0, UINT64_MAX}},
      {"ISVFAMILYID_L", {0, UINT64_MAX}},
      {"ISVEXTPRODID_H", {0, UINT64_MAX}},
      {"ISVEXTPRODID_L", {0, UINT64_MAX}},
      {"PKRU", {0, 0}},
      {"AMX", {0, 0}},
  };
  for (const pugi::xml_node n : root.children()) {
    if (n.type() != pugi::node_element) continue;
    const std::string name = n.name();
    auto it = kKnown.find(name);
    if (it == kKnown.end()) return Error("<" + name + ">: unknown element");
    if (!seen.insert(name).second) return Error("<" + name + ">: given twice");
    if (n.first_attribute()) return Error("<" + name + ">: attributes are not allowed");
    auto value = number(name, n.child_value(), it->second.min, it->second.max);
    if (!value) {
      if (it->second.max == 0)
        return Error("<" + name +
                     ">: not supported by nsgx sign (reserved memory, user regions, ELRANGE, PKRU and "
                     "AMX layouts are not implemented); leave it out or 0");
      return value.error();
    }
    v[name] = *value;
  }
  auto get = [&](const char* name, std::uint64_t def) { return v.contains(name) ? v[name] : def; };
  if (get("LaunchKey", 0) || get("HW", 0) || get("IntelSigned", 0) || get("ReleaseType", 0))
    return Error("LaunchKey, HW, IntelSigned and ReleaseType are Intel-internal and not supported");
  c.prod_id = static_cast<std::uint16_t>(get("ProdID", 0));
  c.isv_svn = static_cast<std::uint16_t>(get("ISVSVN", 0));
  c.tcs_num = static_cast<std::uint32_t>(get("TCSNum", 1));
  if (get("TCSMaxNum", c.tcs_num) != c.tcs_num)
    return Error("<TCSMaxNum>: dynamic threads (SGX2) are not laid out yet; it must equal TCSNum");
  c.tcs_policy = static_cast<std::uint32_t>(get("TCSPolicy", 1));
  c.stack_max = get("StackMaxSize", 0x40000);
  if (c.stack_max % 4096 != 0) return Error("<StackMaxSize>: must be a multiple of 4096");
  if (get("StackMinSize", 0x2000) > c.stack_max) return Error("<StackMinSize>: larger than StackMaxSize");
  c.heap_max = get("HeapMaxSize", 0x1000000);
  if (c.heap_max % 4096 != 0) return Error("<HeapMaxSize>: must be a multiple of 4096");
  if (get("HeapMinSize", 0x1000) > c.heap_max || get("HeapInitSize", c.heap_max) > c.heap_max)
    return Error("<HeapMinSize>/<HeapInitSize>: larger than HeapMaxSize");
  c.user_region = get("UserRegionSize", 0);
  if (c.user_region % 4096 != 0) return Error("<UserRegionSize>: must be a multiple of 4096");
  c.user_region_first = get("UserRegionFirst", 0) != 0;
  if (c.user_region_first && c.user_region == 0) return Error("<UserRegionFirst>: needs a <UserRegionSize>");
  c.disable_debug = get("DisableDebug", 0) != 0;
  c.provision_key = get("ProvisionKey", 0) != 0;
  c.enable_kss = get("EnableKSS", 0) != 0;
  if (!c.enable_kss &&
      (get("ISVFAMILYID_H", 0) || get("ISVFAMILYID_L", 0) || get("ISVEXTPRODID_H", 0) || get("ISVEXTPRODID_L", 0)))
    return Error("ISVFAMILYID/ISVEXTPRODID need <EnableKSS>1</EnableKSS>");
  if (c.enable_kss) return Error("<EnableKSS>: key separation and sharing is not supported by nsgx sign yet");
  c.misc_select = static_cast<std::uint32_t>(get("MiscSelect", 0));
  c.misc_mask = static_cast<std::uint32_t>(get("MiscMask", 0xffffffff));
  return c;
}

identity::SigstructFields sigstruct_fields(const EnclaveConfig& c) {
  identity::SigstructFields f;
  f.isv_prod_id = c.prod_id;
  f.isv_svn = c.isv_svn;
  f.misc_select = c.misc_select;
  f.misc_mask = c.misc_mask;
  if (c.disable_debug) f.attribute_mask.flags |= sgx::attr::kDebug;  // DEBUG must then be 0
  if (c.provision_key) {
    f.attributes.flags |= sgx::attr::kProvisionKey;
    f.attribute_mask.flags |= sgx::attr::kProvisionKey;
  }
  return f;
}

}  // namespace nsgx::sdk
