// Remote-attestation key exchange (sgx_tkey_exchange.h, sgx_ukey_exchange.h)
// end to end: a real enclave, the untrusted runtime's sgx_ra_get_msg1 /
// sgx_ra_proc_msg2, and a service provider written here over OpenSSL that
// signs msg2, checks msg3's MAC and its quote (attest/quote_verify.h) and
// derives SK and MK on its own. Registered for both backends.
#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "attest/quote_verify.h"
#include "crypto/ecdh.h"
#include "crypto/sha.h"
#include "crypto/symmetric.h"
#include "identity/enclave_builder.h"
#include "image/sdk_image.h"
#include "keyexchange_u.h"
#include "loaded_enclave.h"
#include "sgx_ukey_exchange.h"

namespace {

using nsgx::sdk_test::Loaded;
using Key = nsgx::crypto::Key128;

// SDK byte order: each 32-byte coordinate little-endian.
void reverse32(const std::uint8_t* in, std::uint8_t* out) { std::reverse_copy(in, in + 32, out); }

sgx_ec256_public_t to_sdk(const nsgx::Bytes& point) {  // 04 || X || Y, big-endian
  sgx_ec256_public_t p{};
  reverse32(point.data() + 1, p.gx);
  reverse32(point.data() + 33, p.gy);
  return p;
}

nsgx::Bytes from_sdk(const sgx_ec256_public_t& p) {
  nsgx::Bytes point(65);
  point[0] = 4;
  reverse32(p.gx, point.data() + 1);
  reverse32(p.gy, point.data() + 33);
  return point;
}

// The service provider's long-term ECDSA P-256 key (OpenSSL).
struct SpKey {
  EVP_PKEY* pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  ~SpKey() { EVP_PKEY_free(pkey); }
  sgx_ec256_public_t pub() const {
    nsgx::Bytes point(65);
    std::size_t n = 0;
    EXPECT_EQ(EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size(), &n), 1);
    return to_sdk(point);
  }
  // ECDSA-SHA256, r and s little-endian as sgx_ec256_signature_t holds them.
  sgx_ec256_signature_t sign(const void* data, std::size_t n) const {
    EVP_MD_CTX* md = EVP_MD_CTX_new();
    std::uint8_t der[80];
    std::size_t der_len = sizeof der;
    EXPECT_EQ(EVP_DigestSignInit(md, nullptr, EVP_sha256(), nullptr, pkey), 1);
    EXPECT_EQ(EVP_DigestSign(md, der, &der_len, static_cast<const std::uint8_t*>(data), n), 1);
    EVP_MD_CTX_free(md);
    const std::uint8_t* p = der;
    ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der_len));
    sgx_ec256_signature_t out{};
    EXPECT_EQ(BN_bn2lebinpad(ECDSA_SIG_get0_r(sig), reinterpret_cast<std::uint8_t*>(out.x), 32), 32);
    EXPECT_EQ(BN_bn2lebinpad(ECDSA_SIG_get0_s(sig), reinterpret_cast<std::uint8_t*>(out.y), 32), 32);
    ECDSA_SIG_free(sig);
    return out;
  }
};

Key cmac(const Key& key, const void* data, std::size_t n) {
  return nsgx::crypto::aes128_cmac(key, {static_cast<const std::uint8_t*>(data), n}).value();
}

// The SDK's derivation (kdf_id 1), written from its documentation:
// KDK = CMAC(0, Z little-endian), key = CMAC(KDK, 0x01 || label || 0x00 || 0x80 0x00).
Key derive(const nsgx::Bytes& z_le, const char* label) {
  const Key kdk = cmac(Key{}, z_le.data(), z_le.size());
  std::vector<std::uint8_t> buf{0x01};
  buf.insert(buf.end(), label, label + std::strlen(label));
  buf.insert(buf.end(), {0x00, 0x80, 0x00});
  return cmac(kdk, buf.data(), buf.size());
}

// One service provider's session: msg1 in, msg2 out, msg3 checked.
struct Sp {
  const SpKey& key;
  nsgx::crypto::EcdhP256 b = nsgx::crypto::EcdhP256::generate().value();
  sgx_ec256_public_t g_a{}, g_b = to_sdk(b.public_point());
  Key smk{}, sk{}, mk{}, vk{};

  explicit Sp(const SpKey& k) : key(k) {}

