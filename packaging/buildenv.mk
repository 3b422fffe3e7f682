# nestedsgx's buildenv.mk: what the SGX SDK's sample Makefiles include from
# $(SGX_SDK)/buildenv.mk. nestedsgx enclaves need no compiler mitigation
# options (no LVI: enclave code runs on the monitor's terms, not on SGX
# hardware), so MITIGATION-CVE-2020-0551 selects none.
MITIGATION_CFLAGS :=
MITIGATION_ASFLAGS :=
MITIGATION_LDFLAGS :=
MITIGATION_LIB_PATH :=
