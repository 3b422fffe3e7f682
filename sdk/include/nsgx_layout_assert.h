/* NSGX_LAYOUT_ASSERT(cond, msg): a compile-time check of a structure's
 * layout against the SGX SDK's, usable from the SDK headers in C and C++
 * (nestedsgx; not an SDK header). */
#ifndef _NSGX_LAYOUT_ASSERT_H_
#define _NSGX_LAYOUT_ASSERT_H_

#ifdef __cplusplus
#define NSGX_LAYOUT_ASSERT(cond, msg) static_assert(cond, msg)
#else
#define NSGX_LAYOUT_ASSERT(cond, msg) _Static_assert(cond, msg)
#endif

#endif
