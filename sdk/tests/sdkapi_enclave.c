/* Trusted side of the SDK surface test: known-answer tests of sgx_tcrypto
 * (vectors transcribed from the cited standards, as published: big-endian
 * hex, converted here to the SDK's little-endian where it wants that),
 * negative checks (a flipped byte must fail), DH session steps, and a
 * spin-lock counter. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sdkapi_t.h"
#include "sgx_cpuid.h"
#include "sgx_dh.h"
#include "sgx_secure_align_api.h"
#include "sgx_spinlock.h"
#include "sgx_tcrypto.h"
#include "sgx_trts.h"
#include "sgx_trts_aex.h"
#include "sgx_utils.h"

static int nib(char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; }

/* Hex (as printed in the standards) to bytes; returns the length. */
static size_t unhex(const char* s, uint8_t* out) {
  size_t n = 0;
  for (; s[0] && s[1]; s += 2) out[n++] = (uint8_t)(nib(s[0]) << 4 | nib(s[1]));
  return n;
}

/* A 256-bit big-endian number (hex) into the SDK's little-endian form. */
static void le256(const char* hex, uint8_t out[32]) {
  uint8_t be[32];
  unhex(hex, be);
  for (int i = 0; i < 32; ++i) out[i] = be[31 - i];
}

static int same(const void* a, const void* b, size_t n) { return memcmp(a, b, n) == 0; }

#define CHECK(n, cond)       \
  do {                       \
    if (!(cond)) return (n); \
  } while (0)

/* FIPS 180-4 / NIST CSRC example values ("abc", the 448-bit message). */
static int kat_sha(void) {
  static const char* abc_256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
  static const char* m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  static const char* m448_256 = "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1";
  static const char* abc_1 = "a9993e364706816aba3e25717850c26c9cd0d89d";
  static const char* abc_384 =
      "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7";
  uint8_t want[48];
  sgx_sha256_hash_t h256;
  CHECK(101, sgx_sha256_msg((const uint8_t*)"abc", 3, &h256) == SGX_SUCCESS);
  unhex(abc_256, want);
  CHECK(102, same(h256, want, 32));
  /* Streaming in uneven pieces, get_hash twice (the state stays usable). */
  sgx_sha_state_handle_t st = NULL;
  CHECK(103, sgx_sha256_init(&st) == SGX_SUCCESS);
  CHECK(104, sgx_sha256_update((const uint8_t*)m448, 5, st) == SGX_SUCCESS);
  CHECK(105, sgx_sha256_get_hash(st, &h256) == SGX_SUCCESS);
  CHECK(106, sgx_sha256_update((const uint8_t*)m448 + 5, 51, st) == SGX_SUCCESS);
  CHECK(107, sgx_sha256_get_hash(st, &h256) == SGX_SUCCESS);
  unhex(m448_256, want);
  CHECK(108, same(h256, want, 32));
  CHECK(109, sgx_sha256_close(st) == SGX_SUCCESS);
  /* A handle of another kind is refused. */
  sgx_cmac_state_handle_t wrong = NULL;
  const sgx_cmac_128bit_key_t k0 = {0};
  CHECK(110, sgx_cmac128_init(&k0, &wrong) == SGX_SUCCESS);
  CHECK(111, sgx_sha256_update((const uint8_t*)"x", 1, wrong) == SGX_ERROR_INVALID_PARAMETER);
  CHECK(112, sgx_cmac128_close(wrong) == SGX_SUCCESS);
  CHECK(113, sgx_sha256_msg((const uint8_t*)"abc", 3, NULL) == SGX_ERROR_INVALID_PARAMETER);

  sgx_sha1_hash_t h1;
  CHECK(120, sgx_sha1_msg((const uint8_t*)"abc", 3, &h1) == SGX_SUCCESS);
  unhex(abc_1, want);
  CHECK(121, same(h1, want, 20));
  CHECK(122, sgx_sha1_init(&st) == SGX_SUCCESS && sgx_sha1_update((const uint8_t*)"ab", 2, st) == SGX_SUCCESS &&
                 sgx_sha1_update((const uint8_t*)"c", 1, st) == SGX_SUCCESS &&
                 sgx_sha1_get_hash(st, &h1) == SGX_SUCCESS && sgx_sha1_close(st) == SGX_SUCCESS);
  CHECK(123, same(h1, want, 20));

  sgx_sha384_hash_t h384;
  CHECK(130, sgx_sha384_msg((const uint8_t*)"abc", 3, &h384) == SGX_SUCCESS);
  unhex(abc_384, want);
  CHECK(131, same(h384, want, 48));
  CHECK(132, sgx_sha384_init(&st) == SGX_SUCCESS && sgx_sha384_update((const uint8_t*)"a", 1, st) == SGX_SUCCESS &&
                 sgx_sha384_update((const uint8_t*)"bc", 2, st) == SGX_SUCCESS &&
                 sgx_sha384_get_hash(st, &h384) == SGX_SUCCESS && sgx_sha384_close(st) == SGX_SUCCESS);
  CHECK(133, same(h384, want, 48));
  return 0;
}

