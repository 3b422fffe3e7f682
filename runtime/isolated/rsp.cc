#include "runtime/isolated/rsp.h"

namespace nsgx::isolated::rsp {

namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

constexpr char kDigits[] = "0123456789abcdef";

}  // namespace

Event Reader::push(char c) {
  switch (state_) {
    case State::kIdle:
      // Outside a packet only acknowledgements, the interrupt and a packet's
      // start mean something; anything else is line noise, dropped.
      if (c == '$') {
        state_ = State::kBody;
        len_ = 0;
        sum_ = 0;
        overflow_ = false;
      } else if (c == '\x03') {
        return {Event::kInterrupt, {}};
      } else if (c == '+') {
        return {Event::kAck, {}};
      } else if (c == '-') {
        return {Event::kNak, {}};
      }
      return {};
    case State::kBody:
      if (c == '#') {
        state_ = State::kSum1;
        return {};
      }
      sum_ = static_cast<std::uint8_t>(sum_ + static_cast<std::uint8_t>(c));
      if (len_ < buf_.size())
        buf_[len_++] = c;
      else
        overflow_ = true;  // kept reading to the end, then refused
      return {};
    case State::kSum1: {
      const int d = hex_digit(c);
      if (d < 0) {
        state_ = State::kIdle;
        return {Event::kBadChecksum, {}};
      }
      given_ = static_cast<std::uint8_t>(d << 4);
      state_ = State::kSum2;
      return {};
    }
    case State::kSum2: {
      state_ = State::kIdle;
      const int d = hex_digit(c);
      if (d < 0 || static_cast<std::uint8_t>(given_ | d) != sum_) return {Event::kBadChecksum, {}};
      if (overflow_) return {Event::kTooLong, {}};
      return {Event::kPacket, std::string_view(buf_.data(), len_)};
    }
  }
  return {};
}

void frame(std::string_view payload, std::string& out) {
  std::uint8_t sum = 0;
  for (const char c : payload) sum = static_cast<std::uint8_t>(sum + static_cast<std::uint8_t>(c));
  out += '$';
  out += payload;
  out += '#';
  out += kDigits[sum >> 4];
  out += kDigits[sum & 15];
}

bool parse_hex(std::string_view s, std::uint64_t& v) {
  if (s.empty() || s.size() > 16) return false;
  v = 0;
  for (const char c : s) {
    const int d = hex_digit(c);
    if (d < 0) return false;
    v = (v << 4) | static_cast<std::uint64_t>(d);
  }
  return true;
}

bool decode_hex(std::string_view s, std::span<std::uint8_t> out) {
  if (s.size() != out.size() * 2) return false;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int hi = hex_digit(s[2 * i]), lo = hex_digit(s[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return true;
}

void append_hex(std::string& out, std::span<const std::uint8_t> bytes) {
  for (const std::uint8_t b : bytes) {
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
}

std::optional<MemoryRequest> parse_memory(std::string_view args, bool with_data) {
  const std::size_t comma = args.find(',');
  if (comma == std::string_view::npos) return std::nullopt;
  MemoryRequest r;
  std::string_view len = args.substr(comma + 1);
  if (with_data) {
    const std::size_t colon = len.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    r.hex = len.substr(colon + 1);
    len = len.substr(0, colon);
  }
  if (!parse_hex(args.substr(0, comma), r.addr) || !parse_hex(len, r.length) || r.length > kMaxMemory)
    return std::nullopt;
  if (with_data && r.hex.size() != r.length * 2) return std::nullopt;
  return r;
}

}  // namespace nsgx::isolated::rsp
