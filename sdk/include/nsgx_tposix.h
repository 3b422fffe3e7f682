/* The trusted POSIX layer (library nsgx_tposix, EDL nsgx_tposix.edl;
 * docs/posix.md): open, pread64, fstat64, fcntl, clock_gettime ... inside an
 * enclave, the file and clock functions as OCALLs whose every answer is
 * checked, the rest computed inside or failing with ENOSYS. An enclave uses
 * them through the usual C declarations (<fcntl.h>, <unistd.h>, ...); this
 * header adds what the layer counts:
 *
 *   uint64_t before = nsgx_tposix_ocalls();
 *   ... sqlite3_exec(db, "INSERT ...", ...) ...
 *   uint64_t used = nsgx_tposix_ocalls() - before;   // OCALLs it made
 *   if (nsgx_tposix_refused() != 0) ...              // the host answered out of range
 */
#ifndef NSGX_TPOSIX_H
#define NSGX_TPOSIX_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* OCALLs the layer has made since the enclave started. */
uint64_t nsgx_tposix_ocalls(void);
/* Host answers the layer refused (out of range, malformed): each became an
 * EIO for its caller. */
uint64_t nsgx_tposix_refused(void);

#ifdef __cplusplus
}
#endif

#endif
