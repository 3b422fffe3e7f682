// EnclaveBuilder: the sequence every enclave loader issues — ECREATE once,
// then EADD of each page with the chunks to EEXTEND. Image formats (SGXS,
// SDK images, raw pages) replay themselves into a builder; builders measure
// (MeasuringBuilder), collect pages (LayoutBuilder) or, in the runtime, call
// the driver. One replay therefore serves the signer, `nsgx measure` and the
// loader, and they cannot disagree.
#pragma once

#include <cstdint>
#include <span>

#include "base/result.h"
#include "identity/measurement.h"
#include "identity/sgxs.h"

namespace nsgx::identity {

class EnclaveBuilder {
 public:
  virtual ~EnclaveBuilder() = default;
  virtual Status ecreate(std::uint32_t ssa_frame_size, std::uint64_t size) = 0;
  // `data` is the page's initial content; bit i of `extend_mask` asks for
  // EEXTEND of bytes 256*i .. 256*i+255.
  virtual Status add_page(std::uint64_t offset, std::uint64_t secinfo_flags,
                          std::span<const std::uint8_t, sgx::kPageSize> data, std::uint16_t extend_mask) = 0;
};

// Computes MRENCLAVE (and optionally the SGXS stream) of what is built.
class MeasuringBuilder final : public EnclaveBuilder {
 public:
  explicit MeasuringBuilder(Bytes* sgxs_out = nullptr) : m_(sgxs_out) {}
  Status ecreate(std::uint32_t ssa_frame_size, std::uint64_t size) override {
    m_.ecreate(ssa_frame_size, size);
    return {};
  }
  Status add_page(std::uint64_t offset, std::uint64_t secinfo_flags, std::span<const std::uint8_t, sgx::kPageSize> data,
                  std::uint16_t extend_mask) override {
    m_.add_page(offset, secinfo_flags, data, extend_mask);
    ++pages_;
    return {};
  }
  Mrenclave mrenclave() const { return m_.digest(); }
  std::uint64_t pages() const { return pages_; }

 private:
  Measurement m_;
  std::uint64_t pages_ = 0;
};

// Collects the pages, e.g. to write them as SGXS or inspect them in tests.
class LayoutBuilder final : public EnclaveBuilder {
 public:
  Status ecreate(std::uint32_t ssa_frame_size, std::uint64_t size) override {
    layout_.ssa_frame_size = ssa_frame_size;
    layout_.size = size;
    return {};
  }
  Status add_page(std::uint64_t offset, std::uint64_t secinfo_flags, std::span<const std::uint8_t, sgx::kPageSize> data,
                  std::uint16_t extend_mask) override {
    EnclavePage& p = layout_.pages.emplace_back();
    p.offset = offset;
    p.secinfo_flags = secinfo_flags;
    p.measured = extend_mask;
    std::copy(data.begin(), data.end(), p.data.begin());
    return {};
  }
  const EnclaveLayout& layout() const& { return layout_; }
  EnclaveLayout&& layout() && { return std::move(layout_); }

 private:
  EnclaveLayout layout_;
};

// Replays a layout (e.g. from SGXS) into a builder. Unmeasured chunks are
// loaded but not extended.
Status replay(const EnclaveLayout& layout, EnclaveBuilder& builder);

}  // namespace nsgx::identity
