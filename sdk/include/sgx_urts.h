/* The untrusted runtime: loading, entering and destroying enclaves (SGX SDK
 * interface). nestedsgx's runtime loads through the upstream Linux SGX
 * interface (/dev/sgx_enclave and the vDSO), so the same application runs
 * on SGX hardware or under `nsgx exec` (docs/sdk-abi.md). */
#ifndef _SGX_URTS_H_
#define _SGX_URTS_H_

#include <stddef.h>
#include <stdint.h>

#include "sgx_attributes.h"
#include "sgx_defs.h"
#include "sgx_eid.h"
#include "sgx_error.h"
#include "sgx_key.h"
#include "sgx_report.h"

typedef uint8_t sgx_launch_token_t[1024];

/* sgx_create_enclave_ex's features (the SDK's bit numbers). */
#define MAX_EX_FEATURES_COUNT 32
#define SGX_CREATE_ENCLAVE_EX_PCL_BIT_IDX 0
#define SGX_CREATE_ENCLAVE_EX_PCL (1 << SGX_CREATE_ENCLAVE_EX_PCL_BIT_IDX)
#define SGX_CREATE_ENCLAVE_EX_SWITCHLESS_BIT_IDX 1
#define SGX_CREATE_ENCLAVE_EX_SWITCHLESS (1 << SGX_CREATE_ENCLAVE_EX_SWITCHLESS_BIT_IDX)
#define SGX_CREATE_ENCLAVE_EX_KSS_BIT_IDX 2U
#define SGX_CREATE_ENCLAVE_EX_KSS (1U << SGX_CREATE_ENCLAVE_EX_KSS_BIT_IDX)
#define _SGX_LAST_EX_FEATURE_IDX_ SGX_CREATE_ENCLAVE_EX_KSS_BIT_IDX
#define _SGX_EX_FEATURES_MASK_ (((uint32_t)-1) >> (MAX_EX_FEATURES_COUNT - 1 - _SGX_LAST_EX_FEATURE_IDX_))

#pragma pack(push, 1)
/* ex_features_p[SGX_CREATE_ENCLAVE_EX_KSS_BIT_IDX]: the SECS's CONFIGID and
 * CONFIGSVN (SDM ECREATE), for an enclave signed with ATTRIBUTES.KSS. */
typedef struct _sgx_kss_config_t {
  sgx_config_id_t config_id;
  sgx_config_svn_t config_svn;
} sgx_kss_config_t;
#pragma pack(pop)

#if !defined(NDEBUG) || defined(EDEBUG)
#define SGX_DEBUG_FLAG 1
#else
#define SGX_DEBUG_FLAG 0
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Loads the signed enclave image `file_name` (SGX SDK format), as a debug
 * enclave if `debug`. The launch token is legacy and left untouched
 * (*launch_token_updated = 0); `misc_attr`, if given, receives the SECS
 * attributes and MISCSELECT. */
sgx_status_t SGX_CDECL sgx_create_enclave(const char* file_name, const int debug, sgx_launch_token_t* launch_token,
                                          int* launch_token_updated, sgx_enclave_id_t* enclave_id,
                                          sgx_misc_attribute_t* misc_attr);

sgx_status_t SGX_CDECL sgx_destroy_enclave(const sgx_enclave_id_t enclave_id);

/* sgx_create_enclave with extended features: `ex_features` is a mask of
 * SGX_CREATE_ENCLAVE_EX_* bits and ex_features_p[bit index] that feature's
 * configuration (NULL for the others).
 * - KSS: a `const sgx_kss_config_t*` (required). The enclave must be signed
 *   with ATTRIBUTES.KSS, else SGX_ERROR_FEATURE_NOT_SUPPORTED.
 * - SWITCHLESS: a `const sgx_uswitchless_config_t*` (sgx_uswitchless.h):
 *   worker threads serve the enclave's transition_using_threads calls;
 *   more than 64 workers of a kind is SGX_ERROR_INVALID_PARAMETER.
 * - PCL (encrypted enclaves): SGX_ERROR_FEATURE_NOT_SUPPORTED.
 * Bits above _SGX_EX_FEATURES_MASK_, a configuration for a feature not
 * asked for, or a missing one: SGX_ERROR_INVALID_PARAMETER. */
