/* Status codes of the quoting library (the SGX DCAP quote library's
 * quote3_error_t, the subset nestedsgx returns, with the same values). */
#ifndef _SGX_QL_LIB_COMMON_H_
#define _SGX_QL_LIB_COMMON_H_

typedef enum _quote3_error_t {
  SGX_QL_SUCCESS = 0x0000,
  SGX_QL_ERROR_UNEXPECTED = 0xE001,         /* the monitor could not be reached, or failed */
  SGX_QL_ERROR_INVALID_PARAMETER = 0xE002,  /* a null pointer, a wrong quote size, a nonce over 64 bytes,
                                               or REPORT_DATA not binding the nonce */
  SGX_QL_ERROR_OUT_OF_MEMORY = 0xE003,
  SGX_QL_INTERFACE_UNAVAILABLE = 0xE00D,    /* no quoting service (SGX hardware without nestedsgx) */
  SGX_QL_ATT_KEY_NOT_INITIALIZED = 0xE00F,  /* the attestation key or its evidence could not be made */
  SGX_QL_INVALID_REPORT = 0xE015,           /* the REPORT is not one the monitor made for its quoting identity */
} quote3_error_t;

#endif
