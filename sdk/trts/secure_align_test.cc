// sgx_aligned_malloc / sgx_get_aligned_ptr and the sgx_secure_align.h
// templates: every secret byte lands at bytes 8..63 of its cache line
// (Intel-SA-00219), at the requested alignment, inside the memory given.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "sgx_secure_align.h"
#include "sgx_secure_align_api.h"

namespace {

bool secret_bytes_clear(const void* p, const std::vector<align_req_t>& reqs, std::size_t size) {
  const auto base = reinterpret_cast<std::uintptr_t>(p);
  auto clear = [&](std::size_t off, std::size_t len) {
    for (std::size_t i = 0; i < len; ++i)
      if ((base + off + i) % 64 < 8) return false;
    return true;
  };
  if (reqs.empty()) return clear(0, size);
  return std::ranges::all_of(reqs, [&](const align_req_t& r) { return clear(r.offset, r.len); });
}

// Could any placement work? (Some residue modulo 64 at the alignment.)
bool placeable(const std::vector<align_req_t>& reqs, std::size_t size, std::size_t alignment) {
  for (std::size_t lead = 0; lead < 64; lead += (alignment < 64 ? alignment : 64)) {
    const void* at = reinterpret_cast<const void*>(std::uintptr_t{4096} + lead);
    if (secret_bytes_clear(at, reqs, size)) return true;
  }
  return false;
}

TEST(SecureAlign, MallocPlacesEverySecretAwayFromLineStarts) {
  std::mt19937_64 rng(7);
  int placed = 0, refused = 0;
  for (int round = 0; round < 3000; ++round) {
    const std::size_t size = 1 + rng() % 300;
    const std::size_t alignment = std::size_t{1} << (rng() % 9);  // 1..256
    std::vector<align_req_t> reqs;
    const std::size_t n = rng() % 4;
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t off = rng() % size;
      reqs.push_back({off, rng() % (std::min<std::size_t>(size - off, 40) + 1)});
    }
    void* p = sgx_aligned_malloc(size, alignment, reqs.empty() ? nullptr : reqs.data(), reqs.size());
    if (placeable(reqs, size, alignment)) {
      ASSERT_NE(p, nullptr) << "size " << size << " alignment " << alignment;
      EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % alignment, 0u);
      EXPECT_TRUE(secret_bytes_clear(p, reqs, size));
      std::memset(p, 0xa5, size);  // the whole block is ours (ASan checks the bounds)
      sgx_aligned_free(p);
      ++placed;
    } else {
      EXPECT_EQ(p, nullptr);
      ++refused;
    }
  }
  EXPECT_GT(placed, 1000);
  EXPECT_GT(refused, 10);
}

TEST(SecureAlign, BadRequestsAreRefused) {
  align_req_t inside{4, 8}, outside{10, 8}, wraps{8, SIZE_MAX};
  EXPECT_EQ(sgx_aligned_malloc(0, 8, nullptr, 0), nullptr);
  EXPECT_EQ(sgx_aligned_malloc(16, 0, nullptr, 0), nullptr);
  EXPECT_EQ(sgx_aligned_malloc(16, 24, &inside, 1), nullptr);  // not a power of 2
  EXPECT_EQ(sgx_aligned_malloc(16, 8, &outside, 1), nullptr);
  EXPECT_EQ(sgx_aligned_malloc(16, 8, &wraps, 1), nullptr);
  EXPECT_EQ(sgx_aligned_malloc(16, 8, nullptr, 1), nullptr);
  EXPECT_EQ(sgx_aligned_malloc(SIZE_MAX - 8, 8, nullptr, 0), nullptr);
  align_req_t too_long{0, 57};  // 57 secret bytes in a row always cover a line's start
  EXPECT_EQ(sgx_aligned_malloc(64, 1, &too_long, 1), nullptr);
  align_req_t longest{0, 56};
  void* p = sgx_aligned_malloc(64, 1, &longest, 1);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % 64, 8u);
  sgx_aligned_free(p);
  sgx_aligned_free(nullptr);
}