  sgx_ra_msg2_t msg2(const sgx_ra_msg1_t& msg1, std::uint16_t kdf_id = 1) {
    g_a = msg1.g_a;
    const nsgx::Bytes z_be = b.derive(from_sdk(g_a)).value();
    nsgx::Bytes z_le(32);
    reverse32(z_be.data(), z_le.data());
    smk = derive(z_le, "SMK");
    sk = derive(z_le, "SK");
    mk = derive(z_le, "MK");
    vk = derive(z_le, "VK");
    sgx_ra_msg2_t m{};
    m.g_b = g_b;
    std::memset(m.spid.id, 0x5a, sizeof m.spid.id);
    m.quote_type = SGX_LINKABLE_SIGNATURE;
    m.kdf_id = kdf_id;
    const sgx_ec256_public_t gb_ga[2] = {g_b, g_a};
    m.sign_gb_ga = key.sign(gb_ga, sizeof gb_ga);
    remac(m);
    return m;
  }
  void remac(sgx_ra_msg2_t& m) const {
    const Key mac = cmac(smk, &m, offsetof(sgx_ra_msg2_t, mac));
    std::memcpy(m.mac, mac.data(), 16);
  }
};

struct Identity {
  std::array<std::uint8_t, 32> mrenclave{};
};
Identity identity_of(const char* path) {
  auto img = nsgx::image::SdkImage::parse(nsgx::read_file(path).value()).value();
  nsgx::identity::MeasuringBuilder m;
  EXPECT_TRUE(img.replay(m));
  return {m.mrenclave()};
}

class KeyExchange : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(enclave_.status, SGX_SUCCESS);
    ASSERT_NE(sp_key_.pkey, nullptr);
  }
  sgx_ra_context_t init(int custom_kdf = 0) {
    sgx_ra_context_t ctx = 0;
    sgx_status_t st = SGX_ERROR_UNEXPECTED;
    const sgx_ec256_public_t pub = sp_key_.pub();
    EXPECT_EQ(kx_init(enclave_.eid, &st, &pub, 0, custom_kdf, &ctx), SGX_SUCCESS);
    EXPECT_EQ(st, SGX_SUCCESS);
    return ctx;
  }
  sgx_ra_msg1_t msg1(sgx_ra_context_t ctx) {
    sgx_ra_msg1_t m{};
    EXPECT_EQ(sgx_ra_get_msg1(ctx, enclave_.eid, sgx_ra_get_ga, &m), SGX_SUCCESS);
    return m;
  }
  sgx_status_t proc(sgx_ra_context_t ctx, const sgx_ra_msg2_t& m2, sgx_ra_msg3_t** m3, std::uint32_t* n3,
                    sgx_ecall_get_msg3_trusted_t get_msg3 = sgx_ra_get_msg3_trusted) {
    return sgx_ra_proc_msg2(ctx, enclave_.eid, sgx_ra_proc_msg2_trusted, get_msg3, &m2, sizeof m2, m3, n3);
  }
  sgx_status_t keys(sgx_ra_context_t ctx, Key& sk, Key& mk) {
    sgx_status_t st = SGX_ERROR_UNEXPECTED;
    sgx_ra_key_128_t a{}, b{};
    EXPECT_EQ(kx_keys(enclave_.eid, &st, ctx, &a, &b), SGX_SUCCESS);
    std::memcpy(sk.data(), a, 16);
    std::memcpy(mk.data(), b, 16);
    return st;
  }
  sgx_status_t close(sgx_ra_context_t ctx) {
    sgx_status_t st = SGX_ERROR_UNEXPECTED;
    EXPECT_EQ(kx_close(enclave_.eid, &st, ctx), SGX_SUCCESS);
    return st;
  }

  Loaded enclave_{NSGX_KX_ENCLAVE};
  SpKey sp_key_;
};

