/* The manifest section (docs/libos.md), declared in manifest_section.h: a
 * fixed 64 KiB, page aligned, allocated read-only (no "w": the loader maps
 * it read-only) and measured (EADD + EEXTEND with the rest of the image).
 * `nsgx libos build` (tools/nsgx/cmd_run.cc) finds it by name in the
 * unsigned image's section headers and writes the canonical manifest into
 * it, zero padded, before signing. Left as built it holds no manifest and
 * the enclave refuses to run. */
	.section .nsgx_libos_manifest, "a", @progbits
	.balign 4096
	.globl nsgx_libos_manifest
	.hidden nsgx_libos_manifest
	.type nsgx_libos_manifest, @object
nsgx_libos_manifest:
	.fill 65536, 1, 0	/* kManifestSectionSize */
	.size nsgx_libos_manifest, . - nsgx_libos_manifest

	.section .note.GNU-stack, "", @progbits
