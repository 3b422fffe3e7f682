// How nestedsgx marks the certificates of its emulated platform root
// (emulated_root.h), so that neither a verifier nor a person mistakes them
// for AMD's. Every certificate of the emulated chain carries two marks:
//  - an extension with an OID of our own under the UUID arc 2.25 (ITU-T
//    X.667: an OID anyone may derive from a random UUID, no registration
//    needed); it is critical, so an RFC 5280 path validator that does not
//    know it must refuse the certificate (§4.2), and its value is a
//    UTF8String saying what it is;
//  - "nestedsgx emulated" in the subject commonName, for `openssl x509 -text`.
// A certificate with either mark counts as emulated.
#pragma once

#include <string_view>

#include "crypto/x509.h"

namespace nsgx::attest {

// From UUID defed48d-370c-49b3-b697-a1f12b98a6c3.
inline constexpr char kEmulatedOid[] = "2.25.296411769525362589365580346858474612419";
inline constexpr std::string_view kEmulatedCnTag = "nestedsgx emulated";
inline constexpr std::string_view kEmulatedText = "nestedsgx emulated SEV-SNP platform root: not AMD hardware";
// The emulated VCEK's productName, and so the emulated chain's product.
inline constexpr char kEmulatedProductName[] = "nestedsgx emulated";
inline constexpr char kEmulatedChainName[] = "emulated (nestedsgx, not AMD hardware)";

bool is_marked_emulated(const crypto::Certificate& cert);

}  // namespace nsgx::attest
