/* tlibc (see stddef.h): errno, per enclave thread (sdk/trts/tlibc.c), with
 * Linux's numbers (an OCALL's propagated errno keeps its meaning). */
#ifndef NSGX_TLIBC_ERRNO_H
#define NSGX_TLIBC_ERRNO_H
#ifdef __cplusplus
extern "C" {
#endif
int* __errno_location(void);
#ifdef __cplusplus
}
#endif
#define errno (*__errno_location())
#define EPERM 1
#define ENOENT 2
#define EINTR 4
#define EIO 5
#define EBADF 9
#define EAGAIN 11
#define ENOMEM 12
#define EACCES 13
#define EFAULT 14
#define EBUSY 16
#define EEXIST 17
#define EINVAL 22
#define ERANGE 34
#define ENOSYS 38
#define ETIMEDOUT 110
#endif
