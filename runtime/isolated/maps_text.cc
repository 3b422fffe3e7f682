// /proc/PID/maps text, parsed as hostile (maps_text.h).
#include "runtime/isolated/maps_text.h"

#include "runtime/isolated/procmap_query.h"

namespace nsgx::isolated {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;  // the kernel writes lowercase (%08lx)
}

}  // namespace

MapsTextScanner::State MapsTextScanner::line_done() {
  // A line's three fields are in: its range is known.
  if (start_ >= end_ || start_ < prev_end_ || (start_ & 0xfff) != 0 || (end_ & 0xfff) != 0)
    return state_ = State::kMalformed;
  if (addr_ < start_) return state_ = State::kAbsent;  // sorted: no later line covers it
  if (addr_ < end_) return state_ = State::kFound;
  prev_end_ = end_;
  return State::kMore;
}

MapsTextScanner::State MapsTextScanner::feed(const char* p, std::size_t n) {
  for (std::size_t i = 0; i < n && state_ == State::kMore; ++i) {
    const char c = p[i];
    switch (field_) {
      case Field::kStart:
      case Field::kEnd: {
        std::uint64_t& v = field_ == Field::kStart ? start_ : end_;
        const char sep = field_ == Field::kStart ? '-' : ' ';
        if (c == sep && digits_ > 0) {
          field_ = field_ == Field::kStart ? Field::kEnd : Field::kPerms;
          digits_ = 0;
          break;
        }
        const int d = hex_value(c);
        if (d < 0 || digits_ == 16) return state_ = State::kMalformed;  // 16 hex digits fill 64 bits
        v = (v << 4) | static_cast<std::uint64_t>(d);
        ++digits_;
        break;
      }
      case Field::kPerms: {
        // r, w, x or '-' in their places, then p or s.
        static constexpr char kSet[4] = {'r', 'w', 'x', 's'};
        static constexpr std::uint64_t kFlag[4] = {kProcmapReadable, kProcmapWritable, kProcmapExecutable,
                                                   kProcmapShared};
        if (perms_ < 4) {
          const bool off = perms_ == 3 ? c == 'p' : c == '-';
          if (c == kSet[perms_])
            flags_ |= kFlag[perms_];
          else if (!off)
            return state_ = State::kMalformed;
          ++perms_;
          break;
        }
        if (c != ' ' && c != '\n') return state_ = State::kMalformed;
        if (line_done() != State::kMore) return state_;
        field_ = c == '\n' ? Field::kStart : Field::kRest;
        start_ = end_ = flags_ = 0;
        perms_ = 0;
        break;
      }
      case Field::kRest:
        if (c == '\n') field_ = Field::kStart;
        break;
    }
  }
  return state_;
}

MapsTextScanner::State MapsTextScanner::finish() {
  if (state_ != State::kMore) return state_;
  if (field_ == Field::kRest || (field_ == Field::kStart && digits_ == 0)) return state_ = State::kAbsent;
  if (field_ == Field::kPerms && perms_ == 4) {  // a last line "start-end perms" without its newline
    if (line_done() != State::kMore) return state_;
    return state_ = State::kAbsent;
  }
  return state_ = State::kMalformed;
}

}  // namespace nsgx::isolated