/* The GCM specification's test case 4 (McGrew & Viega, as used by NIST SP
 * 800-38D validation): AES-128, 96-bit IV, 60-byte plaintext, 20-byte AAD. */
static int kat_gcm(void) {
  uint8_t key[16], iv[12], p[60], a[20], c[60], t[16], out[60], mac[16];
  unhex("feffe9928665731c6d6a8f9467308308", key);
  unhex("cafebabefacedbaddecaf888", iv);
  unhex(
      "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
      "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
      p);
  unhex("feedfacedeadbeeffeedfacedeadbeefabaddad2", a);
  unhex(
      "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
      "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
      c);
  unhex("5bc94fbc3221a5db94fae95ae7121a47", t);
  const sgx_aes_gcm_128bit_key_t* k = (const sgx_aes_gcm_128bit_key_t*)key;
  CHECK(201, sgx_rijndael128GCM_encrypt(k, p, 60, out, iv, 12, a, 20, &mac) == SGX_SUCCESS);
  CHECK(202, same(out, c, 60) && same(mac, t, 16));
  CHECK(203,
        sgx_rijndael128GCM_decrypt(k, c, 60, out, iv, 12, a, 20, (const sgx_aes_gcm_128bit_tag_t*)t) == SGX_SUCCESS);
  CHECK(204, same(out, p, 60));
  /* A flipped byte of ciphertext, AAD or tag: SGX_ERROR_MAC_MISMATCH, and
   * no plaintext written. */
  c[17] ^= 1;
  memset(out, 0xee, sizeof out);
  CHECK(205, sgx_rijndael128GCM_decrypt(k, c, 60, out, iv, 12, a, 20, (const sgx_aes_gcm_128bit_tag_t*)t) ==
                 SGX_ERROR_MAC_MISMATCH);
  for (size_t i = 0; i < sizeof out; ++i) CHECK(206, out[i] == 0xee);
  c[17] ^= 1;
  a[0] ^= 0x80;
  CHECK(207, sgx_rijndael128GCM_decrypt(k, c, 60, out, iv, 12, a, 20, (const sgx_aes_gcm_128bit_tag_t*)t) ==
                 SGX_ERROR_MAC_MISMATCH);
  a[0] ^= 0x80;
  t[15] ^= 1;
  CHECK(208, sgx_rijndael128GCM_decrypt(k, c, 60, out, iv, 12, a, 20, (const sgx_aes_gcm_128bit_tag_t*)t) ==
                 SGX_ERROR_MAC_MISMATCH);
  t[15] ^= 1;
  CHECK(209, sgx_rijndael128GCM_encrypt(k, p, 60, out, iv, 11, a, 20, &mac) == SGX_ERROR_INVALID_PARAMETER);
  /* Streaming: 32 + 28 bytes give the same ciphertext and tag. */
  sgx_aes_state_handle_t g = NULL;
  CHECK(210, sgx_aes_gcm128_enc_init(key, iv, 12, a, 20, &g) == SGX_SUCCESS);
  CHECK(211, sgx_aes_gcm128_enc_update(p, 32, out, g) == SGX_SUCCESS);
  CHECK(212, sgx_aes_gcm128_enc_update(p + 32, 28, out + 32, g) == SGX_SUCCESS);
  CHECK(213, sgx_aes_gcm128_enc_update(p, 16, out, g) == SGX_ERROR_INVALID_STATE); /* after a partial block */
  CHECK(214, sgx_aes_gcm128_enc_get_mac(mac, g) == SGX_SUCCESS);
  CHECK(215, sgx_aes_gcm_close(g) == SGX_SUCCESS);
  CHECK(216, same(out, c, 60) && same(mac, t, 16));
  return 0;
}

