/* sgx_lfence(): a speculation barrier after bounds checks (SGX SDK interface). */
#ifndef _SGX_LFENCE_H_
#define _SGX_LFENCE_H_

#define sgx_lfence() __asm__ volatile("lfence" ::: "memory")

#endif
