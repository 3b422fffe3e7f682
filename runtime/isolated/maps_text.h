// The application's mappings read from the text of its /proc/PID/maps: the
// enclave host's way to know the protection of a page where the kernel
// lacks PROCMAP_QUERY (before Linux 6.11; procmap_query.h is the way where
// it has it). app_memory.cc reads the text through the application's
// descriptor, chunk by chunk, and feeds it here.
//
// The format (proc(5), fs/proc/task_mmu.c show_map_vma): one line per
// mapping, in increasing address order,
//   start-end perms offset major:minor inode [path]
// with start and end in hexadecimal and perms four characters
// [r-][w-][x-][ps]. Only the first three fields are read. The text comes
// from the application, which may hand over any regular file as its maps
// (server.cc checks no more): it is parsed as hostile — bounded numbers,
// increasing non-overlapping ranges, a line of any length — and anything
// else is "malformed", which app_memory.cc treats as nothing mapped (the
// enclave's #PF), harming only the application's own enclave.
//
// Runs in the enclave host's fault path (app_memory.h: no TLS, no libc
// state): plain code on its own members.
#pragma once

#include <cstddef>
#include <cstdint>

namespace nsgx::isolated {

class MapsTextScanner {
 public:
  // Looks for the mapping that covers `addr`.
  explicit MapsTextScanner(std::uint64_t addr) : addr_(addr) {}

  enum class State {
    kMore,       // not decided yet: feed the next chunk (or finish at the end)
    kFound,      // start(), end(), flags() describe the mapping covering addr
    kAbsent,     // no mapping covers addr
    kMalformed,  // not maps text as the kernel writes it
  };
  // The next `n` bytes of the text. Once decided, further input is ignored.
  State feed(const char* p, std::size_t n);
  // The end of the text: kAbsent if undecided after whole lines, kMalformed
  // if the last line stopped inside its first three fields.
  State finish();

  std::uint64_t start() const { return start_; }
  std::uint64_t end() const { return end_; }
  // procmap_query.h's kProcmapReadable | kProcmapWritable |
  // kProcmapExecutable | kProcmapShared, as PROCMAP_QUERY reports them.
  std::uint64_t flags() const { return flags_; }

 private:
  enum class Field { kStart, kEnd, kPerms, kRest };
  State line_done();

  std::uint64_t addr_;
  State state_ = State::kMore;
  Field field_ = Field::kStart;
  unsigned digits_ = 0, perms_ = 0;
  std::uint64_t start_ = 0, end_ = 0, flags_ = 0;
  std::uint64_t prev_end_ = 0;  // the previous line's end: lines must not go back
};

}  // namespace nsgx::isolated
