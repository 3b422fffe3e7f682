/* Switchless OCALLs per thread, trusted side (a nestedsgx extension to the
 * SDK's switchless calls: docs/sdk-abi.md, "Switchless calls").
 *
 * A caller whose switchless OCALL a worker accepted waits inside the
 * enclave, spinning, until the call ends — the SDK's rule is that only
 * short, non-blocking calls are marked `transition_using_threads`. A call
 * that is marked but may block for long this time (a read of a terminal
 * or a pipe through the POSIX layer's `read`) would hold a worker and
 * keep its caller's CPU busy for as long; a thread turns switchless OCALLs
 * off around such a call and they take the ordinary transition. */
#ifndef _NSGX_TSWITCHLESS_H_
#define _NSGX_TSWITCHLESS_H_

#ifdef __cplusplus
extern "C" {
#endif

/* Whether the calling thread's switchless OCALLs may go to the untrusted
 * workers (`allowed` non-zero, the default) or always take the ordinary
 * transition (0). Returns the previous setting. */
int nsgx_switchless_ocalls(int allowed);

#ifdef __cplusplus
}
#endif

#endif
