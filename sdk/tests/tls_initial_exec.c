/* A thread-local variable in the initial-exec model (%fs-relative, an
 * R_X86_64_TPOFF64 relocation): the signer must refuse the image, as the
 * trusted runtime supports only the dynamic models (docs/sdk-abi.md). */
__attribute__((tls_model("initial-exec"))) __thread int counter;

int bump(void) { return ++counter; }
