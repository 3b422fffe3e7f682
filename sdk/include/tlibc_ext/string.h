/* <string.h> inside enclaves: the C library's, plus the functions the SGX
 * SDK's trusted libc adds to it and that SDK enclaves call without another
 * include — the bounds-checked copies (C11 Annex K style, as the SDK's
 * mbusafecrt provides them) and memcpy_verw. This directory comes first on
 * an enclave's include path (cmake/nsgx_enclave.cmake); the functions are in
 * the trusted runtime (sdk/trts/string_ext.c). */
#ifndef NSGX_TLIBC_STRING_H
#define NSGX_TLIBC_STRING_H

#include <stddef.h>
#include_next <string.h>

#include "nsgx_string_ext.h"

#endif
