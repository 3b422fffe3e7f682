#include "identity/measurement.h"

#include <cstring>

namespace nsgx::identity {

namespace {
constexpr char kTagEcreate[8] = {'E', 'C', 'R', 'E', 'A', 'T', 'E', 0};
constexpr char kTagEadd[8] = {'E', 'A', 'D', 'D', 0, 0, 0, 0};
constexpr char kTagEextend[8] = {'E', 'E', 'X', 'T', 'E', 'N', 'D', 0};
constexpr char kTagUnmeasured[8] = {'U', 'N', 'M', 'E', 'A', 'S', 'R', 'D'};
}  // namespace

std::array<std::uint8_t, kRecordSize> Measurement::ecreate_record(std::uint32_t ssa_frame_size, std::uint64_t size) {
  std::array<std::uint8_t, kRecordSize> r{};
  std::memcpy(r.data(), kTagEcreate, 8);
  store_le<std::uint32_t>(r.data() + 8, ssa_frame_size);
  store_le<std::uint64_t>(r.data() + 12, size);
  return r;
}

std::array<std::uint8_t, kRecordSize> Measurement::eadd_record(std::uint64_t offset, std::uint64_t secinfo_flags) {
  std::array<std::uint8_t, kRecordSize> r{};
  std::memcpy(r.data(), kTagEadd, 8);
  store_le<std::uint64_t>(r.data() + 8, offset);
  // SECINFO bytes 0-47: FLAGS then 40 reserved bytes, which EADD requires
  // to be zero (SDM EADD: reserved SECINFO fields must be 0).
  store_le<std::uint64_t>(r.data() + 16, secinfo_flags);
  return r;
}

std::array<std::uint8_t, kRecordSize> Measurement::eextend_record(std::uint64_t offset) {
  std::array<std::uint8_t, kRecordSize> r{};
  std::memcpy(r.data(), kTagEextend, 8);
  store_le<std::uint64_t>(r.data() + 8, offset);
  return r;
}

std::array<std::uint8_t, kRecordSize> Measurement::unmeasured_record(std::uint64_t offset) {
  std::array<std::uint8_t, kRecordSize> r{};
  std::memcpy(r.data(), kTagUnmeasured, 8);
  store_le<std::uint64_t>(r.data() + 8, offset);
  return r;
}

void Measurement::unmeasured(std::uint64_t offset, std::span<const std::uint8_t, kExtendChunk> chunk) {
  if (sgxs_ == nullptr) return;
  auto rec = unmeasured_record(offset);
  sgxs_->insert(sgxs_->end(), rec.begin(), rec.end());
  sgxs_->insert(sgxs_->end(), chunk.begin(), chunk.end());
}

void Measurement::absorb(ByteSpan bytes) {
  sha_.update(bytes);
  if (sgxs_ != nullptr) sgxs_->insert(sgxs_->end(), bytes.begin(), bytes.end());
}

void Measurement::ecreate(std::uint32_t ssa_frame_size, std::uint64_t enclave_size) {
  absorb(ecreate_record(ssa_frame_size, enclave_size));
}

void Measurement::eadd(std::uint64_t offset, std::uint64_t secinfo_flags) {
  absorb(eadd_record(offset, secinfo_flags));
}

void Measurement::eextend(std::uint64_t offset, std::span<const std::uint8_t, kExtendChunk> chunk) {
  absorb(eextend_record(offset));
  absorb(chunk);
}

void Measurement::add_page(std::uint64_t offset, std::uint64_t secinfo_flags,
                           std::span<const std::uint8_t, sgx::kPageSize> page, std::uint16_t extend_mask) {
  // One contiguous buffer per page: a single hash update instead of 33 keeps
  // measurement close to raw SHA-256 throughput (bench/measurement).
  std::array<std::uint8_t, kRecordSize + kChunksPerPage * (kRecordSize + kExtendChunk)> buf;
  std::size_t n = 0;
  auto eadd_rec = eadd_record(offset, secinfo_flags);
  std::memcpy(buf.data(), eadd_rec.data(), kRecordSize);
  n += kRecordSize;
  for (std::size_t i = 0; i < kChunksPerPage; ++i) {
    if ((extend_mask & (1u << i)) == 0) continue;
    auto rec = eextend_record(offset + i * kExtendChunk);
    std::memcpy(buf.data() + n, rec.data(), kRecordSize);
    std::memcpy(buf.data() + n + kRecordSize, page.data() + i * kExtendChunk, kExtendChunk);
    n += kRecordSize + kExtendChunk;
  }
  absorb(ByteSpan(buf.data(), n));
}

Mrenclave Measurement::digest() const {
  crypto::Sha256 copy = sha_;
  return copy.finish();
}

}  // namespace nsgx::identity