TEST(SecureAlign, AlignedPtrStaysInTheDocumentedRoom) {
  std::mt19937_64 rng(11);
  std::vector<unsigned char> room(1024 + 64 + 256 + 64);
  for (int round = 0; round < 2000; ++round) {
    const std::size_t size = 1 + rng() % 1024;
    const std::size_t alignment = std::size_t{1} << (rng() % 9);
    const std::size_t shift = rng() % 64;
    align_req_t secret{rng() % size, 0};
    secret.len = rng() % (std::min<std::size_t>(size - secret.offset, 56) + 1);
    const std::size_t need = alignment <= 8 ? size + 72 : size + 64 + alignment;
    unsigned char* raw = room.data() + shift;
    void* p = sgx_get_aligned_ptr(raw, need, size, alignment, &secret, 1);
    if (!placeable({secret}, size, alignment)) {
      EXPECT_EQ(p, nullptr);
      continue;
    }
    ASSERT_NE(p, nullptr) << "size " << size << " alignment " << alignment;
    auto* q = static_cast<unsigned char*>(p);
    EXPECT_GE(q, raw);
    EXPECT_LE(q + size, raw + need);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(q) % alignment, 0u);
    EXPECT_TRUE(secret_bytes_clear(q, {secret}, size));
    // One byte less room than the placement used is refused, not overrun.
    const auto used = static_cast<std::size_t>(q + size - raw);
    EXPECT_EQ(sgx_get_aligned_ptr(raw, used - 1, size, alignment, &secret, 1), nullptr);
  }
  EXPECT_EQ(sgx_get_aligned_ptr(nullptr, 100, 8, 8, nullptr, 0), nullptr);
}

struct Key {
  std::uint64_t id;
  unsigned char secret[32];
  std::uint32_t flags;
  explicit Key(std::uint64_t i) : id(i), secret{}, flags(7) {}
};

template <class Box>
void expect_clear(const Box& b, std::size_t off, std::size_t len) {
  const auto at = reinterpret_cast<std::uintptr_t>(&b.v) + off;
  for (std::size_t i = 0; i < len; ++i) EXPECT_GE((at + i) % 64, 8u) << "byte " << i;
}

TEST(SecureAlign, TemplatesPlaceTheSecretField) {
  using Boxed = sgx::custom_alignment<Key, offsetof(Key, secret), sizeof(Key::secret)>;
  static_assert(alignof(Boxed) == 64);
  Boxed on_stack(std::uint64_t{42});
  EXPECT_EQ(on_stack.v.id, 42u);
  EXPECT_EQ(on_stack.v.flags, 7u);
  expect_clear(on_stack, offsetof(Key, secret), sizeof(Key::secret));
  auto* on_heap = new Boxed(std::uint64_t{1});
  expect_clear(*on_heap, offsetof(Key, secret), sizeof(Key::secret));
  delete on_heap;

  // A secret at offset 0 needs leading space; 16-byte alignment keeps it a multiple of 16.
  using AtStart = sgx::custom_alignment_aligned<std::uint64_t[4], 16, 0, 32>;
  AtStart a;
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(&a.v) % 16, 0u);
  expect_clear(a, 0, 32);
  static_assert(sizeof(sgx::custom_alignment<Key>) == sizeof(Key));  // no pairs: only aligned

  EXPECT_EQ(sgx::rol<std::uint8_t>(0x81, 1), 0x03);
  EXPECT_EQ(sgx::ror<std::uint8_t>(0x81, 1), 0xc0);
  EXPECT_EQ(sgx::rol<std::uint32_t>(0x12345678, 32), 0x12345678u);
  EXPECT_EQ(sgx::rol<std::int16_t>(-1, 5), -1);
}

}  // namespace