TEST_F(KeyExchange, Msg0ToMsg3AndBothSidesHoldTheSameKeys) {
  const sgx_ra_context_t ctx = init();
  Key sk{}, mk{};
  EXPECT_EQ(keys(ctx, sk, mk), SGX_ERROR_INVALID_STATE);  // no keys before msg2

  const sgx_ra_msg1_t m1 = msg1(ctx);
  EXPECT_EQ(std::memcmp(m1.gid, "\0\0\0\0", 4), 0);
  Sp sp(sp_key_);
  const sgx_ra_msg2_t m2 = sp.msg2(m1);
  sgx_ra_msg3_t* m3 = nullptr;
  std::uint32_t n3 = 0;
  ASSERT_EQ(proc(ctx, m2, &m3, &n3), SGX_SUCCESS);
  ASSERT_NE(m3, nullptr);
  ASSERT_GT(n3, sizeof(sgx_ra_msg3_t));
  const std::size_t quote_size = n3 - sizeof(sgx_ra_msg3_t);

  // The SP's checks of msg3: g_a is msg1's, the MAC under SMK covers
  // g_a || ps_sec_prop || quote, the quote verifies and binds the session.
  EXPECT_EQ(std::memcmp(&m3->g_a, &m1.g_a, sizeof m1.g_a), 0);
  const Key mac = cmac(sp.smk, &m3->g_a, n3 - offsetof(sgx_ra_msg3_t, g_a));
  EXPECT_EQ(std::memcmp(mac.data(), m3->mac, 16), 0);
  const std::vector<std::uint8_t> q(m3->quote, m3->quote + quote_size);
  auto quote = nsgx::attest::parse_quote(q);
  ASSERT_TRUE(quote) << quote.error().message();
  nsgx::attest::QuotePolicy policy;
  policy.mr_enclave.push_back(identity_of(NSGX_KX_ENCLAVE).mrenclave);
  policy.allow_debug = true;  // the test loads it as a debug enclave
  nsgx::attest::QuoteVerifyOptions options;
  options.allow_emulated = true;
  const auto verdict = nsgx::attest::verify_quote(*quote, policy, options);
  EXPECT_TRUE(verdict.ok()) << (verdict.failures.empty() ? "" : verdict.failures[0]);
  std::vector<std::uint8_t> bound(sizeof(sgx_ec256_public_t) * 2 + 16);
  std::memcpy(bound.data(), &sp.g_a, 64);
  std::memcpy(bound.data() + 64, &sp.g_b, 64);
  std::memcpy(bound.data() + 128, sp.vk.data(), 16);
  const auto h = nsgx::crypto::sha256(bound);
  EXPECT_EQ(std::memcmp(quote->body.report_data, h.data(), 32), 0);
  EXPECT_EQ(std::memcmp(quote->body.report_data + 32, std::array<std::uint8_t, 32>{}.data(), 32), 0);
  std::free(m3);

  ASSERT_EQ(keys(ctx, sk, mk), SGX_SUCCESS);
  EXPECT_EQ(sk, sp.sk);
  EXPECT_EQ(mk, sp.mk);
  EXPECT_NE(sk, mk);
  EXPECT_EQ(close(ctx), SGX_SUCCESS);
  EXPECT_EQ(keys(ctx, sk, mk), SGX_ERROR_INVALID_PARAMETER);  // closed
  EXPECT_EQ(close(ctx), SGX_ERROR_INVALID_PARAMETER);
}

