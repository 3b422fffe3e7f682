/* The remote attestation example's wire protocol, between the application
 * (for its enclave) and the verifier, over one TCP connection on loopback.
 * Every message is a 4-byte little-endian length and that many bytes.
 *
 *   verifier -> app    nonce (32 random bytes)
 *   app -> verifier    quote (nsgx_qe_get_quote_with_nonce), then the
 *                      enclave's P-256 public key (65 bytes)
 *   verifier -> app    on success "OK" then the box: the verifier's P-256
 *                      public key (65) || IV (12) || AES-256-GCM ciphertext
 *                      || tag (16), under HKDF-SHA-256(ECDH shared secret,
 *                      salt = nonce, info = RA_KDF_INFO); on failure
 *                      "REJECTED: <reason>"
 *
 * The quote binds the nonce (freshness) and SHA-256 of the enclave's public
 * key (REPORT_DATA[32..64)), so the verifier encrypts to a key that only
 * the attested enclave holds. */
#ifndef RA_PROTOCOL_H
#define RA_PROTOCOL_H

#define RA_NONCE_SIZE 32
#define RA_PUBLIC_KEY_SIZE 65
#define RA_IV_SIZE 12
#define RA_TAG_SIZE 16
#define RA_BOX_OVERHEAD (RA_PUBLIC_KEY_SIZE + RA_IV_SIZE + RA_TAG_SIZE)
#define RA_MAX_SECRET 1024
#define RA_KDF_INFO "nestedsgx remote attestation example v1"

#endif
