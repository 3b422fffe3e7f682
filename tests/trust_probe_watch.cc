// trust_probe watch (trust_probe_watch.h): what a user can see of, and do
// to, its own processes' descriptors and memory while the library OS forks.
#include "tests/trust_probe_watch.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "tests/probe_memory.h"

namespace nsgx::probe {
namespace {

// The fork checkpoint's memory file (libos/host/spawn_ocalls.cc).
constexpr std::string_view kCheckpoint = "/memfd:nsgx-libos-fork";
// The shared position of the checkpoint's descriptor tells the two ends
// apart: while the parent writes, it is the end of the file (a write of at
// most one 32 KiB chunk may be under way: the size grows before the
// position does); once the parent is done, the host moves it back to the
// start and the child's reads move it on. More than this below the size,
// then, the file is whole and the child has that much left to read — in
// 32 KiB chunks, each decrypted and its pages accepted before the next,
// so it cannot reach the last byte in the moment between the attacker's
// look at its position and the write.
constexpr std::uint64_t kMargin = std::uint64_t{64} * 1024;
// A hang guard only: the test stops the watcher long before.
constexpr auto kMaxRun = std::chrono::minutes(5);

struct Options {
  uid_t uid = 0;
  std::string stop, flip, needle;
  // The file the secret came from on stdin, if one: the harness hands it
  // to its probes the same way, and U's watcher sees their descriptors.
  dev_t needle_dev = 0;
  ino_t needle_ino = 0;
  bool mem = false, fds = false, flip_checkpoints = false;
  bool once = false;  // one pass, whatever the stop file says
};

struct FileSeen {
  std::uint64_t scanned = 0;  // bytes of it looked at, from the start
  std::int64_t mtime_ns = 0;
  // Changed in place: read again, but at most a fifth of the time (the
  // inproc backend's EPC file is the enclave's memory, changing always).
  std::chrono::steady_clock::time_point next_whole{};
};

struct CheckpointSeen {
  bool whole = false;  // read after the parent finished writing it
  bool flipped = false;
};

struct Totals {
  std::uint64_t passes = 0, mem_reads = 0, mem_bytes = 0, files = 0, file_bytes = 0, pipes = 0, pipe_bytes = 0,
                sockets = 0, socket_bytes = 0, checkpoints_whole = 0, largest_whole = 0, flipped = 0;
  std::set<pid_t> mem_pids;
  std::set<std::string> found;  // what was printed, once each
  std::map<ino_t, CheckpointSeen> checkpoints;
  std::map<std::pair<dev_t, ino_t>, FileSeen> files_seen;
};

bool exists(const std::string& path) { return access(path.c_str(), F_OK) == 0; }

std::string comm_of(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/comm");
  std::string c;
  std::getline(f, c);
  return c;
}

std::vector<pid_t> processes_of(uid_t uid) {
  std::vector<pid_t> out;
  DIR* d = opendir("/proc");
  if (d == nullptr) return out;
  while (const dirent* e = readdir(d)) {
    char* end = nullptr;
    const long pid = std::strtol(e->d_name, &end, 10);
    if (end == e->d_name || *end != '\0' || pid == getpid()) continue;
    // /proc/PID belongs to the process's effective user while it is
    // dumpable (to root otherwise: then no user but root reads it anyway).
    struct stat st {};
    if (stat(("/proc/" + std::string(e->d_name)).c_str(), &st) != 0 || st.st_uid != uid) continue;
    // The harness's other probes hold the secret on purpose (on stdin).
    if (comm_of(static_cast<pid_t>(pid)) != "trust_probe") out.push_back(static_cast<pid_t>(pid));
  }
  closedir(d);
  return out;
}

void report_found(Totals& t, const std::string& where) {
  if (t.found.insert(where).second) std::printf("FOUND the secret in %s\n", where.c_str());
}

bool contains(const std::vector<char>& buf, std::size_t n, const std::string& needle) {
  return memmem(buf.data(), n, needle.data(), needle.size()) != nullptr;
}

// Bytes [from, end of file) of an open file; true if the needle is there.
bool scan_file(int fd, std::uint64_t from, std::uint64_t& bytes, const std::string& needle) {
  std::vector<char> buf(std::size_t{1} << 20);
  auto at = static_cast<off_t>(from);
  for (;;) {
    const ssize_t n = pread(fd, buf.data(), buf.size(), at);
    if (n <= 0) return false;
    bytes += static_cast<std::uint64_t>(n);
    if (contains(buf, static_cast<std::size_t>(n), needle)) return true;
    if (static_cast<std::size_t>(n) < needle.size()) return false;
    at += n - static_cast<off_t>(needle.size() - 1);  // overlap the seam
  }
}

// The read position of a descriptor (/proc/PID/fdinfo/N, "pos:").
bool position_of(pid_t pid, const std::string& fd, std::uint64_t& pos) {
  std::ifstream info("/proc/" + std::to_string(pid) + "/fdinfo/" + fd);
  std::string line;
  while (std::getline(info, line)) {
    unsigned long long p = 0;
    if (std::sscanf(line.c_str(), "pos: %llu", &p) == 1) {
      pos = p;
      return true;
    }
  }
  return false;
}

// A fork checkpoint the parent has finished writing (kMargin): read whole
// once, and changed once if asked.
void checkpoint(const Options& o, Totals& t, pid_t pid, const std::string& fd, const std::string& path,
                const struct stat& st) {
  if (!o.fds && !o.flip_checkpoints) return;
  CheckpointSeen& c = t.checkpoints[st.st_ino];
  std::uint64_t pos = 0;
  const auto size = static_cast<std::uint64_t>(st.st_size);
  if (!position_of(pid, fd, pos) || pos + kMargin >= size) return;  // still being written (or gone, or late)
  if (!c.whole) {
    const int f = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (f < 0) return;
    std::uint64_t bytes = 0;
    if (scan_file(f, 0, bytes, o.needle))
      report_found(t, "a fork checkpoint (" + std::to_string(pid) + " fd " + fd + ")");
    close(f);
    c.whole = true;
    ++t.checkpoints_whole;
    t.largest_whole = std::max(t.largest_whole, bytes);
  }
  if (!o.flip_checkpoints || c.flipped || !exists(o.flip)) return;
  const int f = open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (f < 0) {
    std::printf("flip: cannot open %d's checkpoint for writing (%s)\n", pid, std::strerror(errno));
    return;
  }
  unsigned char b = 0;
  const auto last = static_cast<off_t>(size - 1);
  // The position once more, just before the write: a byte the child has
  // read already would prove nothing.
  if (position_of(pid, fd, pos) && pos + kMargin < size && pread(f, &b, 1, last) == 1) {
    b ^= 1;
    if (pwrite(f, &b, 1, last) == 1) {
      c.flipped = true;
      ++t.flipped;
      std::printf("flipped the last byte of a fork checkpoint (%llu bytes) held by %d, which had read %llu\n",
                  static_cast<unsigned long long>(size), pid, static_cast<unsigned long long>(pos));
    }
  }
  close(f);
}

void regular(const Options& o, Totals& t, pid_t pid, const std::string& path, std::string_view target,
             const struct stat& st) {
  if (st.st_dev == o.needle_dev && st.st_ino == o.needle_ino) return;
  FileSeen& seen = t.files_seen[{st.st_dev, st.st_ino}];
  const auto size = static_cast<std::uint64_t>(st.st_size);
  const std::int64_t mtime = st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
  std::uint64_t from = 0;
  const auto now = std::chrono::steady_clock::now();
  if (size > seen.scanned && seen.scanned > 0)
    from = seen.scanned - std::min<std::uint64_t>(seen.scanned, o.needle.size() - 1);  // what was appended
  else if (size == seen.scanned && (mtime == seen.mtime_ns || now < seen.next_whole))
    return;  // unchanged since the last look, or looked at whole a moment ago
  const int f = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (f < 0) return;
  ++t.files;
  if (scan_file(f, from, t.file_bytes, o.needle))
    report_found(
        t, "file " + path + " (" + std::string(target) + ") of " + std::to_string(pid) + " (" + comm_of(pid) + ")");
  close(f);
  seen.scanned = size;
  seen.mtime_ns = mtime;
  if (from == 0) {
    const auto took = std::chrono::steady_clock::now() - now;
    seen.next_whole = now + std::max<std::chrono::steady_clock::duration>(5 * took, std::chrono::milliseconds(100));
  }
}

// What is in a pipe now, copied with tee(2): the reader still gets it.
void pipe_peek(const Options& o, Totals& t, pid_t pid, const std::string& path) {
  const int in = open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (in < 0) return;
  int own[2];
  if (pipe2(own, O_CLOEXEC | O_NONBLOCK) != 0) {
    close(in);
    return;
  }
  ++t.pipes;
  const ssize_t n = tee(in, own[1], 65536, SPLICE_F_NONBLOCK);
  if (n > 0) {
    std::vector<char> buf(static_cast<std::size_t>(n));
    const ssize_t r = read(own[0], buf.data(), buf.size());
    if (r > 0) {
      t.pipe_bytes += static_cast<std::uint64_t>(r);
      if (contains(buf, static_cast<std::size_t>(r), o.needle))
        report_found(t, "pipe " + path + " of " + std::to_string(pid));
    }
  }
  close(own[0]);
  close(own[1]);
  close(in);
}

// What is queued on a socket now, without taking it (MSG_PEEK).
void socket_peek(const Options& o, Totals& t, pid_t pid, int fd) {
  const long pidfd = syscall(SYS_pidfd_open, pid, 0);
  if (pidfd < 0) return;
  const long s = syscall(SYS_pidfd_getfd, pidfd, fd, 0);
  close(static_cast<int>(pidfd));
  if (s < 0) return;
  ++t.sockets;
  std::vector<char> buf(65536);
  const ssize_t n = recv(static_cast<int>(s), buf.data(), buf.size(), MSG_PEEK | MSG_DONTWAIT);
  if (n > 0) {
    t.socket_bytes += static_cast<std::uint64_t>(n);
    if (contains(buf, static_cast<std::size_t>(n), o.needle))
      report_found(t, "socket " + std::to_string(fd) + " of " + std::to_string(pid));
  }
  close(static_cast<int>(s));
}

void descriptors(const Options& o, Totals& t, pid_t pid) {
  const std::string dir = "/proc/" + std::to_string(pid) + "/fd";
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return;
  std::vector<std::string> fds;
  while (const dirent* e = readdir(d))
    if (e->d_name[0] != '.') fds.emplace_back(e->d_name);
  closedir(d);
  for (const std::string& fd : fds) {
    const std::string path = dir + "/" + fd;
    char link[512];
    const ssize_t n = readlink(path.c_str(), link, sizeof link - 1);
    struct stat st {};
    if (n <= 0 || stat(path.c_str(), &st) != 0) continue;
    const std::string_view target(link, static_cast<std::size_t>(n));
    if (S_ISREG(st.st_mode) && target.starts_with(kCheckpoint)) checkpoint(o, t, pid, fd, path, st);
    if (!o.fds) continue;
    if (S_ISREG(st.st_mode)) {
      regular(o, t, pid, path, target, st);
    } else if (S_ISFIFO(st.st_mode)) {
      pipe_peek(o, t, pid, path);
    } else if (S_ISSOCK(st.st_mode)) {
      socket_peek(o, t, pid, std::atoi(fd.c_str()));
    }
  }
}

void memory(const Options& o, Totals& t, pid_t pid) {
  const MemoryScan s = scan_memory(pid, o.needle);
  if (!s.readable) return;  // gone, or Yama's (the test says which)
  ++t.mem_reads;
  t.mem_bytes += s.bytes;
  t.mem_pids.insert(pid);
  if (s.found) report_found(t, "the memory of " + std::to_string(pid) + " (" + comm_of(pid) + ")");
}

}  // namespace

int watch(int argc, char** argv) {
  if (argc != 6) return 2;
  Options o;
  o.uid = static_cast<uid_t>(std::strtoul(argv[2], nullptr, 10));
  o.stop = argv[3];
  o.flip = argv[4];
  const std::string what = std::string(",") + argv[5] + ",";
  o.mem = what.find(",mem,") != std::string::npos;
  o.fds = what.find(",fds,") != std::string::npos;
  o.flip_checkpoints = what.find(",flip,") != std::string::npos;
  o.once = what.find(",once,") != std::string::npos;
  struct stat in {};
  if (fstat(0, &in) == 0 && S_ISREG(in.st_mode)) {
    o.needle_dev = in.st_dev;
    o.needle_ino = in.st_ino;
  }
  o.needle.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  while (!o.needle.empty() && o.needle.back() == '\n') o.needle.pop_back();
  if (o.needle.size() < 8) return 2;
  std::setvbuf(stdout, nullptr, _IOLBF, 0);

  Totals t;
  const auto start = std::chrono::steady_clock::now();
  auto next_mem = start;
  while ((o.once && t.passes == 0) ||
         (!o.once && !exists(o.stop) && std::chrono::steady_clock::now() - start < kMaxRun)) {
    ++t.passes;
    const std::vector<pid_t> pids = processes_of(o.uid);
    if (o.fds || o.flip_checkpoints)
      for (const pid_t p : pids) descriptors(o, t, p);
    // The memory at most a fifth of the time (a library OS host on
    // isolated maps hundreds of MB, the test runs beside other work).
    if (o.mem && std::chrono::steady_clock::now() >= next_mem) {
      const auto began = std::chrono::steady_clock::now();
      for (const pid_t p : pids) memory(o, t, p);
      const auto took = std::chrono::steady_clock::now() - began;
      next_mem = began + std::max<std::chrono::steady_clock::duration>(5 * took, std::chrono::milliseconds(100));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::printf("watch: %llu passes\n", static_cast<unsigned long long>(t.passes));
  if (o.mem)
    std::printf("watch: memory: %llu reads of %zu processes, %llu bytes\n",
                static_cast<unsigned long long>(t.mem_reads), t.mem_pids.size(),
                static_cast<unsigned long long>(t.mem_bytes));
  if (o.fds)
    std::printf(
        "watch: descriptors: %llu file reads (%llu bytes), %llu pipe peeks (%llu bytes), %llu socket peeks "
        "(%llu bytes)\n",
        static_cast<unsigned long long>(t.files), static_cast<unsigned long long>(t.file_bytes),
        static_cast<unsigned long long>(t.pipes), static_cast<unsigned long long>(t.pipe_bytes),
        static_cast<unsigned long long>(t.sockets), static_cast<unsigned long long>(t.socket_bytes));
  if (o.fds || o.flip_checkpoints)
    std::printf("watch: checkpoints: %zu seen, %llu read whole (the largest %llu bytes), %llu flipped\n",
                t.checkpoints.size(), static_cast<unsigned long long>(t.checkpoints_whole),
                static_cast<unsigned long long>(t.largest_whole), static_cast<unsigned long long>(t.flipped));
  std::printf("watch: the secret found %s\n", t.found.empty() ? "nowhere" : "(above)");
  return t.found.empty() ? 0 : 1;
}

}  // namespace nsgx::probe
