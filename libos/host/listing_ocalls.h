// The host's side of trusted directories' listings (libos.edl's
// libos_trusted_listing_ocall): the files `nsgx libos build` wrote beside
// the signed enclave (libos/manifest/manifest.h, listing_file_name).
#pragma once

#include <cstdint>
#include <string>

namespace nsgx::libos_host {

// Records the signed enclave's path; its directory holds the listings.
void init_listings(const char* image);

// Where directory `index`'s listing is.
std::string listing_path(uint32_t index);

}  // namespace nsgx::libos_host
