# nestedsgx's buildenv.mk: what the SGX SDK's sample Makefiles take from
# $(SGX_SDK)/buildenv.mk, which they include before setting their own
# variables.
#
# SGX_TRUSTED_LIBRARY_PATH: where the trusted libraries are (-L for the
# enclave link). The SDK keeps builds of them with the load-value-injection
# mitigations (MITIGATION-CVE-2020-0551=LOAD or CF) in subdirectories;
# nestedsgx enclaves need none (no LVI: enclave code runs on the monitor's
# terms, not on SGX hardware), so every setting links the same libraries
# and adds no compiler options. `=` (not `:=`): SGX_LIBRARY_PATH is set by
# the Makefile after it includes this file.
SGX_TRUSTED_LIBRARY_PATH ?= $(SGX_LIBRARY_PATH)
MITIGATION_CFLAGS :=
MITIGATION_ASFLAGS :=
MITIGATION_LDFLAGS :=
MITIGATION_LIB_PATH :=