/* RFC 4493 section 4, examples 1-4 (AES-128-CMAC). */
static int kat_cmac(void) {
  uint8_t key[16], m[64], want[16];
  unhex("2b7e151628aed2a6abf7158809cf4f3c", key);
  unhex(
      "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
      "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710",
      m);
  static const struct {
    uint32_t len;
    const char* mac;
  } ex[] = {{0, "bb1d6929e95937287fa37d129b756746"},
            {16, "070a16b46b4d4144f79bdd9dd04a287c"},
            {40, "dfa66747de9ae63030ca32611497c827"},
            {64, "51f0bebf7e3b9d92fc49741779363cfe"}};
  const sgx_cmac_128bit_key_t* k = (const sgx_cmac_128bit_key_t*)key;
  sgx_cmac_state_handle_t st = NULL;
  CHECK(301, sgx_cmac128_init(k, &st) == SGX_SUCCESS);
  for (int i = 0; i < 4; ++i) {
    sgx_cmac_128bit_tag_t mac;
    unhex(ex[i].mac, want);
    CHECK(302 + 10 * i, sgx_rijndael128_cmac_msg(k, ex[i].len ? m : NULL, ex[i].len, &mac) == SGX_SUCCESS);
    CHECK(303 + 10 * i, same(mac, want, 16));
    /* The same through the streaming API, one byte then the rest; final
     * leaves the state ready for the next message. */
    if (ex[i].len > 0) {
      CHECK(304 + 10 * i, sgx_cmac128_update(m, 1, st) == SGX_SUCCESS);
      CHECK(305 + 10 * i, sgx_cmac128_update(m + 1, ex[i].len - 1, st) == SGX_SUCCESS);
    }
    CHECK(306 + 10 * i, sgx_cmac128_final(st, &mac) == SGX_SUCCESS);
    CHECK(307 + 10 * i, same(mac, want, 16));
  }
  CHECK(350, sgx_cmac128_close(st) == SGX_SUCCESS);
  return 0;
}

/* NIST SP 800-38A F.5.1/F.5.2 (CTR-AES128) and the SDK's counter rule. */
static int kat_ctr(void) {
  uint8_t key[16], ctr0[16], p[64], c[64], out[64], ctr[16];
  unhex("2b7e151628aed2a6abf7158809cf4f3c", key);
  unhex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff", ctr0);
  unhex(
      "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
      "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710",
      p);
  unhex(
      "874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff"
      "5ae4df3edbd5d35e5b4f09020db03eab1e031dda2fbe03d1792170a0f3009cee",
      c);
  const sgx_aes_ctr_128bit_key_t* k = (const sgx_aes_ctr_128bit_key_t*)key;
  memcpy(ctr, ctr0, 16);
  CHECK(401, sgx_aes_ctr_encrypt(k, p, 64, ctr, 128, out) == SGX_SUCCESS);
  CHECK(402, same(out, c, 64));
  /* The counter returned is the next block's: ...fdfeff + 4 = ...fdff03 (a carry). */
  uint8_t next[16];
  unhex("f0f1f2f3f4f5f6f7f8f9fafbfcfdff03", next);
  CHECK(403, same(ctr, next, 16));
  /* A stream split across calls continues from the returned counter. */
  memcpy(ctr, ctr0, 16);
  CHECK(404, sgx_aes_ctr_decrypt(k, c, 20, ctr, 128, out) == SGX_SUCCESS);
  CHECK(405, sgx_aes_ctr_decrypt(k, c + 32, 32, ctr, 128, out + 32) == SGX_SUCCESS);
  CHECK(406, same(out, p, 20) && same(out + 32, p + 32, 32));
  /* ctr_inc_bits = 8: the low byte wraps ff -> 00 without carrying, so the
   * second block uses ...fe00, not ...ff00 (SP 800-38A B.1's m bits). */
  memcpy(ctr, ctr0, 16);
  CHECK(407, sgx_aes_ctr_encrypt(k, p, 32, ctr, 8, out) == SGX_SUCCESS);
  CHECK(408, same(out, c, 16)); /* the first block is the same */
  uint8_t wrapped[16], b2[16];
  unhex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfe00", wrapped);
  CHECK(409, same(ctr,
                  (uint8_t[16]){0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd,
                                0xfe, 0x01},
                  16));
  CHECK(410, sgx_aes_ctr_encrypt(k, p + 16, 16, wrapped, 128, b2) == SGX_SUCCESS);
  CHECK(411, same(out + 16, b2, 16));
  CHECK(412, sgx_aes_ctr_encrypt(k, p, 16, ctr, 0, out) == SGX_ERROR_INVALID_PARAMETER);
  return 0;
}

