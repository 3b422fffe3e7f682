// The SGX SDK's enclave image metadata (the `.note.sgxmeta` note of a
// signed enclave). These are software structures defined by the SGX SDK
// (common/inc/internal/metadata.h), not by the SDM; all are packed and
// little-endian. docs/image-format.md describes the format and how a loader
// replays it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "arch/sgx/sigstruct.h"

namespace nsgx::image::sdk {

inline constexpr std::uint64_t kMetadataMagic = 0x86A80294635D0E4Cull;
inline constexpr char kNoteSection[] = ".note.sgxmeta";
inline constexpr char kNoteName[] = "sgx_metadata";  // namesz 13 with its NUL
inline constexpr std::uint32_t kNoteType = 1;

constexpr std::uint64_t make_version(std::uint32_t major, std::uint32_t minor) {
  return (std::uint64_t{major} << 32) | minor;
}
constexpr std::uint32_t version_major(std::uint64_t v) { return static_cast<std::uint32_t>(v >> 32); }
constexpr std::uint32_t version_minor(std::uint64_t v) { return static_cast<std::uint32_t>(v); }
// SDK 1.5-1.8: a different layout-id numbering and one loader quirk (sdk_image.cc).
inline constexpr std::uint64_t kVersion1_3 = make_version(1, 3);
// Majors above 10 mark ELRANGE metadata (an enclave image inside a larger ELRANGE).
inline constexpr std::uint32_t kElrangeMajorGap = 10;

enum DirIndex : std::size_t { kDirPatch = 0, kDirLayout = 1, kDirCount = 2 };

#pragma pack(push, 1)
struct DataDirectory {
  std::uint32_t offset;  // from the start of the metadata
  std::uint32_t size;
};

struct Metadata {
  std::uint64_t magic;
  std::uint64_t version;
  std::uint32_t size;  // bytes used, from the start of the metadata
  std::uint32_t tcs_policy;  // 0 bind, 1 unbind
  std::uint32_t ssa_frame_size;
  std::uint32_t max_save_buffer_size;
  std::uint32_t desired_misc_select;
  std::uint32_t tcs_min_pool;
  std::uint64_t enclave_size;
  sgx::Attributes attributes;
  sgx::Sigstruct enclave_css;
  DataDirectory dirs[kDirCount];
  // followed by the data area the directories and layout entries point into
};

struct LayoutEntry {
  std::uint16_t id;
  std::uint16_t attributes;  // page_attr
  std::uint32_t page_count;
  std::uint64_t rva;
  std::uint32_t content_size;    // with content_offset 0: a u32 fill pattern
  std::uint32_t content_offset;  // from the start of the metadata
  std::uint64_t si_flags;        // SECINFO flags
};

struct LayoutGroup {
  std::uint16_t id;           // has kGroupFlag
  std::uint16_t entry_count;  // the group repeats the entry_count elements before it
  std::uint32_t load_times;
  std::uint64_t load_step;
  std::uint32_t reserved[4];
};

struct PatchEntry {
  std::uint64_t dst;  // offset in the enclave FILE
  std::uint32_t src;  // from the start of the metadata
  std::uint32_t size;
  std::uint32_t reserved[4];
};
#pragma pack(pop)

static_assert(std::is_trivially_copyable_v<Metadata>);
static_assert(offsetof(Metadata, version) == 8);
static_assert(offsetof(Metadata, size) == 16);
static_assert(offsetof(Metadata, ssa_frame_size) == 24);
static_assert(offsetof(Metadata, enclave_size) == 40);
static_assert(offsetof(Metadata, attributes) == 48);
static_assert(offsetof(Metadata, enclave_css) == 64, "SDK metadata.h: enclave_css at 64");
static_assert(offsetof(Metadata, dirs) == 1872);
static_assert(sizeof(Metadata) == 1888, "SDK metadata.h: data[] starts at 1888");
static_assert(sizeof(LayoutEntry) == 32 && sizeof(LayoutGroup) == 32, "SDK metadata.h: layout_t is 32 bytes");
static_assert(offsetof(LayoutEntry, rva) == 8 && offsetof(LayoutEntry, si_flags) == 24);
static_assert(offsetof(LayoutGroup, load_step) == 8);
static_assert(sizeof(PatchEntry) == 32);

inline constexpr std::uint16_t kGroupFlag = 1u << 12;

// Layout entry ids, metadata 1.4 and later.
namespace layout_id {
inline constexpr std::uint16_t kHeapMin = 1, kHeapInit = 2, kHeapMax = 3, kTcs = 4, kTd = 5, kSsa = 6, kStackMax = 7,
                               kStackMin = 8, kThreadGroup = kGroupFlag | 9, kGuard = 10, kHeapDynMin = 11,
                               kHeapDynInit = 12, kHeapDynMax = 13, kTcsDyn = 14, kTdDyn = 15, kSsaDyn = 16,
                               kStackDynMax = 17, kStackDynMin = 18, kThreadGroupDyn = kGroupFlag | 19,
                               kRsrvMin = 20, kRsrvInit = 21, kRsrvMax = 22, kUserRegion = 23;
}  // namespace layout_id

// Page attributes of a layout entry (SDK se_page_attr.h).
namespace page_attr {
inline constexpr std::uint16_t kEadd = 1u << 0;
inline constexpr std::uint16_t kEextend = 1u << 1;
inline constexpr std::uint16_t kEremove = 1u << 2;
inline constexpr std::uint16_t kPostAdd = 1u << 3;
inline constexpr std::uint16_t kPostRemove = 1u << 4;
inline constexpr std::uint16_t kDynThread = 1u << 5;
inline constexpr std::uint16_t kGrowDown = 1u << 6;
}  // namespace page_attr

// The TCS template a layout entry points at (the architectural TCS's first 72 bytes).
inline constexpr std::size_t kTcsTemplateSize = 72;

}  // namespace nsgx::image::sdk
