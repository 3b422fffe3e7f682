// The library OS host's descriptor limit (descriptors.h).
#include "libos/host/descriptors.h"

#include <sys/resource.h>

#include <algorithm>

namespace nsgx::libos_host {

void raise_descriptor_limit() {
  struct rlimit r {};
  if (getrlimit(RLIMIT_NOFILE, &r) != 0) return;
  const rlim_t want = r.rlim_max == RLIM_INFINITY ? rlim_t{1} << 20 : std::min<rlim_t>(r.rlim_max, rlim_t{1} << 20);
  if (r.rlim_cur >= want) return;
  r.rlim_cur = want;
  (void)setrlimit(RLIMIT_NOFILE, &r);
}

}  // namespace nsgx::libos_host