/* RFC 4231 test case 2. */
static int kat_hmac(void) {
  uint8_t want[32], mac[32];
  unhex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", want);
  static const char* data = "what do ya want for nothing?";
  CHECK(501,
        sgx_hmac_sha256_msg((const unsigned char*)data, 28, (const unsigned char*)"Jefe", 4, mac, 32) == SGX_SUCCESS);
  CHECK(502, same(mac, want, 32));
  sgx_hmac_state_handle_t st = NULL;
  CHECK(503, sgx_hmac256_init((const unsigned char*)"Jefe", 4, &st) == SGX_SUCCESS);
  CHECK(504, sgx_hmac256_update((const uint8_t*)data, 10, st) == SGX_SUCCESS);
  CHECK(505, sgx_hmac256_update((const uint8_t*)data + 10, 18, st) == SGX_SUCCESS);
  CHECK(506, sgx_hmac256_final(mac, 32, st) == SGX_SUCCESS && same(mac, want, 32));
  CHECK(507, sgx_hmac256_close(st) == SGX_SUCCESS);
  return 0;
}

/* RFC 5903 section 8.1 (ECDH, 256-bit random ECP group = P-256) and RFC 6979
 * A.2.5 (ECDSA P-256 with SHA-256, message "sample"). */
static int kat_ecc(void) {
  sgx_ecc_state_handle_t ecc = NULL;
  CHECK(601, sgx_ecc256_open_context(&ecc) == SGX_SUCCESS);
  sgx_ec256_private_t i_priv, r_priv;
  sgx_ec256_public_t gi, gr, pub;
  le256("C88F01F510D9AC3F70A292DAA2316DE544E9AAB8AFE84049C62A9C57862D1433", i_priv.r);
  le256("DAD0B65394221CF9B051E1FECA5787D098DFE637FC90B9EF945D0C3772581180", gi.gx);
  le256("5271A0461CDB8252D61F1C456FA3E59AB1F45B33ACCF5F58389E0577B8990BB3", gi.gy);
  le256("C6EF9C5D78AE012A011164ACB397CE2088685D8F06BF9BE0B283AB46476BEE53", r_priv.r);
  le256("D12DFB5289C8D4F81208B70270398C342296970A0BCCB74C736FC7554494BF63", gr.gx);
  le256("56FBF3CA366CC23E8157854C13C58D6AAC23F046ADA30F8353E74F33039872AB", gr.gy);
  uint8_t girx[32];
  le256("D6840F6B42F6EDAFD13116E0E12565202FEF8E9ECE7DCE03812464D04B9442DE", girx);
  CHECK(602, sgx_ecc256_calculate_pub_from_priv(&i_priv, &pub) == SGX_SUCCESS && same(&pub, &gi, sizeof pub));
  sgx_ec256_dh_shared_t z1, z2;
  CHECK(603, sgx_ecc256_compute_shared_dhkey(&i_priv, &gr, &z1, ecc) == SGX_SUCCESS);
  CHECK(604, sgx_ecc256_compute_shared_dhkey(&r_priv, &gi, &z2, ecc) == SGX_SUCCESS);
  CHECK(605, same(z1.s, girx, 32) && same(z2.s, girx, 32));
  int valid = -1;
  CHECK(606, sgx_ecc256_check_point(&gr, ecc, &valid) == SGX_SUCCESS && valid == 1);
  sgx_ec256_public_t bad = gr;
  bad.gy[0] ^= 1; /* off the curve */
  CHECK(607, sgx_ecc256_check_point(&bad, ecc, &valid) == SGX_SUCCESS && valid == 0);
  CHECK(608, sgx_ecc256_compute_shared_dhkey(&i_priv, &bad, &z1, ecc) == SGX_ERROR_INVALID_PARAMETER);

  /* RFC 6979 A.2.5: U = xG and the deterministic signature of "sample"
   * verify (our signing is randomized, so only verification is a KAT). */
  sgx_ec256_private_t x;
  sgx_ec256_public_t u;
  sgx_ec256_signature_t sig;
  le256("C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721", x.r);
  le256("60FED4BA255A9D31C961EB74C6356D68C049B8923B61FA6CE669622E60F29FB6", u.gx);
  le256("7903FE1008B8BC99A41AE9E95628BC64F2F1B20C2D7E9F5177A3C294D4462299", u.gy);
  le256("EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716", (uint8_t*)sig.x);
  le256("F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8", (uint8_t*)sig.y);
  CHECK(610, sgx_ecc256_calculate_pub_from_priv(&x, &pub) == SGX_SUCCESS && same(&pub, &u, sizeof pub));
  uint8_t result = 0xff;
  CHECK(611,
        sgx_ecdsa_verify((const uint8_t*)"sample", 6, &u, &sig, &result, ecc) == SGX_SUCCESS && result == SGX_EC_VALID);
  CHECK(612, sgx_ecdsa_verify((const uint8_t*)"samplf", 6, &u, &sig, &result, ecc) == SGX_SUCCESS &&
                 result == SGX_EC_INVALID_SIGNATURE);
  sgx_ec256_signature_t flipped = sig;
  ((uint8_t*)flipped.y)[5] ^= 0x10;
  CHECK(613, sgx_ecdsa_verify((const uint8_t*)"sample", 6, &u, &flipped, &result, ecc) == SGX_SUCCESS &&
                 result == SGX_EC_INVALID_SIGNATURE);
  sgx_sha256_hash_t hs;
  CHECK(614, sgx_sha256_msg((const uint8_t*)"sample", 6, &hs) == SGX_SUCCESS);
  CHECK(615, sgx_ecdsa_verify_hash(hs, &u, &sig, &result, ecc) == SGX_SUCCESS && result == SGX_EC_VALID);

  /* A fresh key pair signs and verifies; its signature fails under U. */
  sgx_ec256_private_t k;
  sgx_ec256_public_t kp;
  CHECK(620, sgx_ecc256_create_key_pair(&k, &kp, ecc) == SGX_SUCCESS);
  CHECK(621, sgx_ecc256_check_point(&kp, ecc, &valid) == SGX_SUCCESS && valid == 1);
  CHECK(622, sgx_ecdsa_sign((const uint8_t*)"nestedsgx", 9, &k, &sig, ecc) == SGX_SUCCESS);
  CHECK(623, sgx_ecdsa_verify((const uint8_t*)"nestedsgx", 9, &kp, &sig, &result, ecc) == SGX_SUCCESS &&
                 result == SGX_EC_VALID);
  CHECK(624, sgx_ecdsa_verify((const uint8_t*)"nestedsgx", 9, &u, &sig, &result, ecc) == SGX_SUCCESS &&
                 result == SGX_EC_INVALID_SIGNATURE);
  CHECK(625, sgx_ecc256_close_context(ecc) == SGX_SUCCESS);
  CHECK(626, sgx_ecc256_check_point(&kp, NULL, &valid) == SGX_ERROR_INVALID_PARAMETER);
  return 0;
}

