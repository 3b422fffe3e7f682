// The quoting entry points libnsgx_inproc.so exports for the untrusted
// runtime. The urts does not link the inproc backend (the backend is
// preloaded into unmodified programs by `nsgx exec`), so it finds these with
// dlsym(RTLD_DEFAULT); without the library — on SGX hardware — they are
// absent and quoting is unavailable. Each returns 0 or -errno as the
// isolated backend's kQuoteInfo/kQuote replies do (protocol.h).
#pragma once

#include <cstdint>

namespace nsgx::inproc {

// Fills the quoting identity's TARGETINFO (512 bytes) and the quote size.
using QuoteInfoFn = int (*)(void* target_info, std::uint32_t* quote_size);
// Quotes the 432-byte REPORT with a nonce of at most 64 bytes into `quote`
// of exactly `quote_size` bytes (the size QuoteInfoFn gave).
using QuoteFn = int (*)(const void* report, const std::uint8_t* nonce, std::uint32_t nonce_size, std::uint8_t* quote,
                        std::uint32_t quote_size);

inline constexpr char kQuoteInfoSymbol[] = "nsgx_inproc_quote_info";
inline constexpr char kQuoteSymbol[] = "nsgx_inproc_quote";

}  // namespace nsgx::inproc
