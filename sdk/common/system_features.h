/* The SGX SDK's system_features_t: what the untrusted runtime passes, in
 * RSI, with ECMD_INIT_ENCLAVE (EENTER, RDI = -1), because enclave code
 * cannot execute CPUID. C, for both sides.
 *
 * Layout: the SDK's common/inc/internal/rts.h, packed (#pragma pack(1)),
 * in the form SDK 2.8 and later use. Offsets checked below against what an
 * SDK 2.20 trusted runtime reads (init_enclave in the SampleEnclave vector:
 * it copies 0xb0 bytes, tests bit 62 of the byte at 0x13, reads `size` at
 * 0x9c, `cpu_features_ext` at 0xa4 and `cpu_core_num` at 0xac). */
#ifndef NSGX_SDK_SYSTEM_FEATURES_H
#define NSGX_SDK_SYSTEM_FEATURES_H

#include <stddef.h>
#include <stdint.h>

/* sdk_version_t. An SDK 2.20 trusted runtime accepts only 1.5 (no EDMM) or
 * 3.0 and later (it refuses 2.0-2.3: init_enclave returns -1). */
#define NSGX_SDK_VERSION_1_5 0u
#define NSGX_SDK_VERSION_2_0 1u
#define NSGX_SDK_VERSION_3_0 5u

/* Bits of system_feature_set[0]. Bit 63 marks the array's last element
 * (the trusted runtime stops walking there). */
#define NSGX_SYS_FEATURE_EDMM 0      /* SGX2 page management offered */
#define NSGX_SYS_FEATURE_AEXNOTIFY 1 /* AEX-Notify offered */
#define NSGX_SYS_FEATURE_EXTEND 62   /* size, cpu_features_ext, cpu_core_num are valid */
#define NSGX_SYS_FEATURE_MSB 63      /* the last element */

#pragma pack(push, 1)
typedef struct nsgx_system_features {
  uint64_t cpu_features;          /* the SDK's legacy bit layout (se_cpu_feature_defs.h) */
  uint32_t version;               /* sdk_version_t (an enum: 4 bytes) */
  uint64_t system_feature_set[1]; /* NSGX_SYS_FEATURE_* */
  uint32_t cpuinfo_table[8][4];   /* row n = CPUID leaf n (EAX, EBX, ECX, EDX) for n = 0, 1, 4, 7; others 0 */
  uint64_t sealed_key;            /* a pointer: the protected code loader's sealed key, or 0 */
  uint64_t size;                  /* sizeof this struct as the sender knows it */
  uint64_t cpu_features_ext;      /* the SDK's current bit layout (se_cpu_feature_defs_ext.h) */
  uint32_t cpu_core_num;          /* online logical processors */
} nsgx_system_features_t;
#pragma pack(pop)

#ifdef __cplusplus
#define NSGX_SF_ASSERT(c, m) static_assert(c, m)
#else
#define NSGX_SF_ASSERT(c, m) _Static_assert(c, m)
#endif
NSGX_SF_ASSERT(offsetof(nsgx_system_features_t, version) == 0x08, "system_features_t.version");
NSGX_SF_ASSERT(offsetof(nsgx_system_features_t, system_feature_set) == 0x0c, "system_features_t.system_feature_set");
NSGX_SF_ASSERT(offsetof(nsgx_system_features_t, cpuinfo_table) == 0x14, "system_features_t.cpuinfo_table");
NSGX_SF_ASSERT(offsetof(nsgx_system_features_t, sealed_key) == 0x94, "system_features_t.sealed_key");
NSGX_SF_ASSERT(offsetof(nsgx_system_features_t, size) == 0x9c, "system_features_t.size");
NSGX_SF_ASSERT(offsetof(nsgx_system_features_t, cpu_features_ext) == 0xa4, "system_features_t.cpu_features_ext");
NSGX_SF_ASSERT(offsetof(nsgx_system_features_t, cpu_core_num) == 0xac, "system_features_t.cpu_core_num");
NSGX_SF_ASSERT(sizeof(nsgx_system_features_t) == 0xb0, "system_features_t: 176 bytes");
#undef NSGX_SF_ASSERT

#endif