int ecall_crypto_kat(void) {
  int r;
  if ((r = kat_sha()) != 0) return r;
  if ((r = kat_gcm()) != 0) return r;
  if ((r = kat_cmac()) != 0) return r;
  if ((r = kat_ctr()) != 0) return r;
  if ((r = kat_hmac()) != 0) return r;
  return kat_ecc();
}

int ecall_crypto_rsa(void) {
  /* One key pair (e = 65537) in the SDK's little-endian form. */
  sgx_rsa3072_key_t* key = malloc(sizeof *key);
  sgx_rsa3072_public_key_t* pub = malloc(sizeof *pub);
  uint8_t* p = malloc((size_t)5 * 192);
  if (key == NULL || pub == NULL || p == NULL) return 700;
  int rc = 0;
  memset(key, 0, sizeof *key);
  key->e[0] = 0x01, key->e[1] = 0x00, key->e[2] = 0x01; /* 65537 */
  if (sgx_create_rsa_key_pair(384, 4, key->mod, key->d, key->e, p, p + 192, p + 384, p + 576, p + 768) != SGX_SUCCESS) {
    rc = 701;
    goto out;
  }
  memcpy(pub->mod, key->mod, sizeof pub->mod);
  memcpy(pub->exp, key->e, sizeof pub->exp);
  sgx_rsa3072_signature_t sig;
  sgx_rsa_result_t res = SGX_RSA_INVALID_SIGNATURE;
  static const uint8_t msg[] = "measured and signed";
  if (sgx_rsa3072_sign(msg, sizeof msg, key, &sig) != SGX_SUCCESS) {
    rc = 702;
    goto out;
  }
  if (sgx_rsa3072_verify(msg, sizeof msg, pub, &sig, &res) != SGX_SUCCESS || res != SGX_RSA_VALID) {
    rc = 703;
    goto out;
  }
  sig[100] ^= 4;
  if (sgx_rsa3072_verify(msg, sizeof msg, pub, &sig, &res) != SGX_SUCCESS || res != SGX_RSA_INVALID_SIGNATURE) {
    rc = 704;
    goto out;
  }
  /* OAEP-SHA256 with keys made from the parts: N, E (public) and P, Q, CRT. */
  void* pk = NULL;
  void* sk = NULL;
  if (sgx_create_rsa_pub1_key(384, 4, key->mod, key->e, &pk) != SGX_SUCCESS) {
    rc = 705;
    goto out;
  }
  if (sgx_create_rsa_priv2_key(384, 4, key->e, p, p + 192, p + 384, p + 576, p + 768, &sk) != SGX_SUCCESS) {
    rc = 706;
    goto keys;
  }
  uint8_t ct[384], pt[384];
  size_t ct_len = 0, pt_len = sizeof pt;
  if (sgx_rsa_pub_encrypt_sha256(pk, NULL, &ct_len, msg, sizeof msg) != SGX_SUCCESS || ct_len != 384) {
    rc = 707;
    goto keys;
  }
  if (sgx_rsa_pub_encrypt_sha256(pk, ct, &ct_len, msg, sizeof msg) != SGX_SUCCESS) {
    rc = 708;
    goto keys;
  }
  if (sgx_rsa_priv_decrypt_sha256(sk, pt, &pt_len, ct, ct_len) != SGX_SUCCESS || pt_len != sizeof msg ||
      !same(pt, msg, sizeof msg)) {
    rc = 709;
    goto keys;
  }
  ct[7] ^= 1;
  pt_len = sizeof pt;
  if (sgx_rsa_priv_decrypt_sha256(sk, pt, &pt_len, ct, ct_len) == SGX_SUCCESS) {
    rc = 710;
    goto keys;
  }
  /* Wrong CRT values are refused. */
  void* bad = NULL;
  p[384] ^= 1;
  if (sgx_create_rsa_priv2_key(384, 4, key->e, p, p + 192, p + 384, p + 576, p + 768, &bad) !=
      SGX_ERROR_INVALID_PARAMETER) {
    rc = 711;
    if (bad) sgx_free_rsa_key(bad, SGX_RSA_PRIVATE_KEY, 384, 4);
  }
keys:
  if (pk) sgx_free_rsa_key(pk, SGX_RSA_PUBLIC_KEY, 384, 4);
  if (sk) sgx_free_rsa_key(sk, SGX_RSA_PRIVATE_KEY, 384, 4);
out:
  memset(key, 0, sizeof *key);
  memset(p, 0, (size_t)5 * 192);
  free(key), free(pub), free(p);
  return rc;
}

