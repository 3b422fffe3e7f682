// Message framing over a UNIX SOCK_SEQPACKET socket: one Header + body per
// message, optional descriptors (SCM_RIGHTS). Used by all three parties of
// the isolated backend; every receiver validates what it gets.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "runtime/isolated/protocol.h"

namespace nsgx::isolated {

struct Message {
  Header header{};
  std::vector<std::uint8_t> body;
  std::vector<int> fds;  // owned by the receiver (closed by ~Message unless taken)
  Message() = default;
  Message(const Message&) = delete;
  Message& operator=(const Message&) = delete;
  Message(Message&& o) noexcept : header(o.header), body(std::move(o.body)), fds(std::move(o.fds)) { o.fds.clear(); }
  Message& operator=(Message&& o) noexcept;
  ~Message();
  // Takes descriptor `i` out of the message (-1 if absent).
  int take_fd(std::size_t i);
};

// 0, or -errno. Bodies are sent as one message with the header in front.
int send_message(int fd, const Header& h, std::span<const std::uint8_t> body = {}, std::span<const int> fds = {});
// Same, failing with -EAGAIN instead of blocking when the peer's queue is
// full (a peer that does not read must not stall the sender).
int send_message_nowait(int fd, const Header& h, std::span<const std::uint8_t> body);
// Two-part body (fixed struct + tail) without copying them together first.
int send_message2(int fd, const Header& h, std::span<const std::uint8_t> a, std::span<const std::uint8_t> b,
                  std::span<const int> fds = {});
// 1 a message, 0 end of stream, -errno on error; -EMSGSIZE for a truncated
// or headerless message (the peer is broken or hostile).
int recv_message(int fd, Message& out);

template <typename T>
std::span<const std::uint8_t> bytes_of(const T& t) {
  return {reinterpret_cast<const std::uint8_t*>(&t), sizeof t};
}

int send_reply(int fd, const Header& request, const Reply& r, std::span<const std::uint8_t> tail = {});

}  // namespace nsgx::isolated
