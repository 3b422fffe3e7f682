/* libsgx_urts.so: the untrusted runtime (sdk/urts) as one shared library
 * (packaging/CMakeLists.txt). This file only names the build inside it:
 *   strings libsgx_urts.so | grep 'nestedsgx untrusted runtime' */
__attribute__((visibility("default"), used)) const char nsgx_urts_version[] =
    "nestedsgx untrusted runtime " NSGX_VERSION_STRING;
