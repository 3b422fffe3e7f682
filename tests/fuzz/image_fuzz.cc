// Fuzzes the ELF reader and the SGX SDK metadata parser, and replays what
// parses. Seeds: the SDK images in ../shared/vectors/sdk.
#include <cstddef>
#include <cstdint>

#include "image/sdk_image.h"

namespace {
// Counts pages without hashing, so that a huge (valid) layout costs little.
class CountingBuilder final : public nsgx::identity::EnclaveBuilder {
 public:
  nsgx::Status ecreate(std::uint32_t, std::uint64_t) override { return {}; }
  nsgx::Status add_page(std::uint64_t, std::uint64_t, std::span<const std::uint8_t, 4096>, std::uint16_t) override {
    if (++pages_ > (1u << 20)) return nsgx::Error("fuzz: page budget");
    return {};
  }

 private:
  std::uint64_t pages_ = 0;
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto img = nsgx::image::SdkImage::parse(nsgx::Bytes(data, data + size));
  if (!img) return 0;
  CountingBuilder b;
  (void)img->replay(b);
  return 0;
}
