/* The SDK's umbrella header for the basic types (SGX SDK interface). */
#ifndef _SGX_H_
#define _SGX_H_

#include "sgx_attributes.h"
#include "sgx_defs.h"
#include "sgx_error.h"
#include "sgx_key.h"
#include "sgx_report.h"

#endif
