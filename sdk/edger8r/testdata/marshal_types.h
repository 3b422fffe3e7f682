/* Foreign types marshal.edl uses with isptr/isary. */
#ifndef MARSHAL_TYPES_H
#define MARSHAL_TYPES_H
#include <stdint.h>
typedef struct blob { uint64_t a, b; } blob_t;
typedef blob_t* blob_ptr;
typedef int quad4_t[4];
#endif