sgx_status_t SGX_CDECL sgx_create_enclave_ex(const char* file_name, const int debug, sgx_launch_token_t* launch_token,
                                             int* launch_token_updated, sgx_enclave_id_t* enclave_id,
                                             sgx_misc_attribute_t* misc_attr, const uint32_t ex_features,
                                             const void* ex_features_p[32]);
/* As sgx_create_enclave_ex, from a signed image in memory (copied; the
 * buffer may be freed afterwards). */
sgx_status_t SGX_CDECL sgx_create_enclave_from_buffer_ex(uint8_t* buffer, size_t buffer_size, const int debug,
                                                         sgx_enclave_id_t* enclave_id, sgx_misc_attribute_t* misc_attr,
                                                         const uint32_t ex_features, const void* ex_features_p[32]);
/* nestedsgx extension: sgx_create_enclave with ELRANGE at exactly `base`
 * (naturally aligned to the enclave's size) on either backend;
 * SGX_ERROR_MEMORY_MAP_CONFLICT if anything is mapped there. The library
 * OS's fork child needs its parent's base: the program's pointers are
 * absolute (docs/libos.md "Processes"). */
sgx_status_t SGX_CDECL nsgx_create_enclave_at(const char* file_name, const int debug, const uint64_t base,
                                              sgx_enclave_id_t* enclave_id);
/* nestedsgx extension: nsgx_create_enclave_at with sgx_create_enclave_ex's
 * features. Base 0 is a base like any other (a library OS enclave for a
 * non-PIE program); ELRANGE's bytes below vm.mmap_min_addr are then never
 * mapped, and the enclave must add nothing there. */
sgx_status_t SGX_CDECL nsgx_create_enclave_at_ex(const char* file_name, const int debug, const uint64_t base,
                                                 sgx_enclave_id_t* enclave_id, const uint32_t ex_features,
                                                 const void* ex_features_p[32]);
/* A TARGETINFO naming the enclave (MRENCLAVE, ATTRIBUTES, MISCSELECT and,
 * under KSS, CONFIGID/CONFIGSVN), for another enclave's sgx_create_report. */
sgx_status_t SGX_CDECL sgx_get_target_info(const sgx_enclave_id_t enclave_id, sgx_target_info_t* target_info);

/* nestedsgx extension: untrusted memory every enclave of this process can
 * read and write at the same address, on every backend, shared as it is
 * (no copies). On the isolated backend an enclave runs in another process:
 * it reads and writes the rest of the application's memory through a
 * mirror that its host synchronises at every entry and exit
 * (docs/isolated.md, "Application memory"); memory from here is the fast
 * path, and the one to use for data both sides use at the same time.
 * Elsewhere it is plain malloc'ed memory. Zeroed; NULL when exhausted
 * (NSGX_WINDOW_SIZE sets the window's size, 256 MiB by default). */
void* SGX_CDECL nsgx_untrusted_alloc(size_t size);
void SGX_CDECL nsgx_untrusted_free(void* ptr);

/* nestedsgx extension, for a signal handler installed with SA_SIGINFO
 * (`ucontext` its third argument): when the signal interrupted this thread
 * inside an enclave — the AEX's synthetic state at the AEP (RAX = ERESUME,
 * RBX = the TCS, RCX = RIP = the AEP) — enters the enclave's exception
 * handling for that interrupt (ECMD_EXCEPT on the same TCS, now CSSA 1, as
 * after an exception; its handlers see EXITINFO.VALID clear), so that the
 * enclave can act on the signal before the AEP's ERESUME, as SGX software
 * delivers signals to enclave threads that compute. On the isolated
 * backend, where the enclave thread runs in the enclave host, the same
 * happens there: when this thread waits for an ECALL (or an OCALL's
 * return, an exception entry) the host interrupts the enclave thread that
 * serves it and makes that exception entry. Returns 1 if it entered (or,
 * isolated, asked for the interrupt), 0 if the thread was not inside. The
 * enclave decides what an interrupt means; an enclave that ignores it
 * resumes unchanged. Block the other signals that call it while it runs
 * (sa_mask). Async-signal-safe. */
int SGX_CDECL nsgx_interrupt_reentry(const void* ucontext);
/* Sends `sig` (tgkill) to every other thread of this process that is
 * inside an ECALL of `eid` (outermost ones; nested through an OCALL count
 * once). Async-signal-safe. Returns how many threads it sent it to. */
