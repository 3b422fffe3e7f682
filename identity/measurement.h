// MRENCLAVE: the one implementation of the SGX measurement, shared by the
// monitor (ECREATE/EADD/EEXTEND), the signer, the image loader and the
// verifier, so that none of them can disagree (STYLE §8).
//
// SDM Vol.3D 38.3: MRENCLAVE is SHA-256 over a stream of 64-byte records —
//   ECREATE: "ECREATE\0" | SSAFRAMESIZE (u32) | SIZE (u64) | 44 zero bytes
//   EADD:    "EADD\0\0\0\0" | page offset (u64) | SECINFO bytes 0-47
//   EEXTEND: "EEXTEND\0" | chunk offset (u64) | 48 zero bytes, then the 256
//            bytes of the chunk (four more 64-byte blocks)
// where offsets are relative to SECS.BASEADDR. The stream itself is the SGXS
// format (identity/sgxs.h), so the same bytes can be written out.
//
//   identity::Measurement m;
//   m.ecreate(1, 0x8000);
//   m.add_page(0, flags, page);   // EADD + 16 x EEXTEND
//   Mrenclave mr = m.finish();
#pragma once

#include <array>
#include <cstdint>

#include "arch/sgx/types.h"
#include "base/bytes.h"
#include "crypto/sha.h"

namespace nsgx::identity {

using Mrenclave = crypto::Digest256;

inline constexpr std::size_t kRecordSize = 64;
inline constexpr std::size_t kExtendChunk = 256;
inline constexpr std::size_t kChunksPerPage = sgx::kPageSize / kExtendChunk;
// Every chunk of a page extended.
inline constexpr std::uint16_t kExtendAll = 0xffff;

class Measurement {
 public:
  // When `sgxs_out` is given, every hashed byte is also appended to it,
  // producing the page's SGXS stream alongside the hash.
  explicit Measurement(Bytes* sgxs_out = nullptr) : sgxs_(sgxs_out) {}

  void ecreate(std::uint32_t ssa_frame_size, std::uint64_t enclave_size);
  // EADD of the page at `offset` (page aligned) with the SECINFO flags.
  void eadd(std::uint64_t offset, std::uint64_t secinfo_flags);
  // EEXTEND of one 256-byte chunk at `offset` (256-byte aligned).
  void eextend(std::uint64_t offset, std::span<const std::uint8_t, kExtendChunk> chunk);
  // EADD of a page followed by EEXTEND of the chunks selected by bit i of
  // `extend_mask` (bit i = bytes 256*i .. 256*i+255), in ascending order — how
  // every loader adds a measured page.
  void add_page(std::uint64_t offset, std::uint64_t secinfo_flags, std::span<const std::uint8_t, sgx::kPageSize> page,
                std::uint16_t extend_mask = kExtendAll);

  // Appends a chunk that is loaded but not measured to the SGXS output as
  // an UNMEASRD record (Fortanix SGXS extension); the hash is unchanged.
  void unmeasured(std::uint64_t offset, std::span<const std::uint8_t, kExtendChunk> chunk);

  // MRENCLAVE of everything so far (EINIT's finalisation); the measurement
  // can continue afterwards.
  Mrenclave digest() const;

  // Raw record encoders, exposed for the SGXS reader and the tests.
  static std::array<std::uint8_t, kRecordSize> ecreate_record(std::uint32_t ssa_frame_size, std::uint64_t size);
  static std::array<std::uint8_t, kRecordSize> eadd_record(std::uint64_t offset, std::uint64_t secinfo_flags);
  static std::array<std::uint8_t, kRecordSize> eextend_record(std::uint64_t offset);
  static std::array<std::uint8_t, kRecordSize> unmeasured_record(std::uint64_t offset);

 private:
  void absorb(ByteSpan bytes);

  crypto::Sha256 sha_;
  Bytes* sgxs_;
};

}  // namespace nsgx::identity