/* ------------------------------------------------------------- DH steps */

static sgx_dh_session_t g_session;
static sgx_key_128bit_t g_aek;
static int g_have_aek;

sgx_status_t ecall_dh_responder_msg1(sgx_dh_msg1_t* msg1) {
  g_have_aek = 0;
  sgx_status_t r = sgx_dh_init_session(SGX_DH_SESSION_RESPONDER, &g_session);
  return r == SGX_SUCCESS ? sgx_dh_responder_gen_msg1(msg1, &g_session) : r;
}

sgx_status_t ecall_dh_initiator_msg1(const sgx_dh_msg1_t* msg1, sgx_dh_msg2_t* msg2) {
  g_have_aek = 0;
  sgx_status_t r = sgx_dh_init_session(SGX_DH_SESSION_INITIATOR, &g_session);
  return r == SGX_SUCCESS ? sgx_dh_initiator_proc_msg1(msg1, msg2, &g_session) : r;
}

sgx_status_t ecall_dh_responder_msg2(const sgx_dh_msg2_t* msg2, sgx_dh_msg3_t* msg3,
                                     sgx_dh_session_enclave_identity_t* initiator) {
  const sgx_status_t r = sgx_dh_responder_proc_msg2(msg2, msg3, &g_session, &g_aek, initiator);
  g_have_aek = r == SGX_SUCCESS;
  return r;
}

