/* The .note.sgxmeta note an SGX SDK image carries: room for the metadata
 * (0x5000 bytes, zero until `nsgx sign` lays out and signs the enclave).
 * Not allocated, so it is in no segment and never measured. */
	.section .note.sgxmeta, "", @note
	.p2align 2
	.long 13		/* namesz: "sgx_metadata\0" */
	.long 0x5000		/* descsz: METADATA_SIZE */
	.long 1			/* type */
	.ascii "sgx_metadata\0"
	.fill 0x5000, 1, 0
	.p2align 2		/* section size rounded to its alignment, as the SDK checks */
	.section .note.GNU-stack, "", @progbits