int SGX_CDECL nsgx_signal_threads_inside(sgx_enclave_id_t eid, int sig);

/* nestedsgx extension: the SGX2 page operations the Linux driver offers
 * (SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS, SGX_IOC_ENCLAVE_MODIFY_TYPES,
 * SGX_IOC_ENCLAVE_REMOVE_PAGES), for an enclave sgx_create_enclave made, on
 * every backend: what the untrusted side of an enclave memory manager
 * needs. `addr` and `length` are page-aligned and inside the enclave;
 * `permissions` are SECINFO R/W/X bits (0x1/0x2/0x4), `page_type` the
 * SGX page type (SGX_PAGE_TYPE_TCS 1, SGX_PAGE_TYPE_TRIM 4). The enclave
 * completes the first two with EACCEPT; pages are removed only once the
 * enclave has accepted their trimming. Returns SGX_SUCCESS,
 * SGX_ERROR_INVALID_ENCLAVE_ID, SGX_ERROR_INVALID_PARAMETER (range, or a
 * page in the wrong state), SGX_ERROR_ENCLAVE_LOST, or SGX_ERROR_UNEXPECTED;
 * `*sgx_result`, if given, the SGX status of the page that failed. */
sgx_status_t SGX_CDECL nsgx_enclave_restrict_permissions(sgx_enclave_id_t enclave_id, void* addr, size_t length,
                                                         uint64_t permissions, uint64_t* sgx_result);
sgx_status_t SGX_CDECL nsgx_enclave_modify_types(sgx_enclave_id_t enclave_id, void* addr, size_t length,
                                                 uint64_t page_type, uint64_t* sgx_result);
sgx_status_t SGX_CDECL nsgx_enclave_remove_pages(sgx_enclave_id_t enclave_id, void* addr, size_t length);
/* nestedsgx extension: adds the TCS at `tcs` — a page the enclave turned into
 * a TCS (nsgx_enclave_modify_types to SGX_PAGE_TYPE_TCS, then EACCEPT) — to
 * the enclave's TCS pool, so later ECALLs may run on it (up to 16 per
 * enclave on the isolated backend). SGX_ERROR_INVALID_PARAMETER if it lies
 * outside the enclave or is already in the pool, and on the isolated
 * backend (whose monitor checks) if it is not an accepted TCS. On the
 * device path, as with the kernel driver, nothing can check that: an ECALL
 * on a page that is no TCS faults at EENTER and the enclave is reported
 * crashed (SGX_ERROR_ENCLAVE_CRASHED). */
sgx_status_t SGX_CDECL nsgx_enclave_add_tcs(sgx_enclave_id_t enclave_id, void* tcs);
/* nestedsgx extension: how the enclave's EEXITs (ECALL returns, OCALLs) on
 * the isolated and inproc backends came out so far — through the backend's
 * exit gate (no trap) or through a trapping ENCLU (docs/isolated.md and
 * docs/inproc.md, "The exit gate"; NSGX_EXIT_GATE=off at creation turns the
 * gate off). Both stay 0 on SGX hardware. SGX_ERROR_INVALID_PARAMETER for a null pointer,
 * SGX_ERROR_INVALID_ENCLAVE_ID for an unknown enclave. */
sgx_status_t SGX_CDECL nsgx_enclave_exit_counts(sgx_enclave_id_t enclave_id, uint64_t* gate_exits,
                                                uint64_t* trap_exits);
/* nestedsgx extension: how the enclave's exceptions were turned around so
 * far (docs/isolated.md, "The exception turnaround"): `in_host`, AEXs the
 * isolated backend's enclave host answered alone — the SDK's exception
 * entry and ERESUME without a round trip through this process;
 * `in_application`, AEXs this process learned of and made (or, isolated,
 * was answered for) the exception entry itself — every AEX on the other
 * backends, and on the isolated one those the enclave did not handle in
 * its exception entry, or all of them with NSGX_EXCEPTION_TURNAROUND=off at
 * creation. SGX_ERROR_INVALID_PARAMETER for a null pointer,
 * SGX_ERROR_INVALID_ENCLAVE_ID for an unknown enclave. */
sgx_status_t SGX_CDECL nsgx_enclave_exception_counts(sgx_enclave_id_t enclave_id, uint64_t* in_host,
                                                     uint64_t* in_application);

#ifdef __cplusplus
}
#endif

#endif
