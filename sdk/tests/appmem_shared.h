/* Shared by appmem_enclave.c and appmem_test.cc: a struct in the
 * application's memory that carries a pointer to more of it. */
#pragma once
#include <stddef.h>
#include <stdint.h>

struct appmem_holder {
  uint8_t* buf; /* the enclave flips every byte of buf[0, len) with 0x5a */
  size_t len;
  uint64_t tag; /* the enclave sets it to APPMEM_TAG */
};
#define APPMEM_TAG 0x5ca1ab1e0ddba11ull
