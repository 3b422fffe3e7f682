// System V shared memory, private segments only (syscalls_shm.h). A
// segment is an anonymous mapping made at its first shmat; further
// attaches of the same segment are refused (EINVAL: one mapping per
// segment, since the user region cannot map one page at two addresses).
// IPC_RMID marks it for removal at its last detach, as Linux does.
// Nothing here reaches the host.
#include "libos/enclave/syscalls_shm.h"

#include <errno.h>
#include <string.h>

#include "libos/enclave/spin_lock.h"
#include "libos/enclave/syscall_args.h"
#include "libos/enclave/syscalls_mm.h"
#include "libos/enclave/user_region.h"

namespace nsgx::libos {
namespace {

using sc::err;

// Linux uapi linux/ipc.h and linux/shm.h.
constexpr int64_t kIpcPrivate = 0;
constexpr uint64_t kIpcCreat = 01000, kIpcExcl = 02000;
constexpr uint64_t kIpcRmid = 0, kIpcSet = 1, kIpcStat = 2, kIpc64 = 0x100;
constexpr uint64_t kShmRdonly = 010000, kShmRnd = 020000, kShmRemap = 040000, kShmExec = 0100000;
constexpr uint64_t kProtRw = 0x3, kMapPrivateAnon = 0x2 | 0x20;

struct Segment {
  bool live = false;
  bool removed = false;  // IPC_RMID: goes at its detach
  uint64_t size = 0;
  uint64_t addr = 0;  // attached there (0: not attached)
  uint32_t mode = 0;
};
constexpr int kSegments = 32;
Segment g_seg[kSegments];
SpinLock g_shm_lock;

// Ids are slot + 1 (Linux's are never 0 for IPC_PRIVATE either: any
// non-negative int would do).
Segment* at(int64_t id) {
  if (id < 1 || id > kSegments || !g_seg[id - 1].live) return nullptr;
  return &g_seg[id - 1];
}

}  // namespace

long sys_shmget(int64_t key, uint64_t size, uint64_t flags) {
  // A key names a segment other processes can find: separate enclaves
  // share no memory, so only IPC_PRIVATE is offered.
  if (static_cast<int32_t>(key) != kIpcPrivate) return err((flags & kIpcCreat) != 0 ? ENOSYS : ENOENT);
  (void)kIpcExcl;
  if (size == 0 || size > region_pages() * kPage) return err(EINVAL);
  SpinGuard g(g_shm_lock);
  for (int i = 0; i < kSegments; ++i)
    if (!g_seg[i].live) {
      g_seg[i] = Segment{true, false, size, 0, static_cast<uint32_t>(flags & 0777)};
      return i + 1;
    }
  return err(ENOSPC);  // SHMMNI (shmget(2))
}

long sys_shmat(int64_t id, uint64_t addr, uint64_t flags) {
  if ((flags & (kShmRemap | kShmRnd)) != 0 || addr != 0) return err(EINVAL);  // the library OS chooses
  (void)kShmRdonly;
  (void)kShmExec;
  uint64_t size;
  {
    SpinGuard g(g_shm_lock);
    Segment* s = at(id);
    if (s == nullptr) return err(EINVAL);
    if (s->addr != 0) return err(EINVAL);  // one attach per segment (above)
    size = s->size;
  }
  // Zero-filled, as a new segment is (shmget(2)); outside the lock: the
  // mapping may fault pages in.
  const long m = memory_call([&](bool) { return sys_mmap(0, size, kProtRw, kMapPrivateAnon, -1, 0); });
  if (m < 0) return m;
  bool lost = false;
  {
    SpinGuard g(g_shm_lock);
    Segment* s = at(id);
    lost = s == nullptr || s->addr != 0;  // removed or attached meanwhile
    if (!lost) s->addr = static_cast<uint64_t>(m);
  }
  // Unmapped outside g_shm_lock, a leaf: the memory calls' locks come first.
  if (lost) {
    (void)memory_call([&](bool) { return sys_munmap(static_cast<uint64_t>(m), size); });
    return err(EINVAL);
  }
  return m;
}

long sys_shmdt(uint64_t addr) {
  uint64_t size = 0;
  {
    SpinGuard g(g_shm_lock);
    int i = 0;
    for (; i < kSegments; ++i)
      if (g_seg[i].live && g_seg[i].addr == addr && addr != 0) break;
    if (i == kSegments) return err(EINVAL);
    size = g_seg[i].size;
    g_seg[i].addr = 0;
    if (g_seg[i].removed) g_seg[i] = Segment{};
  }
  return memory_call([&](bool) { return sys_munmap(addr, size); });
}

// IPC_RMID and IPC_STAT (struct shmid64_ds, Linux uapi asm-generic/shmbuf.h:
// the fields a program reads — size, mode, attach count — others zero).
long sys_shmctl(int64_t id, uint64_t cmd, uint64_t buf) {
  SpinGuard g(g_shm_lock);
  Segment* s = at(id);
  if (s == nullptr) return err(EINVAL);
  switch (cmd & ~kIpc64) {
    case kIpcRmid:
      if (s->addr == 0) {
        *s = Segment{};
      } else {
        s->removed = true;
      }
      return 0;
    case kIpcStat: {
      constexpr uint64_t kDsSize = 112;  // sizeof(struct shmid64_ds) on x86-64
      if (!sc::user_buffer(buf, kDsSize)) return err(EFAULT);
      uint8_t ds[kDsSize] = {};
      const uint32_t mode = s->mode | (s->removed ? 01000 : 0);  // SHM_DEST
      memcpy(ds + 20, &mode, 4);                                 // shm_perm.mode (ipc64_perm)
      memcpy(ds + 48, &s->size, 8);                              // shm_segsz
      const uint64_t nattch = s->addr != 0 ? 1 : 0;
      memcpy(ds + 88, &nattch, 8);  // shm_nattch (after shm_cpid and shm_lpid at 80 and 84)
      memcpy(reinterpret_cast<void*>(buf), ds, kDsSize);
      return 0;
    }
    case kIpcSet:
      return err(EPERM);
    default:
      return err(EINVAL);
  }
}

}  // namespace nsgx::libos