sgx_status_t ecall_dh_initiator_msg3(const sgx_dh_msg3_t* msg3, sgx_dh_session_enclave_identity_t* responder) {
  const sgx_status_t r = sgx_dh_initiator_proc_msg3(msg3, &g_session, &g_aek, responder);
  g_have_aek = r == SGX_SUCCESS;
  return r;
}

sgx_status_t ecall_dh_aek_proof(uint8_t* mac) {
  if (!g_have_aek) return SGX_ERROR_INVALID_STATE;
  return sgx_rijndael128_cmac_msg((const sgx_cmac_128bit_key_t*)&g_aek, (const uint8_t*)"aek proof", 9,
                                  (sgx_cmac_128bit_tag_t*)mac);
}

sgx_status_t ecall_dh_out_of_order(void) {
  sgx_dh_session_t s;
  sgx_dh_msg3_t m3;
  sgx_key_128bit_t aek;
  sgx_dh_session_enclave_identity_t id;
  memset(&m3, 0, sizeof m3);
  sgx_status_t r = sgx_dh_init_session(SGX_DH_SESSION_INITIATOR, &s);
  return r == SGX_SUCCESS ? sgx_dh_initiator_proc_msg3(&m3, &s, &aek, &id) : r;
}

sgx_status_t ecall_report_for(const sgx_target_info_t* target, sgx_report_t* report) {
  return sgx_create_report(target, NULL, report);
}

sgx_status_t ecall_verify_report(const sgx_report_t* report) { return sgx_verify_report(report); }

sgx_status_t ecall_self_report(sgx_report_t* report) { return sgx_create_report(NULL, NULL, report); }

/* ----------------------------------------------------------- spin locks */

static sgx_spinlock_t g_lock = SGX_SPINLOCK_INITIALIZER;
static volatile long g_total;

static volatile int g_arrived;

void ecall_spin_add(int threads, int iterations) {
  /* Start together, so that the threads contend rather than run one after
   * the other. */
  __atomic_add_fetch(&g_arrived, 1, __ATOMIC_ACQ_REL);
  while (__atomic_load_n(&g_arrived, __ATOMIC_ACQUIRE) < threads) __builtin_ia32_pause();
  for (int i = 0; i < iterations; ++i) {
    sgx_spin_lock(&g_lock);
    const long v = g_total;
    for (volatile int d = 0; d < 20; ++d) {
    }
    g_total = v + 1;
    sgx_spin_unlock(&g_lock);
  }
}

long ecall_spin_total(void) {
  sgx_spin_lock(&g_lock);
  const long v = g_total;
  sgx_spin_unlock(&g_lock);
  return v;
}

sgx_status_t ecall_cpuid(int leaf, int regs[4]) { return sgx_cpuid(regs, leaf); }

