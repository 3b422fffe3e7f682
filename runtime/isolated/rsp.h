// The gdb remote serial protocol's framing, for the enclave host's debugging
// stub (host_main.cc; docs/monitor-interface.md "Debugging"). Pure and
// bounded: every byte the debugger sends goes through Reader, which keeps
// at most kMaxPacket bytes of a packet and never fails on any input.
//
// GDB manual, "Overview" of the remote protocol: a packet is
// `$payload#cs`, cs being the payload's byte sum modulo 256 in two hex
// digits; the receiver acknowledges with `+` (or asks again with `-`); a
// lone 0x03 outside a packet is an interrupt request.
//
//   rsp::Reader r;
//   for (char c : bytes)
//     if (auto ev = r.push(c); ev.kind == rsp::Event::kPacket) handle(ev.payload);
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace nsgx::isolated::rsp {

// The largest payload accepted (and advertised in qSupported as PacketSize).
inline constexpr std::size_t kMaxPacket = 4096;
// The most memory one m/M packet may read or write: its hex fits a packet.
inline constexpr std::size_t kMaxMemory = kMaxPacket / 2 - 32;

struct Event {
  enum Kind { kNone, kPacket, kBadChecksum, kTooLong, kInterrupt, kAck, kNak } kind = kNone;
  std::string_view payload;  // kPacket: valid until the next push()
};

class Reader {
 public:
  Event push(char c);

 private:
  enum class State { kIdle, kBody, kSum1, kSum2 } state_ = State::kIdle;
  std::array<char, kMaxPacket> buf_{};
  std::size_t len_ = 0;
  bool overflow_ = false;
  std::uint8_t sum_ = 0, given_ = 0;
};

// `$payload#cs` appended to `out`.
void frame(std::string_view payload, std::string& out);

// 1 to 16 hex digits, the whole of `s`.
bool parse_hex(std::string_view s, std::uint64_t& v);
// Exactly 2 * out.size() hex digits.
bool decode_hex(std::string_view s, std::span<std::uint8_t> out);
void append_hex(std::string& out, std::span<const std::uint8_t> bytes);

// `ADDR,LENGTH` (m) or `ADDR,LENGTH:HEX` (M, with_data), LENGTH <= kMaxMemory
// and for M exactly LENGTH bytes of hex.
struct MemoryRequest {
  std::uint64_t addr = 0, length = 0;
  std::string_view hex;
};
std::optional<MemoryRequest> parse_memory(std::string_view args, bool with_data);

}  // namespace nsgx::isolated::rsp