TEST_F(KeyExchange, ATamperedMsg2IsRefusedAndTheGenuineOneStillWorks) {
  const sgx_ra_context_t ctx = init();
  const sgx_ra_msg1_t m1 = msg1(ctx);
  Sp sp(sp_key_);
  const sgx_ra_msg2_t good = sp.msg2(m1);
  sgx_ra_msg3_t* m3 = nullptr;
  std::uint32_t n3 = 0;

  // A signature that is not the SP's, under a correct MAC: someone who
  // knows SMK (a man in the middle with its own g_b) is still refused.
  sgx_ra_msg2_t bad = good;
  bad.sign_gb_ga.x[0] ^= 1;
  sp.remac(bad);
  EXPECT_EQ(proc(ctx, bad, &m3, &n3), SGX_ERROR_INVALID_SIGNATURE);
  // Another SP's signature over the same keys.
  SpKey stranger;
  bad = good;
  const sgx_ec256_public_t gb_ga[2] = {sp.g_b, sp.g_a};
  bad.sign_gb_ga = stranger.sign(gb_ga, sizeof gb_ga);
  sp.remac(bad);
  EXPECT_EQ(proc(ctx, bad, &m3, &n3), SGX_ERROR_INVALID_SIGNATURE);
  // A changed SPID without a new MAC.
  bad = good;
  bad.spid.id[3] ^= 0x80;
  EXPECT_EQ(proc(ctx, bad, &m3, &n3), SGX_ERROR_MAC_MISMATCH);
  // A g_b that is not on the curve.
  bad = good;
  bad.g_b.gx[0] ^= 1;
  EXPECT_EQ(proc(ctx, bad, &m3, &n3), SGX_ERROR_INVALID_PARAMETER);
  // A KDF the default derivation does not know.
  EXPECT_EQ(proc(ctx, sp.msg2(m1, 2), &m3, &n3), SGX_ERROR_KDF_MISMATCH);
  // A SigRL (EPID revocation) announced: refused before the enclave.
  bad = good;
  bad.sig_rl_size = 4;
  EXPECT_EQ(proc(ctx, bad, &m3, &n3), SGX_ERROR_INVALID_PARAMETER);
  Key sk{}, mk{};
  EXPECT_EQ(keys(ctx, sk, mk), SGX_ERROR_INVALID_STATE);
  EXPECT_EQ(m3, nullptr);

  // None of that spoiled the session.
  ASSERT_EQ(proc(ctx, sp.msg2(m1), &m3, &n3), SGX_SUCCESS);
  std::free(m3);
  ASSERT_EQ(keys(ctx, sk, mk), SGX_SUCCESS);
  EXPECT_EQ(sk, sp.sk);
  // msg2 once accepted, the session takes no other.
  EXPECT_EQ(proc(ctx, good, &m3, &n3), SGX_ERROR_INVALID_STATE);
  EXPECT_EQ(close(ctx), SGX_SUCCESS);
}

// The application swaps the quote for one of another REPORT before the
// enclave MACs msg3: the enclave refuses to vouch for it.
sgx_status_t swapping_get_msg3(sgx_enclave_id_t eid, sgx_status_t* retval, sgx_ra_context_t context,
                               uint32_t quote_size, sgx_report_t* qe_report, sgx_ra_msg3_t* p_msg3,
                               uint32_t msg3_size) {
  p_msg3->quote[0x10 + 64 + 5] ^= 1;  // a REPORT body byte (REPORT_DATA)
  return sgx_ra_get_msg3_trusted(eid, retval, context, quote_size, qe_report, p_msg3, msg3_size);
}

TEST_F(KeyExchange, TheEnclaveVouchesOnlyForTheQuoteOfItsOwnReport) {
  const sgx_ra_context_t ctx = init();
  const sgx_ra_msg1_t m1 = msg1(ctx);
  Sp sp(sp_key_);
  sgx_ra_msg3_t* m3 = nullptr;
  std::uint32_t n3 = 0;
  EXPECT_EQ(proc(ctx, sp.msg2(m1), &m3, &n3, swapping_get_msg3), SGX_ERROR_INVALID_PARAMETER);
  EXPECT_EQ(m3, nullptr);
  EXPECT_EQ(close(ctx), SGX_SUCCESS);
}

TEST_F(KeyExchange, ACustomDerivationIsUsed) {
  const sgx_ra_context_t ctx = init(1);
  const sgx_ra_msg1_t m1 = msg1(ctx);
  Sp sp(sp_key_);
  sgx_ra_msg3_t* m3 = nullptr;
  std::uint32_t n3 = 0;
  // kdf_id 1 is not the custom derivation's: refused by it.
  EXPECT_EQ(proc(ctx, sp.msg2(m1), &m3, &n3), SGX_ERROR_KDF_MISMATCH);
  // Its own kdf_id; the SP derives as it does.
  sgx_ra_msg2_t m2 = sp.msg2(m1, 0x4e53);
  const nsgx::Bytes z_be = sp.b.derive(from_sdk(m1.g_a)).value();
  std::array<Key, 4> k{};
  for (std::uint8_t i = 0; i < 4; ++i) {
    nsgx::Bytes buf(33);
    reverse32(z_be.data(), buf.data());
    buf[32] = i;
    const auto h = nsgx::crypto::sha256(buf);
    std::memcpy(k[i].data(), h.data(), 16);
  }
  sp.smk = k[0];
  sp.remac(m2);
  ASSERT_EQ(proc(ctx, m2, &m3, &n3), SGX_SUCCESS);
  const Key mac = cmac(k[0], &m3->g_a, n3 - offsetof(sgx_ra_msg3_t, g_a));
  EXPECT_EQ(std::memcmp(mac.data(), m3->mac, 16), 0);
  std::free(m3);
  Key sk{}, mk{};
  ASSERT_EQ(keys(ctx, sk, mk), SGX_SUCCESS);
  EXPECT_EQ(sk, k[1]);
  EXPECT_EQ(mk, k[2]);
  EXPECT_EQ(close(ctx), SGX_SUCCESS);
}