/* memcpy_s & co. (sdk/include/tlibc/string.h): results, error codes and the
 * zeroing on error, and the plain string functions added beside them. */
int ecall_tlibc_string(void) {
  char d[8];
  const char src[] = "abcdefghij";
  int n = 0;
#define TCHECK(c)       \
  do {                  \
    ++n;                \
    if (!(c)) return n; \
  } while (0)
  TCHECK(memcpy_s(d, sizeof d, src, 4) == 0 && memcmp(d, "abcd", 4) == 0);
  memset(d, 'x', sizeof d);
  TCHECK(memcpy_s(d, sizeof d, src, 9) == ERANGE && d[0] == 0 && d[7] == 0);
  TCHECK(memcpy_s(d, sizeof d, NULL, 1) == EINVAL && memcpy_s(NULL, 1, src, 1) == EINVAL);
  TCHECK(memcpy_s(d, sizeof d, d + 1, 4) == EINVAL); /* overlapping */
  TCHECK(memcpy_s(d, sizeof d, src, 0) == 0);
  TCHECK(memmove_s(d, sizeof d, src, 8) == 0 && memmove_s(d + 1, 7, d, 6) == 0 && memcmp(d, "aabcdef", 7) == 0);
  TCHECK(memset_s(d, sizeof d, 'z', 3) == 0 && d[2] == 'z' && d[3] == 'c');
  TCHECK(memset_s(d, 4, 'q', 6) == ERANGE && d[3] == 'q' && d[4] == 'd');
  TCHECK(strncpy_s(d, sizeof d, src, 5) == 0 && strcmp(d, "abcde") == 0);
  TCHECK(strncpy_s(d, sizeof d, src, 8) == ERANGE && d[0] == 0);
  TCHECK(memcpy_verw(d, "1234567", 8) == d && strcmp(d, "1234567") == 0);
  TCHECK(memcpy_verw_s(d, 4, src, 5) == ERANGE && memcpy_verw_s(d, sizeof d, src, 3) == 0 && d[2] == 'c');
  char s[16];
  TCHECK(strcpy(s, "ab") == s && strcat(s, "cd") == s && strcmp(s, "abcd") == 0);
  TCHECK(strncat(s, "efgh", 2) == s && strcmp(s, "abcdef") == 0);
  TCHECK(strncpy(s, "xy", 4) == s && s[0] == 'x' && s[2] == 0 && s[3] == 0);
  TCHECK(strrchr("a/b/c", '/') != NULL && strcmp(strrchr("a/b/c", '/'), "/c") == 0 && strrchr("abc", 'z') == NULL);
  TCHECK(strstr("hello world", "o w") != NULL && strstr("hello", "") != NULL && strstr("hello", "xyz") == NULL);
#undef TCHECK
  return 0;
}

static void aex_handler(const sgx_exception_info_t* info, const void* args) {
  (void)info;
  (void)args;
}

int ecall_secure_align_aex(void) {
  /* A 32-byte key at offset 4 of a 48-byte structure, 16-byte aligned. */
  align_req_t key = {4, 32};
  unsigned char* p = sgx_aligned_malloc(48, 16, &key, 1);
  if (p == NULL) return 1;
  if ((uintptr_t)p % 16 != 0) return 2;
  for (size_t i = 0; i < key.len; ++i)
    if ((uintptr_t)(p + key.offset + i) % 64 < 8) return 3;
  if (!sgx_is_within_enclave(p, 48)) return 4;
  memset(p, 0x5a, 48);
  sgx_aligned_free(p);
  align_req_t too_long = {0, 57};
  if (sgx_aligned_malloc(64, 1, &too_long, 1) != NULL) return 5;

  sgx_aex_mitigation_node_t node;
  if (sgx_unregister_aex_handler(aex_handler) != SGX_ERROR_UNEXPECTED) return 6;
  if (sgx_register_aex_handler(&node, aex_handler, &node) != SGX_SUCCESS) return 7;
  if (sgx_unregister_aex_handler(aex_handler) != SGX_SUCCESS) return 8;
  if (sgx_set_ssa_aexnotify(1) != SGX_ERROR_UNEXPECTED) return 9;
  return 0;
}
