#include "runtime/common/config.h"

#include <cstdlib>
#include <cstring>

#include "base/bytes.h"
#include "runtime/common/platform_secrets.h"

namespace nsgx::runtime {

std::uint64_t parse_size(const char* s) {
  char* end = nullptr;
  std::uint64_t v = std::strtoull(s, &end, 0);
  if (end == s) return 0;
  switch (*end) {
    case 'k': case 'K': v <<= 10; ++end; break;
    case 'm': case 'M': v <<= 20; ++end; break;
    case 'g': case 'G': v <<= 30; ++end; break;
    default: break;
  }
  return *end == 0 ? v : 0;
}

Result<BackendConfig> config_from_env() {
  BackendConfig c;
  if (const char* s = std::getenv("NSGX_EPC_SIZE"); s && *s) {
    const std::uint64_t bytes = parse_size(s);
    if (bytes < 16 * sgx::kPageSize || bytes > (1ull << 36)) return Error("NSGX_EPC_SIZE must be between 64K and 64G");
    c.epc_pages = static_cast<std::uint32_t>(bytes / sgx::kPageSize);
  }
  if (const char* s = std::getenv("NSGX_LAUNCH_SIGNERS"); s && *s) {
    std::string all(s);
    std::size_t pos = 0;
    while (pos <= all.size()) {
      const std::size_t comma = std::min(all.find(',', pos), all.size());
      auto bytes = from_hex(all.substr(pos, comma - pos));
      if (!bytes || bytes->size() != 32) return Error("NSGX_LAUNCH_SIGNERS: each entry must be 64 hex digits");
      identity::Mrsigner m{};
      std::memcpy(m.data(), bytes->data(), 32);
      c.launch.allowed_signers.push_back(m);
      pos = comma + 1;
    }
  }
  if (const char* s = std::getenv("NSGX_LAUNCH_NO_DEBUG"); s && std::strcmp(s, "1") == 0) c.launch.allow_debug = false;
  c.state_dir = default_state_dir();
  return c;
}

}  // namespace nsgx::runtime
