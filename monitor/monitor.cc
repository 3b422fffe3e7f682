#include "monitor/monitor.h"
#include "monitor/ssa_frame.h"

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <cstring>

#include "arch/sgx/ssa.h"
#include "arch/sgx/tcs.h"
#include "crypto/sha.h"
#include "monitor/keys.h"

namespace nsgx::monitor {

namespace {

using namespace sgx::secinfo_flags;  // NOLINT(google-build-using-namespace): the SDM's flag names

constexpr std::uint64_t kStateBits = kPending | kModified | kPr;

// Bytes of the non-compacted XSAVE area for the features in `xfrm` (SDM
// Vol.1 13.4: legacy region and header, then each component at its
// standard offset).
std::uint64_t xsave_size(std::uint64_t xfrm) {
  struct Component {
    std::uint64_t bit, offset, size;
  };
  static constexpr Component kComponents[] = {
      {sgx::xfrm::kAvx, 576, 256},        {sgx::xfrm::kBndRegs, 960, 64},      {sgx::xfrm::kBndCsr, 1024, 64},
      {sgx::xfrm::kOpmask, 1088, 64},     {sgx::xfrm::kZmmHi256, 1152, 512},   {sgx::xfrm::kHi16Zmm, 1664, 1024},
      {sgx::xfrm::kPkru, 2688, 8},        {sgx::xfrm::kAmxTileCfg, 2752, 64},  {sgx::xfrm::kAmxTileData, 2816, 8192},
  };
  std::uint64_t end = 576;  // x87/SSE legacy region (512) + XSAVE header (64)
  for (const auto& c : kComponents)
    if (xfrm & c.bit) end = std::max(end, c.offset + c.size);
  return end;
}

// SDM ECREATE: XFRM must contain x87 and SSE, the MPX pair together, and
// the AVX-512 triple together with AVX.
bool xfrm_consistent(std::uint64_t xfrm) {
  if ((xfrm & sgx::xfrm::kLegacy) != sgx::xfrm::kLegacy) return false;
  const std::uint64_t mpx = sgx::xfrm::kBndRegs | sgx::xfrm::kBndCsr;
  if ((xfrm & mpx) != 0 && (xfrm & mpx) != mpx) return false;
  const std::uint64_t avx512 = sgx::xfrm::kOpmask | sgx::xfrm::kZmmHi256 | sgx::xfrm::kHi16Zmm;
  if ((xfrm & avx512) != 0 && ((xfrm & avx512) != avx512 || (xfrm & sgx::xfrm::kAvx) == 0)) return false;
  const std::uint64_t amx = sgx::xfrm::kAmxTileCfg | sgx::xfrm::kAmxTileData;
  return (xfrm & amx) == 0 || (xfrm & amx) == amx;
}

bool canonical(std::uint64_t addr) {
  const std::uint64_t top = addr >> 47;
  return top == 0 || top == 0x1ffff;
}

bool secinfo_reserved_clear(const sgx::Secinfo& s) {
  return (s.flags & kReservedMask) == 0 && all_zero(ByteSpan(s.reserved, sizeof s.reserved));
}

// The page types EBLOCK, EWB and ELDU take (SDM Vol.3D EBLOCK, EWB and
// ELDB/ELDU operation: PT_REG, PT_TCS, PT_TRIM; the shadow-stack types are
// not supported here). A SECS and a VA page are never blocked.
bool evictable_type(sgx::PageType t) {
  return t == sgx::PageType::kReg || t == sgx::PageType::kTcs || t == sgx::PageType::kTrim;
}

}  // namespace

std::uint32_t ssa_frame_pages_needed(std::uint64_t xfrm, std::uint32_t misc_select) {
  const std::uint64_t misc_bytes = (misc_select & sgx::misc::kExinfo) ? sizeof(sgx::Exinfo) : 0;
  const std::uint64_t bytes = xsave_size(xfrm) + misc_bytes + sizeof(sgx::Gprsgx);
  return static_cast<std::uint32_t>((bytes + sgx::kPageSize - 1) / sgx::kPageSize);
}

std::optional<std::uint64_t> ssa_page_offset(std::uint64_t ossa, std::uint32_t frame, std::uint32_t frame_pages,
                                             std::uint32_t page, std::uint64_t elrange_size) {
  // frame * frame_pages cannot wrap (two 32-bit factors); every later step can.
  std::uint64_t pages = std::uint64_t{frame} * frame_pages;
  std::uint64_t off = 0;
  if (__builtin_add_overflow(pages, page, &pages) || __builtin_mul_overflow(pages, sgx::kPageSize, &off) ||
      __builtin_add_overflow(off, ossa, &off) || off >= elrange_size)
    return std::nullopt;
  return off;
}

const char* leaf_kind_name(LeafKind k) {
  switch (k) {
    case LeafKind::kOk: return "ok";
    case LeafKind::kStatus: return "status";
    case LeafKind::kGp: return "#GP";
    case LeafKind::kPf: return "#PF";
  }
  return "?";
}

Monitor::Monitor(Platform& platform, MonitorConfig config)
    : platform_(platform), config_(std::move(config)), epcm_(platform.epc_page_count()), slots_(epcm_.size()) {
  platform_.random(report_key_id_);
  platform_.random(paging_key_);
}

Monitor::~Monitor() { crypto::cleanse(paging_key_); }

Monitor::Enclave* Monitor::find_enclave(EnclaveId id) const {
  std::lock_guard lock(epcm_mu_);
  if (id.value >= epcm_.size()) return nullptr;
  const EpcmEntry& e = epcm_[id.value];
  if (!e.valid || e.type != sgx::PageType::kSecs) return nullptr;
  return slots_[id.value].get();
}

// ---------------------------------------------------------------- ECREATE

LeafResult Monitor::ecreate(EpcIndex secs_page, const sgx::Secs& secs, const sgx::Secinfo& secinfo) {
  // SECINFO: reserved fields zero, page type SECS, no permissions.
  if (!secinfo_reserved_clear(secinfo) || secinfo.page_type() != sgx::PageType::kSecs ||
      (secinfo.flags & (kPermMask | kStateBits)) != 0)
    return LeafResult::gp("ECREATE: SECINFO is not a plain PT_SECS");
  if (!page_in_range(secs_page)) return LeafResult::pf(secs_page.value, "ECREATE: not an EPC page");

  // SECS operand checks (SDM ECREATE), all before any state changes.
  const std::uint64_t flags = secs.attributes.flags;
  if ((flags & sgx::attr::kInit) != 0) return LeafResult::gp("ECREATE: ATTRIBUTES.INIT is set");
  if ((flags & ~config_.supported_attributes) != 0) return LeafResult::gp("ECREATE: unsupported or reserved ATTRIBUTES");
  if ((flags & sgx::attr::kMode64Bit) == 0) return LeafResult::gp("ECREATE: only 64-bit enclaves are supported");
  if (!xfrm_consistent(secs.attributes.xfrm) || (secs.attributes.xfrm & ~config_.supported_xfrm) != 0)
    return LeafResult::gp("ECREATE: XFRM is not a supported, consistent feature set");
  if ((secs.misc_select & ~config_.supported_misc_select) != 0) return LeafResult::gp("ECREATE: unsupported MISCSELECT");
  if (secs.size < 2 * sgx::kPageSize || !std::has_single_bit(secs.size))
    return LeafResult::gp("ECREATE: SIZE is not a power of two of at least two pages");
  if ((secs.base_addr & (secs.size - 1)) != 0) return LeafResult::gp("ECREATE: BASEADDR is not aligned to SIZE");
  if (secs.base_addr > UINT64_MAX - secs.size || !canonical(secs.base_addr) ||
      !canonical(secs.base_addr + secs.size - 1))
    return LeafResult::gp("ECREATE: ELRANGE is not canonical");
  if (secs.ssa_frame_size == 0 || secs.ssa_frame_size < ssa_frame_pages_needed(secs.attributes.xfrm, secs.misc_select))
    return LeafResult::gp("ECREATE: SSAFRAMESIZE too small for XFRM and MISCSELECT");
  if ((flags & sgx::attr::kKss) == 0 &&
      (secs.config_svn != 0 || !all_zero(ByteSpan(secs.config_id, sizeof secs.config_id))))
    return LeafResult::gp("ECREATE: CONFIGID/CONFIGSVN set without KSS");
  if (secs.cet_leg_bitmap_offset != 0 || secs.cet_attributes != 0 || (flags & sgx::attr::kCet) != 0)
    return LeafResult::gp("ECREATE: CET enclaves are not supported");
  if (!all_zero(ByteSpan(secs.reserved1, sizeof secs.reserved1)) ||
      !all_zero(ByteSpan(secs.reserved2, sizeof secs.reserved2)) ||
      !all_zero(ByteSpan(secs.reserved3, sizeof secs.reserved3)) ||
      !all_zero(ByteSpan(secs.reserved4, sizeof secs.reserved4)))
    return LeafResult::gp("ECREATE: reserved SECS fields are not zero");

  // Claim the page, then (re)initialize the slot's enclave object. The slot
  // lock is taken before the EPCM lock, the order every leaf uses.
  Enclave* enclave = nullptr;
  {
    std::lock_guard lock(epcm_mu_);
    if (epcm_[secs_page.value].valid) return LeafResult::pf(secs_page.value, "ECREATE: EPC page in use");
    if (!slots_[secs_page.value]) slots_[secs_page.value] = std::make_unique<Enclave>();
    enclave = slots_[secs_page.value].get();
  }
  std::lock_guard elock(enclave->mu);
  {
    std::lock_guard lock(epcm_mu_);
    EpcmEntry& e = epcm_[secs_page.value];
    if (e.valid) return LeafResult::pf(secs_page.value, "ECREATE: EPC page in use");
    e = EpcmEntry{.valid = true, .type = sgx::PageType::kSecs, .owner = EnclaveId{secs_page.value}};
  }
  enclave->alive = true;
  enclave->state = EnclaveState::kCreated;
  enclave->children = 0;
  enclave->pages.clear();
  enclave->busy.clear();
  enclave->epoch = 1;
  enclave->eid = next_eid_.fetch_add(1);
  enclave->secs = secs;
  // MRENCLAVE/MRSIGNER and the identity fields are set by EINIT.
  std::memset(enclave->secs.mr_enclave, 0, sizeof enclave->secs.mr_enclave);
  std::memset(enclave->secs.mr_signer, 0, sizeof enclave->secs.mr_signer);
  enclave->secs.isv_prod_id = 0;
  enclave->secs.isv_svn = 0;
  enclave->measurement = identity::Measurement();
  enclave->measurement.ecreate(secs.ssa_frame_size, secs.size);
  std::memset(platform_.epc_page(secs_page).data(), 0, sgx::kPageSize);
  platform_.enclave_created(EnclaveId{secs_page.value}, secs.base_addr, secs.size);
  return LeafResult::success();
}

// ---------------------------------------------------------------- EADD

LeafResult Monitor::eadd(EpcIndex page, EnclaveId id, LinearAddr addr, std::span<const std::uint8_t, sgx::kPageSize> src,
                         const sgx::Secinfo& secinfo) {
  if (!secinfo_reserved_clear(secinfo) || (secinfo.flags & kStateBits) != 0)
    return LeafResult::gp("EADD: SECINFO reserved or SGX2 state bits set");
  const sgx::PageType type = secinfo.page_type();
  if (type != sgx::PageType::kReg && type != sgx::PageType::kTcs)
    return LeafResult::gp("EADD: page type is neither PT_REG nor PT_TCS");
  if (type == sgx::PageType::kReg && (secinfo.flags & kW) != 0 && (secinfo.flags & kR) == 0)
    return LeafResult::gp("EADD: write permission without read");
  if (!page_in_range(page)) return LeafResult::pf(page.value, "EADD: not an EPC page");
  Enclave* enclave = find_enclave(id);
  if (enclave == nullptr) return LeafResult::pf(id.value, "EADD: SECS operand is not a valid SECS");

  std::lock_guard elock(enclave->mu);
  if (!enclave->alive) return LeafResult::pf(id.value, "EADD: SECS was removed");
  const sgx::Secs& secs = enclave->secs;
  if (enclave->state != EnclaveState::kCreated) return LeafResult::gp("EADD: enclave already initialized");
  if (!addr.page_aligned()) return LeafResult::gp("EADD: linear address not page aligned");
  if (addr.value < secs.base_addr || addr.value - secs.base_addr >= secs.size)
    return LeafResult::gp("EADD: linear address outside ELRANGE");
  if (enclave->pages.contains(addr.value)) return LeafResult::gp("EADD: linear address already backed by a page");

  // The page's content and the SECINFO that is measured and recorded.
  std::uint64_t measured_flags = secinfo.flags;
  std::array<std::uint8_t, sgx::kPageSize> content;
  std::memcpy(content.data(), src.data(), sgx::kPageSize);
  if (type == sgx::PageType::kTcs) {
    auto tcs = copy_struct<sgx::Tcs>(content);
    if ((tcs.flags & sgx::tcs_flags::kReservedMask) != 0) return LeafResult::gp("EADD: TCS.FLAGS reserved bits set");
    if (((tcs.ossa | tcs.ofs_base | tcs.ogs_base) & sgx::kPageMask) != 0)
      return LeafResult::gp("EADD: TCS.OSSA/OFSBASE/OGSBASE not page aligned");
    // SDM EADD: a TCS enters with no thread state and is measured without permissions.
    tcs.state = 0;
    tcs.cssa = 0;
    tcs.aep = 0;
    tcs.flags &= ~sgx::tcs_flags::kDbgOptIn;
    std::memcpy(content.data(), &tcs, sizeof tcs);
    measured_flags &= ~kPermMask;
  }

  EpcmEntry added{};
  {
    std::lock_guard lock(epcm_mu_);
    EpcmEntry& e = epcm_[page.value];
    if (e.valid) return LeafResult::pf(page.value, "EADD: EPC page in use");
    e = EpcmEntry{.valid = true,
                  .type = type,
                  .perms = static_cast<std::uint8_t>(measured_flags & kPermMask),
                  .owner = id,
                  .addr = addr};
    added = e;
  }
  platform_.page_assigned(id, addr, page);
  std::memcpy(platform_.epc_page(page).data(), content.data(), sgx::kPageSize);
  enclave->measurement.eadd(addr.value - secs.base_addr, measured_flags);
  enclave->pages.emplace(addr.value, page);
  ++enclave->children;
  publish_rights(page, added);
  return LeafResult::success();
}

// ---------------------------------------------------------------- mapping rights

void Monitor::publish_rights(EpcIndex page, const EpcmEntry& now) {
  const PageRights rights = page_rights(now);
  if (rights.none())
    platform_.page_unmapped(now.owner, now.addr, page);
  else
    platform_.page_mapped(now.owner, now.addr, page, rights);
}

// ---------------------------------------------------------------- EEXTEND

Monitor::HeldPage Monitor::hold_page(EpcIndex page) const {
  // A hostile OS can keep a page changing hands; a few attempts are enough
  // for honest callers, and a persistent race only fails the caller's leaf.
  for (int attempt = 0; attempt < 8; ++attempt) {
    HeldPage held;
    {
      std::lock_guard lock(epcm_mu_);
      held.entry = epcm_[page.value];
    }
    if (!held.entry.valid || held.entry.type == sgx::PageType::kVa) return held;
    Enclave* owner = find_enclave(held.entry.owner);
    if (owner == nullptr) return held;
    std::unique_lock owner_lock(owner->mu);
    std::lock_guard lock(epcm_mu_);
    const EpcmEntry& now = epcm_[page.value];
    if (now.valid && now.type != sgx::PageType::kVa && now.owner == held.entry.owner && owner->alive) {
      held.entry = now;
      held.enclave = owner;
      held.lock = std::move(owner_lock);
      return held;
    }
    if (!now.valid || now.type == sgx::PageType::kVa) {
      held.entry = now;
      return held;
    }
    // The page went to another owner while we waited for this one: retry.
  }
  HeldPage contended;
  contended.conflict = true;
  contended.entry.valid = true;  // valid but not held: callers report #PF, EBLOCK a conflict
  return contended;
}

LeafResult Monitor::eextend(EpcIndex page, std::uint32_t offset) {
  if (!page_in_range(page)) return LeafResult::pf(page.value, "EEXTEND: not an EPC page");
  if (offset >= sgx::kPageSize || offset % identity::kExtendChunk != 0)
    return LeafResult::gp("EEXTEND: offset not a 256-byte chunk of the page");
  HeldPage held = hold_page(page);
  if (held.enclave == nullptr || (held.entry.type != sgx::PageType::kReg && held.entry.type != sgx::PageType::kTcs))
    return LeafResult::pf(page.value, "EEXTEND: not a PT_REG or PT_TCS page of a live enclave");
  Enclave& enclave = *held.enclave;
  if (enclave.state != EnclaveState::kCreated) return LeafResult::gp("EEXTEND: enclave already initialized");
  const auto data = platform_.epc_page(page).subspan(offset).first<identity::kExtendChunk>();
  enclave.measurement.eextend(held.entry.addr.value - enclave.secs.base_addr + offset, data);
  return LeafResult::success();
}

// ---------------------------------------------------------------- EINIT

LeafResult Monitor::einit(EnclaveId id, const sgx::Sigstruct& ss, const sgx::EinitToken* token) {
  Enclave* enclave = find_enclave(id);
  if (enclave == nullptr) return LeafResult::pf(id.value, "EINIT: SECS operand is not a valid SECS");
  std::lock_guard elock(enclave->mu);
  if (!enclave->alive) return LeafResult::pf(id.value, "EINIT: SECS was removed");
  if (enclave->state != EnclaveState::kCreated) return LeafResult::gp("EINIT: enclave already initialized");
  sgx::Secs& secs = enclave->secs;

  identity::SigstructFailure failure = identity::SigstructFailure::kNone;
  if (!identity::verify_sigstruct(ss, &failure))
    return failure == identity::SigstructFailure::kMalformed
               ? LeafResult::error(sgx::Status::kInvalidSigStruct, "EINIT: SIGSTRUCT is malformed")
               : LeafResult::error(sgx::Status::kInvalidSignature, "EINIT: SIGSTRUCT signature or Q1/Q2 invalid");
  const identity::Mrsigner signer = identity::mrsigner(ss);

  // Launch control (flexible launch control: the platform owner's policy).
  const auto& policy = config_.launch;
  if (!policy.allowed_signers.empty() &&
      std::find(policy.allowed_signers.begin(), policy.allowed_signers.end(), signer) == policy.allowed_signers.end())
    return LeafResult::error(sgx::Status::kInvalidEinitToken, "EINIT: MRSIGNER not allowed by the launch policy");
  if (!policy.allow_debug && (secs.attributes.flags & sgx::attr::kDebug) != 0)
    return LeafResult::error(sgx::Status::kInvalidEinitToken, "EINIT: debug enclaves refused by the launch policy");
  if (token != nullptr && (token->valid & 1u) != 0) {
    if (auto r = check_einittoken(*token, secs, enclave->measurement.digest(), signer); !r) return r;
  }

  // Attributes and MISCSELECT must match the SIGSTRUCT under its masks.
  if ((secs.attributes.flags & ss.attribute_mask.flags) != (ss.attributes.flags & ss.attribute_mask.flags) ||
      (secs.attributes.xfrm & ss.attribute_mask.xfrm) != (ss.attributes.xfrm & ss.attribute_mask.xfrm))
    return LeafResult::error(sgx::Status::kInvalidAttribute, "EINIT: ATTRIBUTES do not match the SIGSTRUCT");
  if ((secs.misc_select & ss.misc_mask) != (ss.misc_select & ss.misc_mask))
    return LeafResult::error(sgx::Status::kInvalidAttribute, "EINIT: MISCSELECT does not match the SIGSTRUCT");

  const identity::Mrenclave mr = enclave->measurement.digest();
  if (std::memcmp(mr.data(), ss.enclave_hash, mr.size()) != 0)
    return LeafResult::error(sgx::Status::kInvalidMeasurement, "EINIT: MRENCLAVE differs from ENCLAVEHASH");

  // Launch: the identity becomes fixed.
  std::memcpy(secs.mr_enclave, mr.data(), mr.size());
  std::memcpy(secs.mr_signer, signer.data(), signer.size());
  secs.isv_prod_id = ss.isv_prod_id;
  secs.isv_svn = ss.isv_svn;
  secs.attributes.flags |= sgx::attr::kInit;
  if ((secs.attributes.flags & sgx::attr::kKss) != 0) {
    std::memcpy(enclave->isv_family_id.data(), ss.isv_family_id, 16);
    std::memcpy(enclave->isv_ext_prod_id.data(), ss.isv_ext_prod_id, 16);
  } else {
    enclave->isv_family_id = {};
    enclave->isv_ext_prod_id = {};
  }
  enclave->state = EnclaveState::kInitialized;
  return LeafResult::success();
}

LeafResult Monitor::check_einittoken(const sgx::EinitToken& token, const sgx::Secs& secs,
                                     const identity::Mrenclave& mr, const identity::Mrsigner& signer) const {
  const auto& le_signer = config_.launch.launch_enclave_signer;
  if (!le_signer) return LeafResult::error(sgx::Status::kInvalidEinitToken, "EINIT: no launch enclave is configured");
  // The token must name this enclave as it is now (SDM EINIT).
  if (std::memcmp(token.mr_enclave, mr.data(), 32) != 0 || std::memcmp(token.mr_signer, signer.data(), 32) != 0 ||
      token.attributes != secs.attributes)
    return LeafResult::error(sgx::Status::kInvalidEinitToken, "EINIT: EINITTOKEN is for another enclave");
  // The MAC key the launch enclave got from EGETKEY(EINITTOKEN_KEY).
  const auto& secrets = platform_.secrets();
  KeyDependencies d{};
  crypto::CleanseOnExit wipe_deps(d);
  d.key_name = static_cast<std::uint16_t>(sgx::KeyName::kEinitToken);
  d.isv_prod_id = token.isv_prod_id_le;
  d.isv_svn = token.isv_svn_le;
  std::memcpy(d.owner_epoch, secrets.owner_epoch.data(), 16);
  d.attributes = token.masked_attributes_le;
  std::memcpy(d.mr_signer, le_signer->data(), 32);
  std::memcpy(d.key_id, token.key_id, 32);
  std::memcpy(d.cpu_svn, token.cpusvn_le, 16);
  d.misc_select = token.masked_misc_select_le;
  crypto::Key128 key = derive_key(secrets.report_root, d);
  crypto::CleanseOnExit wipe_key(key);
  auto mac = crypto::aes128_cmac(key, as_bytes(token).first(sgx::kEinitTokenMacedSize));
  if (!mac || !crypto::equal_ct(*mac, ByteSpan(token.mac, 16)))
    return LeafResult::error(sgx::Status::kInvalidEinitToken, "EINIT: EINITTOKEN MAC does not verify");
  return LeafResult::success();
}

// ---------------------------------------------------------------- EREMOVE

LeafResult Monitor::eremove(EpcIndex page) {
  if (!page_in_range(page)) return LeafResult::pf(page.value, "EREMOVE: not an EPC page");
  HeldPage held = hold_page(page);
  const EpcmEntry& entry = held.entry;
  if (!entry.valid) return LeafResult::success();  // SDM EREMOVE: a free page stays free
  if (entry.type == sgx::PageType::kVa) {
    // VA pages belong to no enclave; the versions they hold are dropped.
    std::lock_guard lock(epcm_mu_);
    if (epcm_[page.value].valid && epcm_[page.value].type == sgx::PageType::kVa) {
      epcm_[page.value] = EpcmEntry{};
      std::memset(platform_.epc_page(page).data(), 0, sgx::kPageSize);
    }
    return LeafResult::success();
  }
  if (held.enclave == nullptr) return LeafResult::pf(page.value, "EREMOVE: page has no live enclave");
  Enclave& enclave = *held.enclave;
  if (entry.type == sgx::PageType::kSecs) {
    if (enclave.children != 0) return LeafResult::error(sgx::Status::kChildPresent, "EREMOVE: SECS still has pages");
    enclave.alive = false;
    enclave.pages.clear();
    enclave.busy.clear();
    platform_.enclave_removed(entry.owner);
    std::lock_guard lock(epcm_mu_);
    epcm_[page.value] = EpcmEntry{};
    return LeafResult::success();
  }
  // SDM EREMOVE: not while logical processors execute inside the enclave.
  if (!enclave.busy.empty() || platform_.any_thread_inside(entry.owner))
    return LeafResult::error(sgx::Status::kEnclaveAct, "EREMOVE: threads are inside the enclave");
  // Unmap and wipe while the page is still ours (held under its owner's lock);
  // only then may another enclave claim it.
  platform_.page_unmapped(entry.owner, entry.addr, page);
  std::memset(platform_.epc_page(page).data(), 0, sgx::kPageSize);
  platform_.page_released(page);
  {
    std::lock_guard lock(epcm_mu_);
    epcm_[page.value] = EpcmEntry{};
  }
  enclave.pages.erase(entry.addr.value);
  --enclave.children;
  return LeafResult::success();
}

// ---------------------------------------------------------------- SGX2 (ENCLS side)

LeafResult Monitor::eaug(EpcIndex page, EnclaveId id, LinearAddr addr) {
  if (!page_in_range(page)) return LeafResult::pf(page.value, "EAUG: not an EPC page");
  Enclave* enclave = find_enclave(id);
  if (enclave == nullptr) return LeafResult::pf(id.value, "EAUG: SECS operand is not a valid SECS");
  std::lock_guard elock(enclave->mu);
  if (!enclave->alive) return LeafResult::pf(id.value, "EAUG: SECS was removed");
  if (enclave->state != EnclaveState::kInitialized) return LeafResult::gp("EAUG: enclave not initialized");
  const sgx::Secs& secs = enclave->secs;
  if (!addr.page_aligned() || addr.value < secs.base_addr || addr.value - secs.base_addr >= secs.size)
    return LeafResult::gp("EAUG: linear address not a page inside ELRANGE");
  if (enclave->pages.contains(addr.value)) return LeafResult::gp("EAUG: linear address already backed");
  EpcmEntry added{};
  {
    std::lock_guard lock(epcm_mu_);
    EpcmEntry& e = epcm_[page.value];
    if (e.valid) return LeafResult::pf(page.value, "EAUG: EPC page in use");
    e = EpcmEntry{.valid = true,
                  .type = sgx::PageType::kReg,
                  .perms = static_cast<std::uint8_t>(kR | kW),
                  .pending = true,
                  .owner = id,
                  .addr = addr};
    added = e;
  }
  platform_.page_assigned(id, addr, page);
  std::memset(platform_.epc_page(page).data(), 0, sgx::kPageSize);
  enclave->pages.emplace(addr.value, page);
  ++enclave->children;
  publish_rights(page, added);  // none: a pending page is unusable until the enclave EACCEPTs it
  return LeafResult::success();
}

LeafResult Monitor::emodpr(EpcIndex page, const sgx::Secinfo& si) {
  if (!secinfo_reserved_clear(si) || (si.flags & ~kPermMask) != 0)
    return LeafResult::gp("EMODPR: SECINFO may only carry R/W/X");
  if ((si.flags & kW) != 0 && (si.flags & kR) == 0) return LeafResult::gp("EMODPR: write permission without read");
  if (!page_in_range(page)) return LeafResult::pf(page.value, "EMODPR: not an EPC page");
  HeldPage held = hold_page(page);
  if (held.enclave == nullptr || held.entry.type != sgx::PageType::kReg)
    return LeafResult::pf(page.value, "EMODPR: not a REG page of a live enclave");
  Enclave& enclave = *held.enclave;
  if (enclave.state != EnclaveState::kInitialized) return LeafResult::gp("EMODPR: enclave not initialized");
  EpcmEntry after{};
  {
    std::lock_guard lock(epcm_mu_);
    EpcmEntry& now = epcm_[page.value];
    if (now.pending || now.modified)
      return LeafResult::error(sgx::Status::kPageNotModifiable, "EMODPR: page is pending or modified");
    now.perms = static_cast<std::uint8_t>(now.perms & si.flags);
    now.pr = true;
    now.change_epoch = enclave.epoch;
    after = now;
  }
  // Restricted at once (a blocked page stays unmapped until it is reloaded).
  publish_rights(page, after);
  return LeafResult::success();
}

LeafResult Monitor::emodt(EpcIndex page, const sgx::Secinfo& si) {
  const sgx::PageType type = si.page_type();
  if (!secinfo_reserved_clear(si) || (si.flags & ~kPageTypeMask) != 0 ||
      (type != sgx::PageType::kTcs && type != sgx::PageType::kTrim))
    return LeafResult::gp("EMODT: SECINFO must name PT_TCS or PT_TRIM without permissions");
  if (!page_in_range(page)) return LeafResult::pf(page.value, "EMODT: not an EPC page");
  HeldPage held = hold_page(page);
  const EpcmEntry& entry = held.entry;
  if (held.enclave == nullptr || (entry.type != sgx::PageType::kReg && entry.type != sgx::PageType::kTcs))
    return LeafResult::pf(page.value, "EMODT: not a REG or TCS page of a live enclave");
  Enclave& enclave = *held.enclave;
  if (enclave.state != EnclaveState::kInitialized) return LeafResult::gp("EMODT: enclave not initialized");
  if (entry.pending || entry.modified || entry.pr)
    return LeafResult::error(sgx::Status::kPageNotModifiable, "EMODT: page is pending, modified or restricted");
  // Last, since a TCS the backend revokes stays revoked: nothing may fail after it.
  if (entry.type == sgx::PageType::kTcs && (type != sgx::PageType::kTrim || enclave.busy.contains(entry.addr.value) ||
                                            !platform_.revoke_tcs(entry.owner, entry.addr)))
    return LeafResult::error(sgx::Status::kPageNotModifiable, "EMODT: a TCS can only be trimmed, and not while in use");
  EpcmEntry after{};
  {
    std::lock_guard lock(epcm_mu_);
    EpcmEntry& now = epcm_[page.value];
    now.type = type;
    now.perms = 0;
    now.modified = true;
    now.change_epoch = enclave.epoch;
    after = now;
  }
  publish_rights(page, after);  // none: MODIFIED until the enclave EACCEPTs the new type
  return LeafResult::success();
}

LeafResult Monitor::edbgrd(EpcIndex page, std::uint32_t offset, std::uint64_t& value) {
  if (!page_in_range(page)) return LeafResult::pf(page.value, "EDBGRD: not an EPC page");
  if (offset >= sgx::kPageSize || offset % 8 != 0) return LeafResult::gp("EDBGRD: offset not an aligned quadword");
  HeldPage held = hold_page(page);
  if (held.enclave == nullptr) return LeafResult::pf(page.value, "EDBGRD: not a page of a live enclave");
  const Enclave& enclave = *held.enclave;
  if ((enclave.secs.attributes.flags & sgx::attr::kDebug) == 0)
    return LeafResult::error(sgx::Status::kPageNotDebuggable, "EDBGRD: not a debug enclave");
  if (held.entry.type == sgx::PageType::kSecs) {
    std::uint8_t raw[8];
    std::memcpy(raw, reinterpret_cast<const std::uint8_t*>(&enclave.secs) + offset, 8);
    value = load_le<std::uint64_t>(raw);
  } else {
    value = load_le<std::uint64_t>(platform_.epc_page(page).data() + offset);
  }
  return LeafResult::success();
}

LeafResult Monitor::edbgwr(EpcIndex page, std::uint32_t offset, std::uint64_t value) {
  if (!page_in_range(page)) return LeafResult::pf(page.value, "EDBGWR: not an EPC page");
  if (offset >= sgx::kPageSize || offset % 8 != 0) return LeafResult::gp("EDBGWR: offset not an aligned quadword");
  HeldPage held = hold_page(page);
  if (held.enclave == nullptr) return LeafResult::pf(page.value, "EDBGWR: not a page of a live enclave");
  const sgx::PageType type = held.entry.type;
  // The SDM lets a debugger write regular pages and selected TCS fields; the
  // SECS and other pages stay read-only.
  if (type != sgx::PageType::kReg && type != sgx::PageType::kTcs)
    return LeafResult::error(sgx::Status::kPageNotDebuggable, "EDBGWR: page type not writable by a debugger");
  if ((held.enclave->secs.attributes.flags & sgx::attr::kDebug) == 0)
    return LeafResult::error(sgx::Status::kPageNotDebuggable, "EDBGWR: not a debug enclave");
  if (type == sgx::PageType::kTcs && offset != offsetof(sgx::Tcs, flags))
    return LeafResult::error(sgx::Status::kPageNotDebuggable, "EDBGWR: only TCS.FLAGS (DBGOPTIN) is writable");
  if (type == sgx::PageType::kTcs && (value & ~sgx::tcs_flags::kDbgOptIn) != 0)
    return LeafResult::gp("EDBGWR: only DBGOPTIN may be set in TCS.FLAGS");
  store_le<std::uint64_t>(platform_.epc_page(page).data() + offset, value);
  return LeafResult::success();
}

// ---------------------------------------------------------------- SGX2 (ENCLU side)

LeafResult Monitor::enclave_page(Enclave& enclave, EnclaveId id, LinearAddr addr, EpcIndex& page,
                                 EpcmEntry& entry) const {
  if (!enclave.alive || enclave.state != EnclaveState::kInitialized)
    return LeafResult::gp("ENCLU: not executed by an initialized enclave");
  if (!addr.page_aligned()) return LeafResult::gp("ENCLU: address not page aligned");
  auto it = enclave.pages.find(addr.value);
  if (it == enclave.pages.end()) return LeafResult::pf(addr.value, "ENCLU: no EPC page at this address");
  std::lock_guard lock(epcm_mu_);
  entry = epcm_[it->second.value];
  if (!entry.valid || entry.owner != id || entry.blocked) return LeafResult::pf(addr.value, "ENCLU: page not usable");
  page = it->second;
  return LeafResult::success();
}

LeafResult Monitor::eaccept(EnclaveId id, LinearAddr addr, const sgx::Secinfo& si) {
  if (!secinfo_reserved_clear(si)) return LeafResult::gp("EACCEPT: SECINFO reserved fields set");
  Enclave* enclave = find_enclave(id);
  if (enclave == nullptr) return LeafResult::gp("EACCEPT: not executed by an enclave");
  std::lock_guard elock(enclave->mu);
  EpcIndex page{};
  EpcmEntry e{};
  if (auto r = enclave_page(*enclave, id, addr, page, e); !r) return r;
  // SECINFO must state exactly what the EPCM says is awaiting acceptance.
  const std::uint64_t expect = sgx::secinfo_flags::page_type(e.type) | e.perms | (e.pending ? kPending : 0) |
                               (e.modified ? kModified : 0) | (e.pr ? kPr : 0);
  if (!(e.pending || e.modified || e.pr) || si.flags != expect)
    return LeafResult::error(sgx::Status::kPageAttributesMismatch, "EACCEPT: SECINFO does not match the page's state");
  // EMODPR/EMODT take effect only once no thread can hold a stale mapping:
  // an ETRACK must follow the change and every thread inside must have
  // entered after it (SDM EACCEPT: SGX_NOT_TRACKED).
  if (e.modified || e.pr) {
    bool tracked = enclave->epoch > e.change_epoch;
    for (const auto& [tcs, entered] : enclave->busy) tracked = tracked && entered > e.change_epoch;
    if (!tracked) return LeafResult::error(sgx::Status::kNotTracked, "EACCEPT: the change was not tracked yet");
  }
  EpcmEntry after{};
  {
    std::lock_guard lock(epcm_mu_);
    EpcmEntry& now = epcm_[page.value];
    now.pending = now.modified = now.pr = false;
    after = now;
  }
  if (e.type == sgx::PageType::kTcs && e.modified) {
    // A page converted to a TCS starts with no thread state.
    auto t = copy_struct<sgx::Tcs>(platform_.epc_page(page));
    t.state = 0, t.cssa = 0, t.aep = 0;
    std::memcpy(platform_.epc_page(page).data(), &t, sizeof t);
  }
  publish_rights(page, after);  // a REG page its R/W/X, a TCS enterable, a trimmed page nothing
  return LeafResult::success();
}

LeafResult Monitor::eacceptcopy(EnclaveId id, LinearAddr addr, LinearAddr src, const sgx::Secinfo& si) {
  if (!secinfo_reserved_clear(si) || si.page_type() != sgx::PageType::kReg || (si.flags & kStateBits) != 0)
    return LeafResult::gp("EACCEPTCOPY: SECINFO must be a plain PT_REG");
  if ((si.flags & kW) != 0 && (si.flags & kR) == 0) return LeafResult::gp("EACCEPTCOPY: write without read");
  Enclave* enclave = find_enclave(id);
  if (enclave == nullptr) return LeafResult::gp("EACCEPTCOPY: not executed by an enclave");
  std::lock_guard elock(enclave->mu);
  EpcIndex page{};
  EpcIndex src_page{};
  EpcmEntry e{};
  EpcmEntry se{};
  if (auto r = enclave_page(*enclave, id, addr, page, e); !r) return r;
  if (auto r = enclave_page(*enclave, id, src, src_page, se); !r) return r;
  if (se.type != sgx::PageType::kReg || (se.perms & kR) == 0 || se.pending || se.modified)
    return LeafResult::pf(src.value, "EACCEPTCOPY: source is not a readable REG page");
  if (!e.pending || e.type != sgx::PageType::kReg || e.modified || e.pr)
    return LeafResult::error(sgx::Status::kPageAttributesMismatch, "EACCEPTCOPY: destination is not a pending page");
  std::memcpy(platform_.epc_page(page).data(), platform_.epc_page(src_page).data(), sgx::kPageSize);
  EpcmEntry after{};
  {
    std::lock_guard lock(epcm_mu_);
    EpcmEntry& now = epcm_[page.value];
    now.pending = false;
    now.perms = static_cast<std::uint8_t>(si.flags & kPermMask);
    after = now;
  }
  publish_rights(page, after);
  return LeafResult::success();
}

LeafResult Monitor::emodpe(EnclaveId id, LinearAddr addr, const sgx::Secinfo& si) {
  if (!secinfo_reserved_clear(si) || (si.flags & ~kPermMask) != 0) return LeafResult::gp("EMODPE: SECINFO may only carry R/W/X");
  if ((si.flags & kW) != 0 && (si.flags & kR) == 0) return LeafResult::gp("EMODPE: write without read");
  Enclave* enclave = find_enclave(id);
  if (enclave == nullptr) return LeafResult::gp("EMODPE: not executed by an enclave");
  std::lock_guard elock(enclave->mu);
  EpcIndex page{};
  EpcmEntry e{};
  if (auto r = enclave_page(*enclave, id, addr, page, e); !r) return r;
  if (e.type != sgx::PageType::kReg || e.pending || e.modified)
    return LeafResult::pf(addr.value, "EMODPE: not an accepted REG page");
  EpcmEntry after{};
  {
    std::lock_guard lock(epcm_mu_);
    EpcmEntry& now = epcm_[page.value];
    now.perms = static_cast<std::uint8_t>(now.perms | si.flags);
    after = now;
  }
  publish_rights(page, after);
  return LeafResult::success();
}

// ---------------------------------------------------------------- paging

LeafResult Monitor::epa(EpcIndex page) {
  if (!page_in_range(page)) return LeafResult::pf(page.value, "EPA: not an EPC page");
  std::lock_guard lock(epcm_mu_);
  EpcmEntry& e = epcm_[page.value];
  if (e.valid) return LeafResult::pf(page.value, "EPA: EPC page in use");
  e = EpcmEntry{.valid = true, .type = sgx::PageType::kVa};
  std::memset(platform_.epc_page(page).data(), 0, sgx::kPageSize);
  return LeafResult::success();
}

LeafResult Monitor::eblock(EpcIndex page) {
  if (!page_in_range(page)) return LeafResult::pf(page.value, "EBLOCK: not an EPC page");
  HeldPage held = hold_page(page);
  const EpcmEntry& entry = held.entry;
  // The page kept changing hands under us: its entry (and so its type) is
  // unknown. SDM EBLOCK names this case — a page being written by EADD,
  // EAUG, ECREATE, ELDU/ELDB, EMODT or EWB — SGX_EPC_PAGE_CONFLICT.
  if (held.conflict) return LeafResult::error(sgx::Status::kEpcPageConflict, "EBLOCK: page in use by another leaf");
  if (!entry.valid) return LeafResult::error(sgx::Status::kPgInvld, "EBLOCK: page not valid");
  if (entry.type == sgx::PageType::kSecs) return LeafResult::error(sgx::Status::kPgIsSecs, "EBLOCK: page is a SECS");
  // SDM EBLOCK: PT_REG, PT_TCS and PT_TRIM pages can be blocked (and so
  // evicted); a trimmed page awaiting EACCEPT or EREMOVE still holds EPC.
  if (!evictable_type(entry.type))
    return LeafResult::error(sgx::Status::kNotBlockable, "EBLOCK: page type cannot be blocked");
  if (held.enclave == nullptr) return LeafResult::error(sgx::Status::kPgInvld, "EBLOCK: page has no live enclave");
  if (entry.blocked) return LeafResult::error(sgx::Status::kBlkstate, "EBLOCK: already blocked");
  EpcmEntry after{};
  {
    std::lock_guard lock(epcm_mu_);
    EpcmEntry& now = epcm_[page.value];
    now.blocked = true;
    now.change_epoch = held.enclave->epoch;
    after = now;
  }
  publish_rights(page, after);  // none: SDM EBLOCK, new translations of a blocked page fault
  return LeafResult::success();
}

LeafResult Monitor::etrack(EnclaveId id) {
  Enclave* enclave = find_enclave(id);
  if (enclave == nullptr) return LeafResult::pf(id.value, "ETRACK: not a valid SECS");
  std::lock_guard elock(enclave->mu);
  if (!enclave->alive) return LeafResult::pf(id.value, "ETRACK: SECS was removed");
  // A thread that entered before the previous ETRACK is still inside.
  for (const auto& [tcs, entered] : enclave->busy)
    if (entered < enclave->epoch) return LeafResult::error(sgx::Status::kPrevTrkIncmpl, "ETRACK: previous tracking incomplete");
  ++enclave->epoch;
  return LeafResult::success();
}

namespace {
// GCM AAD of an evicted page: what ELDU must find unchanged (SDM EWB: the MAC
// covers the PCMD's SECINFO and ENCLAVEID, LINADDR and the version).
std::array<std::uint8_t, 64 + 8 + 8 + 8> paging_aad(const sgx::Pcmd& pcmd, std::uint64_t linaddr, std::uint64_t version) {
  std::array<std::uint8_t, 64 + 8 + 8 + 8> aad{};
  std::memcpy(aad.data(), &pcmd.secinfo, 64);
  store_le<std::uint64_t>(aad.data() + 64, pcmd.enclave_id);
  store_le<std::uint64_t>(aad.data() + 72, linaddr);
  store_le<std::uint64_t>(aad.data() + 80, version);
  return aad;
}
std::array<std::uint8_t, 12> paging_iv(std::uint64_t version) {
  std::array<std::uint8_t, 12> iv{};
  store_le<std::uint64_t>(iv.data(), version);
  return iv;
}
}  // namespace

LeafResult Monitor::ewb(EpcIndex page, EpcIndex va, std::uint32_t slot, EvictedPage& out) {
  if (!page_in_range(page)) return LeafResult::pf(page.value, "EWB: not an EPC page");
  if (!page_in_range(va)) return LeafResult::pf(va.value, "EWB: VA operand not an EPC page");
  if (slot >= sgx::kVaSlotsPerPage) return LeafResult::gp("EWB: VA slot out of range");
  HeldPage held = hold_page(page);
  if (held.enclave == nullptr || !evictable_type(held.entry.type))
    return LeafResult::pf(page.value, "EWB: not an evictable page of a live enclave");
  Enclave* enclave = held.enclave;
  EpcmEntry entry = held.entry;
  std::uint64_t version = 0;
  {
    std::lock_guard lock(epcm_mu_);
    const EpcmEntry& now = epcm_[page.value];
    const EpcmEntry& v = epcm_[va.value];
    if (!v.valid || v.type != sgx::PageType::kVa) return LeafResult::pf(va.value, "EWB: not a VA page");
    if (!now.blocked) return LeafResult::error(sgx::Status::kPageNotBlocked, "EWB: page not blocked");
    if (enclave->epoch <= now.change_epoch)
      return LeafResult::error(sgx::Status::kNotTracked, "EWB: no ETRACK since EBLOCK");
    for (const auto& [tcs, entered] : enclave->busy)
      if (entered <= now.change_epoch)
        return LeafResult::error(sgx::Status::kNotTracked, "EWB: a thread from before EBLOCK is still inside");
    if (entry.type == sgx::PageType::kTcs && enclave->busy.contains(entry.addr.value))
      return LeafResult::error(sgx::Status::kNotTracked, "EWB: TCS in use");
    auto va_mem = platform_.epc_page(va);
    if (load_le<std::uint64_t>(va_mem.data() + std::size_t{8} * slot) != 0)
      return LeafResult::error(sgx::Status::kVaSlotOccupied, "EWB: VA slot occupied");
    version = next_version_.fetch_add(1);
    store_le<std::uint64_t>(va_mem.data() + std::size_t{8} * slot, version);
  }
  // Encrypt and wipe while the page is still valid and ours (blocked, under
  // the enclave lock), so no other enclave can be handed it in between.
  EvictedPage ev;
  ev.linaddr = entry.addr.value;
  ev.pcmd.secinfo.flags = sgx::secinfo_flags::page_type(entry.type) | entry.perms |
                          (entry.pending ? kPending : 0) | (entry.modified ? kModified : 0) | (entry.pr ? kPr : 0);
  ev.pcmd.enclave_id = enclave->eid;
  auto page_mem = platform_.epc_page(page);
  const auto aad = paging_aad(ev.pcmd, ev.linaddr, version);
  auto tag = crypto::aes_gcm_encrypt(paging_key_, paging_iv(version), aad, page_mem, ev.data);
  if (!tag) std::abort();  // AES-GCM over in-memory buffers cannot fail unless OpenSSL is broken
  std::memcpy(ev.pcmd.mac, tag->data(), 16);
  // Blocked, so unmapped since EBLOCK; said again as the page leaves the address.
  platform_.page_unmapped(entry.owner, entry.addr, page);
  std::memset(page_mem.data(), 0, sgx::kPageSize);
  platform_.page_released(page);
  {
    std::lock_guard lock(epcm_mu_);
    epcm_[page.value] = EpcmEntry{};
  }
  enclave->pages.erase(entry.addr.value);
  --enclave->children;
  out = ev;
  return LeafResult::success();
}

LeafResult Monitor::eldu(EpcIndex page, EnclaveId id, EpcIndex va, std::uint32_t slot, const EvictedPage& in,
                         bool blocked) {
  if (!page_in_range(page)) return LeafResult::pf(page.value, "ELDU: not an EPC page");
  if (!page_in_range(va)) return LeafResult::pf(va.value, "ELDU: VA operand not an EPC page");
  if (slot >= sgx::kVaSlotsPerPage) return LeafResult::gp("ELDU: VA slot out of range");
  Enclave* enclave = find_enclave(id);
  if (enclave == nullptr) return LeafResult::pf(id.value, "ELDU: not a valid SECS");
  std::lock_guard elock(enclave->mu);
  if (!enclave->alive) return LeafResult::pf(id.value, "ELDU: SECS was removed");
  if (in.pcmd.enclave_id != enclave->eid) return LeafResult::gp("ELDU: the page belongs to another enclave");
  const sgx::PageType type = in.pcmd.secinfo.page_type();
  if (!evictable_type(type)) return LeafResult::gp("ELDU: bad PCMD page type");
  const sgx::Secs& secs = enclave->secs;
  if ((in.linaddr & sgx::kPageMask) != 0 || in.linaddr < secs.base_addr || in.linaddr - secs.base_addr >= secs.size)
    return LeafResult::gp("ELDU: linear address outside ELRANGE");
  if (enclave->pages.contains(in.linaddr)) return LeafResult::gp("ELDU: linear address already backed");
  // The decrypted page exists outside the EPC only here; wiped on every path.
  std::array<std::uint8_t, sgx::kPageSize> plain;
  crypto::CleanseOnExit wipe_plain(plain);
  EpcmEntry loaded{};
  {
    std::lock_guard lock(epcm_mu_);
    const EpcmEntry& v = epcm_[va.value];
    if (!v.valid || v.type != sgx::PageType::kVa) return LeafResult::pf(va.value, "ELDU: not a VA page");
    if (epcm_[page.value].valid) return LeafResult::pf(page.value, "ELDU: EPC page in use");
    auto va_mem = platform_.epc_page(va);
    const std::uint64_t version = load_le<std::uint64_t>(va_mem.data() + std::size_t{8} * slot);
    crypto::Mac128 tag;
    std::memcpy(tag.data(), in.pcmd.mac, 16);
    // An empty slot, another version (a stale copy) or any changed byte all
    // fail the MAC (SDM ELDU: SGX_MAC_COMPARE_FAIL).
    if (version == 0 ||
        !crypto::aes_gcm_decrypt(paging_key_, paging_iv(version), paging_aad(in.pcmd, in.linaddr, version), in.data,
                                 tag, plain))
      return LeafResult::error(sgx::Status::kMacCompareFail, "ELDU: MAC mismatch (tampered, stale or replayed page)");
    store_le<std::uint64_t>(va_mem.data() + std::size_t{8} * slot, 0);
    loaded = epcm_[page.value] = EpcmEntry{.valid = true,
                                           .type = type,
                                           .perms = static_cast<std::uint8_t>(in.pcmd.secinfo.flags & kPermMask),
                                           .pending = (in.pcmd.secinfo.flags & kPending) != 0,
                                           .modified = (in.pcmd.secinfo.flags & kModified) != 0,
                                           .pr = (in.pcmd.secinfo.flags & kPr) != 0,
                                           .blocked = blocked,
                                           .owner = id,
                                           .addr = LinearAddr{in.linaddr},
                                           .change_epoch = blocked ? enclave->epoch : 0};
  }
  platform_.page_assigned(id, LinearAddr{in.linaddr}, page);
  std::memcpy(platform_.epc_page(page).data(), plain.data(), sgx::kPageSize);
  enclave->pages.emplace(in.linaddr, page);
  ++enclave->children;
  // As it was before EWB: pending or modified pages stay unusable until the
  // enclave accepts them, a trimmed page is never mapped again, and ELDB's
  // page stays blocked.
  publish_rights(page, loaded);
  return LeafResult::success();
}

// ---------------------------------------------------------------- EGETKEY

namespace {
// CPUSVN A is not above B when no component is (CPUSVN is compared component-wise).
bool cpusvn_le(const std::uint8_t* a, const std::uint8_t* b) {
  for (std::size_t i = 0; i < 16; ++i)
    if (a[i] > b[i]) return false;
  return true;
}
}  // namespace

LeafResult Monitor::egetkey(EnclaveId id, const sgx::KeyRequest& req, crypto::Key128& key) {
  Enclave* enclave = find_enclave(id);
  if (enclave == nullptr) return LeafResult::gp("EGETKEY: not executed by an enclave");
  std::lock_guard elock(enclave->mu);
  if (!enclave->alive || enclave->state != EnclaveState::kInitialized)
    return LeafResult::gp("EGETKEY: not executed by an initialized enclave");
  const sgx::Secs& secs = enclave->secs;
  const bool kss = (secs.attributes.flags & sgx::attr::kKss) != 0;
  // Operand checks (#GP), then the SDM's status codes.
  if (!all_zero(ByteSpan(req.reserved1, sizeof req.reserved1)) || !all_zero(ByteSpan(req.reserved2, sizeof req.reserved2)))
    return LeafResult::gp("EGETKEY: KEYREQUEST reserved fields are not zero");
  if ((req.key_policy & sgx::key_policy::kReservedMask) != 0) return LeafResult::gp("EGETKEY: reserved KEYPOLICY bits");
  if (!kss && ((req.key_policy & sgx::key_policy::kKssMask) != 0 || req.config_svn != 0))
    return LeafResult::gp("EGETKEY: KSS policy bits or CONFIGSVN without KSS");

  const auto& secrets = platform_.secrets();
  KeyDependencies d{};
  crypto::CleanseOnExit wipe_deps(d);
  d.key_name = req.key_name;
  const auto name = static_cast<sgx::KeyName>(req.key_name);
  const bool svn_checked = name == sgx::KeyName::kSeal || name == sgx::KeyName::kProvision ||
                           name == sgx::KeyName::kProvisionSeal || name == sgx::KeyName::kEinitToken;
  if (!svn_checked && name != sgx::KeyName::kReport)
    return LeafResult::error(sgx::Status::kInvalidKeyname, "EGETKEY: unknown KEYNAME");
  if (svn_checked) {
    if (req.isv_svn > secs.isv_svn) return LeafResult::error(sgx::Status::kInvalidIsvsvn, "EGETKEY: ISVSVN above the enclave's");
    if (req.config_svn > secs.config_svn)
      return LeafResult::error(sgx::Status::kInvalidIsvsvn, "EGETKEY: CONFIGSVN above the enclave's");
    if (!cpusvn_le(req.cpu_svn, secrets.cpu_svn.data()))
      return LeafResult::error(sgx::Status::kInvalidCpusvn, "EGETKEY: CPUSVN above the platform's");
  }
  const crypto::Key128* root = &secrets.seal_root;
  // Attributes always bind INIT and DEBUG (SDM: REQUIRED_SEALING_MASK).
  const sgx::Attributes masked{secs.attributes.flags & (req.attribute_mask.flags | sgx::attr::kInit | sgx::attr::kDebug),
                               secs.attributes.xfrm & req.attribute_mask.xfrm};
  switch (name) {
    case sgx::KeyName::kSeal:
      d.key_policy = req.key_policy;
      if (req.key_policy & sgx::key_policy::kIsvFamilyId) std::memcpy(d.isv_family_id, enclave->isv_family_id.data(), 16);
      if (req.key_policy & sgx::key_policy::kIsvExtProdId)
        std::memcpy(d.isv_ext_prod_id, enclave->isv_ext_prod_id.data(), 16);
      if (!(req.key_policy & sgx::key_policy::kNoIsvProdId)) d.isv_prod_id = secs.isv_prod_id;
      d.isv_svn = req.isv_svn;
      std::memcpy(d.owner_epoch, secrets.owner_epoch.data(), 16);
      d.attributes = masked;
      d.attribute_mask = req.attribute_mask;
      if (req.key_policy & sgx::key_policy::kMrEnclave) std::memcpy(d.mr_enclave, secs.mr_enclave, 32);
      if (req.key_policy & sgx::key_policy::kMrSigner) std::memcpy(d.mr_signer, secs.mr_signer, 32);
      std::memcpy(d.key_id, req.key_id, 32);
      std::memcpy(d.cpu_svn, req.cpu_svn, 16);
      d.misc_select = secs.misc_select & req.misc_mask;
      d.misc_mask = req.misc_mask;
      if (req.key_policy & sgx::key_policy::kConfigId) {
        std::memcpy(d.config_id, secs.config_id, 64);
        d.config_svn = req.config_svn;
      }
      break;
    case sgx::KeyName::kReport:
      root = &secrets.report_root;
      d.attributes = secs.attributes;
      std::memcpy(d.mr_enclave, secs.mr_enclave, 32);
      std::memcpy(d.owner_epoch, secrets.owner_epoch.data(), 16);
      std::memcpy(d.key_id, req.key_id, 32);
      std::memcpy(d.cpu_svn, secrets.cpu_svn.data(), 16);
      d.misc_select = secs.misc_select;
      std::memcpy(d.config_id, secs.config_id, 64);
      d.config_svn = secs.config_svn;
      break;
    case sgx::KeyName::kEinitToken:
      if ((secs.attributes.flags & sgx::attr::kEinitTokenKey) == 0)
        return LeafResult::error(sgx::Status::kInvalidAttribute, "EGETKEY: EINITTOKEN key needs ATTRIBUTES.EINITTOKENKEY");
      root = &secrets.report_root;
      d.isv_prod_id = secs.isv_prod_id;
      d.isv_svn = req.isv_svn;
      std::memcpy(d.owner_epoch, secrets.owner_epoch.data(), 16);
      d.attributes = masked;  // ATTRIBUTEMASK and MISCMASK stay 0, as EINIT recomputes it from the token
      std::memcpy(d.mr_signer, secs.mr_signer, 32);
      std::memcpy(d.key_id, req.key_id, 32);
      std::memcpy(d.cpu_svn, req.cpu_svn, 16);
      d.misc_select = secs.misc_select & req.misc_mask;
      break;
    case sgx::KeyName::kProvision:
    case sgx::KeyName::kProvisionSeal:
      // Provisioning keys survive a change of owner: no OWNEREPOCH, no KEYID.
      if ((secs.attributes.flags & sgx::attr::kProvisionKey) == 0)
        return LeafResult::error(sgx::Status::kInvalidAttribute, "EGETKEY: provisioning keys need ATTRIBUTES.PROVISIONKEY");
      if (req.key_policy & sgx::key_policy::kIsvFamilyId) std::memcpy(d.isv_family_id, enclave->isv_family_id.data(), 16);
      if (req.key_policy & sgx::key_policy::kIsvExtProdId)
        std::memcpy(d.isv_ext_prod_id, enclave->isv_ext_prod_id.data(), 16);
      d.key_policy = req.key_policy & sgx::key_policy::kKssMask;
      if (!(req.key_policy & sgx::key_policy::kNoIsvProdId)) d.isv_prod_id = secs.isv_prod_id;
      d.isv_svn = req.isv_svn;
      d.attributes = masked;
      d.attribute_mask = req.attribute_mask;
      std::memcpy(d.mr_signer, secs.mr_signer, 32);
      std::memcpy(d.cpu_svn, req.cpu_svn, 16);
      d.misc_select = secs.misc_select & req.misc_mask;
      d.misc_mask = req.misc_mask;
      if (req.key_policy & sgx::key_policy::kConfigId) {
        std::memcpy(d.config_id, secs.config_id, 64);
        d.config_svn = req.config_svn;
      }
      break;
  }
  // Derived into a local the compiler must materialise, copied out once,
  // wiped: the enclave's key leaves no copy in the monitor's memory.
  crypto::Key128 derived = derive_key(*root, d);
  crypto::CleanseOnExit wipe_key(derived);
  key = derived;
  return LeafResult::success();
}

// ---------------------------------------------------------------- EREPORT

crypto::Key128 Monitor::report_key(const sgx::TargetInfo& target) const {
  // The report key the target enclave obtains from EGETKEY(REPORT_KEY)
  // with this boot's KEYID (SDM EREPORT).
  const auto& secrets = platform_.secrets();
  KeyDependencies d{};
  crypto::CleanseOnExit wipe_deps(d);
  d.key_name = static_cast<std::uint16_t>(sgx::KeyName::kReport);
  d.attributes = target.attributes;
  std::memcpy(d.mr_enclave, target.mr_enclave, 32);
  std::memcpy(d.owner_epoch, secrets.owner_epoch.data(), 16);
  std::memcpy(d.key_id, report_key_id_.data(), 32);
  std::memcpy(d.cpu_svn, secrets.cpu_svn.data(), 16);
  d.misc_select = target.misc_select;
  std::memcpy(d.config_id, target.config_id, 64);
  d.config_svn = target.config_svn;
  return derive_key(secrets.report_root, d);
}

LeafResult Monitor::ereport(EnclaveId id, const sgx::TargetInfo& target, std::span<const std::uint8_t, 64> report_data,
                            sgx::Report& report) {
  Enclave* enclave = find_enclave(id);
  if (enclave == nullptr) return LeafResult::gp("EREPORT: not executed by an enclave");
  std::lock_guard elock(enclave->mu);
  if (!enclave->alive || enclave->state != EnclaveState::kInitialized)
    return LeafResult::gp("EREPORT: not executed by an initialized enclave");
  const sgx::Secs& secs = enclave->secs;
  sgx::Report r{};
  std::memcpy(r.body.cpu_svn, platform_.secrets().cpu_svn.data(), 16);
  r.body.misc_select = secs.misc_select;
  std::memcpy(r.body.isv_ext_prod_id, enclave->isv_ext_prod_id.data(), 16);
  r.body.attributes = secs.attributes;
  std::memcpy(r.body.mr_enclave, secs.mr_enclave, 32);
  std::memcpy(r.body.mr_signer, secs.mr_signer, 32);
  std::memcpy(r.body.config_id, secs.config_id, 64);
  r.body.isv_prod_id = secs.isv_prod_id;
  r.body.isv_svn = secs.isv_svn;
  r.body.config_svn = secs.config_svn;
  std::memcpy(r.body.isv_family_id, enclave->isv_family_id.data(), 16);
  std::memcpy(r.body.report_data, report_data.data(), 64);
  std::memcpy(r.key_id, report_key_id_.data(), 32);
  // SDM EREPORT: AES-128-CMAC over the first 384 bytes (the body).
  crypto::Key128 key = report_key(target);
  crypto::CleanseOnExit wipe_key(key);
  auto mac = crypto::aes128_cmac(key, as_bytes(r.body));
  if (!mac) return LeafResult::gp("EREPORT: MAC computation failed");
  std::memcpy(r.mac, mac->data(), 16);
  report = r;
  return LeafResult::success();
}

// ---------------------------------------------------------------- the quoting identity

sgx::TargetInfo Monitor::quoting_target() {
  static constexpr char kIdentity[] = "NSGX-QUOTING-IDENTITY-v1";
  const auto mr = crypto::sha256(ByteSpan(reinterpret_cast<const std::uint8_t*>(kIdentity), sizeof kIdentity - 1));
  sgx::TargetInfo t{};
  std::memcpy(t.mr_enclave, mr.data(), 32);
  t.attributes.flags = sgx::attr::kInit | sgx::attr::kMode64Bit;
  t.attributes.xfrm = sgx::xfrm::kLegacy;
  return t;
}

LeafResult Monitor::verify_report(const sgx::Report& report, const sgx::TargetInfo& target) const {
  // A REPORT of another monitor start (or forged) carries another KEYID;
  // its MAC could not verify either, but the KEYID names the reason.
  if (!crypto::equal_ct(ByteSpan(report.key_id, 32), report_key_id_))
    return LeafResult::error(sgx::Status::kMacCompareFail, "REPORT: KEYID is not this monitor's");
  crypto::Key128 key = report_key(target);
  crypto::CleanseOnExit wipe_key(key);
  auto mac = crypto::aes128_cmac(key, as_bytes(report.body));
  if (!mac || !crypto::equal_ct(*mac, ByteSpan(report.mac, 16)))
    return LeafResult::error(sgx::Status::kMacCompareFail, "REPORT: MAC does not verify for this target");
  return LeafResult::success();
}

// ---------------------------------------------------------------- EENTER / EEXIT / AEX / ERESUME

LeafResult Monitor::tcs_page(Enclave& enclave, EnclaveId id, LinearAddr tcs, EpcIndex& page) const {
  if (!enclave.alive || enclave.state != EnclaveState::kInitialized)
    return LeafResult::gp("TCS: enclave not initialized");
  if (!tcs.page_aligned()) return LeafResult::gp("TCS: address not page aligned");
  auto it = enclave.pages.find(tcs.value);
  if (it == enclave.pages.end()) return LeafResult::pf(tcs.value, "TCS: no EPC page at this address");
  std::lock_guard lock(epcm_mu_);
  const EpcmEntry& e = epcm_[it->second.value];
  // The rule the backends are given (page_rights): one may enter on it.
  if (!e.valid || e.owner != id || !page_rights(e).tcs)
    return LeafResult::pf(tcs.value, "TCS: the page is not a usable TCS of this enclave");
  page = it->second;
  return LeafResult::success();
}

LeafResult Monitor::ssa_page(Enclave& enclave, const sgx::Tcs& tcs, std::uint32_t frame, EpcIndex& page,
                             bool allow_blocked, EpcIndex* first_page) const {
  const sgx::Secs& secs = enclave.secs;
  const std::uint32_t frame_pages = secs.ssa_frame_size;
  EpcIndex first{};
  for (std::uint32_t i = 0; i < frame_pages; ++i) {
    const auto off = ssa_page_offset(tcs.ossa, frame, frame_pages, i, secs.size);
    if (!off) return LeafResult::gp("SSA: frame outside ELRANGE");
    const std::uint64_t addr = secs.base_addr + *off;
    auto it = enclave.pages.find(addr);
    if (it == enclave.pages.end()) return LeafResult::pf(addr, "SSA: frame page missing");
    std::lock_guard lock(epcm_mu_);
    const EpcmEntry& e = epcm_[it->second.value];
    if (e.type != sgx::PageType::kReg || (e.perms & (kR | kW)) != (kR | kW) || e.pending || e.modified ||
        (e.blocked && !allow_blocked))
      return LeafResult::pf(addr, "SSA: frame page is not a writable REG page");
    if (i == 0) first = it->second;
    page = it->second;  // the last page holds MISC and GPRSGX
  }
  if (first_page != nullptr) *first_page = first;
  return LeafResult::success();
}

namespace {
sgx::Tcs load_tcs(std::span<std::uint8_t, sgx::kPageSize> p) { return copy_struct<sgx::Tcs>(p); }
void store_tcs(std::span<std::uint8_t, sgx::kPageSize> p, const sgx::Tcs& t) { std::memcpy(p.data(), &t, sizeof t); }
constexpr std::size_t kGprOffset = sgx::kPageSize - sizeof(sgx::Gprsgx);
constexpr std::size_t kExinfoOffset = kGprOffset - sizeof(sgx::Exinfo);
}  // namespace

LeafResult Monitor::eenter(EnclaveId id, LinearAddr tcs, std::uint64_t aep, std::uint64_t return_address,
                           std::uint64_t untrusted_rsp, std::uint64_t untrusted_rbp, EnterState& out) {
  Enclave* enclave = find_enclave(id);
  if (enclave == nullptr) return LeafResult::gp("EENTER: no such enclave");
  std::lock_guard elock(enclave->mu);
  EpcIndex tp{};
  if (auto r = tcs_page(*enclave, id, tcs, tp); !r) return r;
  if (enclave->busy.contains(tcs.value)) return LeafResult::gp("EENTER: TCS is busy");
  sgx::Tcs t = load_tcs(platform_.epc_page(tp));
  if (t.cssa >= t.nssa) return LeafResult::gp("EENTER: CSSA == NSSA, no free SSA frame");
  EpcIndex sp{};
  if (auto r = ssa_page(*enclave, t, t.cssa, sp); !r) return r;
  // EENTER saves the untrusted stack into the current frame's GPRSGX.
  auto gpr = copy_struct<sgx::Gprsgx>(platform_.epc_page(sp).subspan(kGprOffset));
  gpr.ursp = untrusted_rsp;
  gpr.urbp = untrusted_rbp;
  std::memcpy(platform_.epc_page(sp).data() + kGprOffset, &gpr, sizeof gpr);
  t.aep = aep;
  store_tcs(platform_.epc_page(tp), t);
  enclave->busy[tcs.value] = enclave->epoch;
  const std::uint64_t base = enclave->secs.base_addr;
  out = EnterState{.rip = base + t.oentry,
                   .rax = t.cssa,
                   .rcx = return_address,
                   .fs_base = base + t.ofs_base,
                   .gs_base = base + t.ogs_base};
  return LeafResult::success();
}

LeafResult Monitor::eexit(EnclaveId id, LinearAddr tcs) {
  Enclave* enclave = find_enclave(id);
  if (enclave == nullptr) return LeafResult::gp("EEXIT: no such enclave");
  std::lock_guard elock(enclave->mu);
  EpcIndex tp{};
  if (auto r = tcs_page(*enclave, id, tcs, tp); !r) return r;
  if (enclave->busy.erase(tcs.value) == 0) return LeafResult::gp("EEXIT: no thread inside this TCS");
  return LeafResult::success();
}

LeafResult Monitor::aex(EnclaveId id, LinearAddr tcs, const CpuState& s, const ExitEvent& event, CpuState& synthetic,
                        ByteSpan xsave) {
  Enclave* enclave = find_enclave(id);
  if (enclave == nullptr) return LeafResult::gp("AEX: no such enclave");
  std::lock_guard elock(enclave->mu);
  EpcIndex tp{};
  if (auto r = tcs_page(*enclave, id, tcs, tp); !r) return r;
  if (!enclave->busy.contains(tcs.value)) return LeafResult::gp("AEX: no thread inside this TCS");
  sgx::Tcs t = load_tcs(platform_.epc_page(tp));
  EpcIndex sp{};
  EpcIndex first{};
  // A thread inside may still write its SSA frame after EBLOCK: EWB waits
  // for it to leave (tracking), and the frame is encrypted after this.
  if (auto r = ssa_page(*enclave, t, t.cssa, sp, /*allow_blocked=*/true, &first); !r) return r;
  auto page = platform_.epc_page(sp);
  // The frame's contents: one implementation for every backend (ssa_frame.h).
  const std::uint32_t frame_pages = enclave->secs.ssa_frame_size;
  if (!xsave.empty())
    std::memcpy(platform_.epc_page(first).data(), xsave.data(), std::min(ssa_xsave_room(frame_pages), xsave.size()));
  const auto gpr = aex_gprsgx(copy_struct<sgx::Gprsgx>(page.subspan(kGprOffset)), s, event);
  std::memcpy(page.data() + kGprOffset, &gpr, sizeof gpr);
  if (const auto info = aex_exinfo(enclave->secs.misc_select, event)) std::memcpy(page.data() + kExinfoOffset, &*info, sizeof *info);
  t.cssa += 1;
  store_tcs(platform_.epc_page(tp), t);
  enclave->busy.erase(tcs.value);
  synthetic = aex_synthetic(tcs.value, t.aep, gpr);
  return LeafResult::success();
}

LeafResult Monitor::eresume(EnclaveId id, LinearAddr tcs, std::uint64_t aep, CpuState& s, MutableByteSpan xsave) {
  Enclave* enclave = find_enclave(id);
  if (enclave == nullptr) return LeafResult::gp("ERESUME: no such enclave");
  std::lock_guard elock(enclave->mu);
  EpcIndex tp{};
  if (auto r = tcs_page(*enclave, id, tcs, tp); !r) return r;
  if (enclave->busy.contains(tcs.value)) return LeafResult::gp("ERESUME: TCS is busy");
  sgx::Tcs t = load_tcs(platform_.epc_page(tp));
  if (t.cssa == 0 || t.cssa > t.nssa) return LeafResult::gp("ERESUME: no SSA frame to resume from");
  EpcIndex sp{};
  EpcIndex first{};
  if (auto r = ssa_page(*enclave, t, t.cssa - 1, sp, /*allow_blocked=*/false, &first); !r) return r;
  if (!xsave.empty())
    std::memcpy(xsave.data(), platform_.epc_page(first).data(),
                std::min(ssa_xsave_room(enclave->secs.ssa_frame_size), xsave.size()));
  s = eresume_state(copy_struct<sgx::Gprsgx>(platform_.epc_page(sp).subspan(kGprOffset)));
  t.cssa -= 1;
  t.aep = aep;
  store_tcs(platform_.epc_page(tp), t);
  enclave->busy[tcs.value] = enclave->epoch;
  return LeafResult::success();
}

// ---------------------------------------------------------------- inspection

std::optional<EpcmEntry> Monitor::epcm(EpcIndex page) const {
  if (!page_in_range(page)) return std::nullopt;
  std::lock_guard lock(epcm_mu_);
  return epcm_[page.value];
}

template <typename F>
auto Monitor::inspect(EnclaveId id, F read) const -> std::optional<decltype(read(std::declval<const Enclave&>()))> {
  Enclave* enclave = find_enclave(id);
  if (enclave == nullptr) return std::nullopt;
  std::lock_guard elock(enclave->mu);
  if (!enclave->alive) return std::nullopt;
  return read(*enclave);
}

std::optional<EnclaveState> Monitor::state(EnclaveId id) const {
  return inspect(id, [](const Enclave& e) { return e.state; });
}

std::optional<sgx::Secs> Monitor::secs(EnclaveId id) const {
  return inspect(id, [](const Enclave& e) { return e.secs; });
}

std::optional<std::uint64_t> Monitor::child_count(EnclaveId id) const {
  return inspect(id, [](const Enclave& e) { return e.children; });
}

std::uint32_t Monitor::free_pages() const {
  std::lock_guard lock(epcm_mu_);
  return static_cast<std::uint32_t>(std::count_if(epcm_.begin(), epcm_.end(), [](const EpcmEntry& e) { return !e.valid; }));
}

}  // namespace nsgx::monitor
