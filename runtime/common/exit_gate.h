/*
 * The exit gate: how a nestedsgx backend lets enclaves built with our
 * trusted runtime (sdk/trts/entry.S) leave without executing ENCLU[EEXIT],
 * which traps here (#UD, intercepted by the hypervisor: ~20,000 cycles).
 * docs/isolated.md, "The exit gate", says why this cannot weaken an enclave.
 *
 * The offer, at EENTER only (never at ERESUME):
 *   R8 = NSGX_EXIT_GATE_OFFER, R9 = the address of a descriptor
 *   (struct nsgx_exit_gate) in untrusted memory.
 * The trusted runtime accepts it only if R8 is the offer, the whole
 * descriptor lies outside ELRANGE, its magic, version and size are these,
 * its gate is not 0 and lies outside ELRANGE, and the exit address (RCX at
 * EENTER) lies outside ELRANGE too. Anything else: it leaves with ENCLU, as
 * on SGX hardware and on every backend without a gate.
 *
 * Leaving through the gate is a jump to `gate` with the registers exactly
 * as ENCLU[EEXIT] would leave them to the untrusted side: RAX = 4 (EEXIT),
 * RBX = the exit address, RCX = the address following the runtime's ENCLU
 * (what EEXIT puts in RCX), RSP/RBP the untrusted stack, RDI/RSI the exit's
 * operands, every other general-purpose register and XMM0-15 zero — except
 * R10, which holds `gate` itself (the runtime reads the gate once, into a
 * register, so that an exception entry cannot change it between check and
 * jump): a gate records R10 as 0, as ENCLU would have left it. The
 * backend's gate performs its EEXIT from there (for the isolated backend:
 * runtime/isolated/host_entry.S, nsgx_host_gate_*).
 *
 * The FS gate (version 2; 0 when a backend has none): SGX loads FS from the
 * TCS at every EENTER, so a library OS that runs a program on the
 * program's own FS base finds the TCS's in effect after every OCALL, and
 * without WRFSBASE (which a kernel must enable and preserve: AT_HWCAP2)
 * only an ERESUME from an SSA frame it wrote could load the program's —
 * an exception round trip per system call. The FS gate is the backend's
 * way to load it instead, called from inside the enclave as a C function
 *     long fs_gate(uint64_t fs_base);   (System V ABI, its clobbers)
 * with RSP on the enclave's stack (the `call` pushes the return address
 * there; the gate reads nothing else of the enclave's). It returns 0 once
 * FS is `fs_base` for the calling thread and stays so at every later AEX
 * and ERESUME until the next EENTER (as after an ERESUME that loaded it),
 * or -errno (FS unchanged) when the kernel refuses the base. The trusted
 * runtime accepts it, like the gate, only from an accepted offer and only
 * outside ELRANGE, and calls it only through nsgx_set_fs_base
 * (sdk/include/nsgx_first_phase.h).
 *
 * FS at an OCALL's return: a backend may keep, at an EENTER with ECMD_ORET
 * that follows an exit through the gate, the FS base that exit left
 * instead of loading the TCS's; every other EENTER loads the TCS's. The
 * isolated backend does (its worker thread runs no code of the
 * application's between, so the base never changes there), saving a
 * library OS two FS-base writes per OCALL; inproc does not (the
 * application's own code runs between on that thread). Only our trusted
 * runtime takes the gate, and it reaches its thread data through GS alone,
 * so nothing of it depends on FS at an ORET; enclave code that set its own
 * FS (through the FS gate, or an SSA frame for ERESUME) must not assume
 * either base after an OCALL, and a library OS checks which one it has
 * (libos/enclave/threads.cc, program_fs_in_effect: %fs:0).
 *
 * A plain C header, also read by assembly (the trusted runtime includes it).
 */
#ifndef NSGX_RUNTIME_COMMON_EXIT_GATE_H
#define NSGX_RUNTIME_COMMON_EXIT_GATE_H

/* "nsgxGATE" and "nsgxEXIT" in little-endian ASCII. */
#define NSGX_EXIT_GATE_OFFER 0x455441477867736e
#define NSGX_EXIT_GATE_MAGIC 0x544958457867736e
#define NSGX_EXIT_GATE_VERSION 2
#define NSGX_EXIT_GATE_SIZE 32
/* Offsets in the descriptor. */
#define NSGX_EXIT_GATE_OFF_MAGIC 0
#define NSGX_EXIT_GATE_OFF_VERSION 8
#define NSGX_EXIT_GATE_OFF_SIZE 12
#define NSGX_EXIT_GATE_OFF_GATE 16
#define NSGX_EXIT_GATE_OFF_FS_GATE 24

#ifndef __ASSEMBLER__
#include <stddef.h>
#include <stdint.h>

struct nsgx_exit_gate {
  uint64_t magic;   /* NSGX_EXIT_GATE_MAGIC */
  uint32_t version; /* NSGX_EXIT_GATE_VERSION */
  uint32_t size;    /* NSGX_EXIT_GATE_SIZE: the descriptor's length */
  uint64_t gate;    /* where the enclave jumps instead of ENCLU[EEXIT] */
  uint64_t fs_gate; /* what the enclave calls to load its FS base, 0 if none */
};

#ifdef __cplusplus
static_assert(sizeof(nsgx_exit_gate) == NSGX_EXIT_GATE_SIZE && offsetof(nsgx_exit_gate, version) == 8 &&
                  offsetof(nsgx_exit_gate, size) == 12 && offsetof(nsgx_exit_gate, gate) == 16 &&
                  offsetof(nsgx_exit_gate, fs_gate) == NSGX_EXIT_GATE_OFF_FS_GATE,
              "the trusted runtime's entry.S reads these offsets");
#else
_Static_assert(sizeof(struct nsgx_exit_gate) == NSGX_EXIT_GATE_SIZE &&
                   offsetof(struct nsgx_exit_gate, version) == NSGX_EXIT_GATE_OFF_VERSION &&
                   offsetof(struct nsgx_exit_gate, size) == NSGX_EXIT_GATE_OFF_SIZE &&
                   offsetof(struct nsgx_exit_gate, gate) == NSGX_EXIT_GATE_OFF_GATE &&
                   offsetof(struct nsgx_exit_gate, fs_gate) == NSGX_EXIT_GATE_OFF_FS_GATE,
               "the trusted runtime's entry.S reads these offsets");
#endif
#endif

#endif