TEST_F(KeyExchange, BadArgumentsAndOrder) {
  sgx_ra_context_t ctx = 0;
  sgx_status_t st = SGX_ERROR_UNEXPECTED;
  const sgx_ec256_public_t pub = sp_key_.pub();
  // No platform service: b_pse is refused, as by the Linux SDK.
  EXPECT_EQ(kx_init(enclave_.eid, &st, &pub, 1, 0, &ctx), SGX_SUCCESS);
  EXPECT_EQ(st, SGX_ERROR_INVALID_PARAMETER);
  // An SP key that is not a point.
  sgx_ec256_public_t off = pub;
  off.gy[0] ^= 1;
  EXPECT_EQ(kx_init(enclave_.eid, &st, &off, 0, 0, &ctx), SGX_SUCCESS);
  EXPECT_EQ(st, SGX_ERROR_INVALID_PARAMETER);

  ctx = init();
  sgx_ra_msg2_t m2{};
  sgx_ra_msg3_t* m3 = nullptr;
  std::uint32_t n3 = 0;
  EXPECT_EQ(proc(ctx, m2, &m3, &n3), SGX_ERROR_INVALID_STATE);  // msg2 before msg1
  const sgx_ra_msg1_t m1 = msg1(ctx);
  sgx_ra_msg1_t again{};
  EXPECT_EQ(sgx_ra_get_msg1(ctx, enclave_.eid, sgx_ra_get_ga, &again), SGX_ERROR_INVALID_STATE);
  EXPECT_EQ(sgx_ra_get_msg1(ctx + 1, enclave_.eid, sgx_ra_get_ga, &again), SGX_ERROR_INVALID_PARAMETER);
  Sp sp(sp_key_);
  m2 = sp.msg2(m1);
  EXPECT_EQ(sgx_ra_proc_msg2(ctx, enclave_.eid, sgx_ra_proc_msg2_trusted, sgx_ra_get_msg3_trusted, &m2, sizeof m2 - 1,
                             &m3, &n3),
            SGX_ERROR_INVALID_PARAMETER);
  EXPECT_EQ(sgx_ra_proc_msg2(ctx, enclave_.eid, sgx_ra_proc_msg2_trusted, nullptr, &m2, sizeof m2, &m3, &n3),
            SGX_ERROR_INVALID_PARAMETER);
  // msg3 must lie outside the enclave and be as long as the quote says.
  sgx_report_t qe_report{};
  EXPECT_EQ(sgx_ra_get_msg3_trusted(enclave_.eid, &st, ctx, 4096, &qe_report, nullptr, 4096 + 336), SGX_SUCCESS);
  EXPECT_EQ(st, SGX_ERROR_INVALID_PARAMETER);
  // The _ex variants take only the monitor's key (ECDSA P-384).
  sgx_att_key_id_t id{};
  sgx_ql_att_key_id_t base{};
  base.algorithm_id = SGX_QL_ALG_EPID;
  std::memcpy(id.att_key_id, &base, sizeof base);
  EXPECT_EQ(sgx_ra_get_msg1_ex(&id, ctx, enclave_.eid, sgx_ra_get_ga, &again), SGX_ERROR_UNSUPPORTED_ATT_KEY_ID);
  EXPECT_EQ(sgx_ra_get_msg1_ex(nullptr, ctx, enclave_.eid, sgx_ra_get_ga, &again), SGX_ERROR_INVALID_PARAMETER);
  base.algorithm_id = SGX_QL_ALG_ECDSA_P384;
  std::memcpy(id.att_key_id, &base, sizeof base);
  ASSERT_EQ(sgx_ra_proc_msg2_ex(&id, ctx, enclave_.eid, sgx_ra_proc_msg2_trusted, sgx_ra_get_msg3_trusted, &m2,
                                sizeof m2, &m3, &n3),
            SGX_SUCCESS);
  std::free(m3);
  EXPECT_EQ(close(ctx), SGX_SUCCESS);
}

}  // namespace
