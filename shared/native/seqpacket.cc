// AF_UNIX SOCK_SEQPACKET sockets: the control channel between frontend and backend. Sequenced packets keep
// message boundaries (one sendmsg = one recvmsg) and carry fds (memfds, eventfds) with SCM_RIGHTS.
// All sockets are non-blocking and close-on-exec; would-block is reported as false/null, never thrown.
#include <errno.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <climits>
#include <cstring>
#include <memory>
#include <new>
#include <vector>

#include "args.h"
#include "errors.h"
#include "register.h"

namespace {

constexpr size_t kMaxFds = 253;  // SCM_MAX_FD: the most fds the kernel passes in one message.
// Well above any packet a socket buffer normally holds; stops a bad argument from allocating gigabytes.
constexpr int64_t kMaxRecvBytes = int64_t{64} << 20;
// Receive buffers up to this size are reused (shared/channel.ts's MAX_PACKET).
constexpr int64_t kReusedRecvBytes = int64_t{256} << 10;
constexpr int kSocketFlags = SOCK_NONBLOCK | SOCK_CLOEXEC;

std::string FdDetail(int fd) { return "fd " + std::to_string(fd); }

// Fills a sockaddr_un for a filesystem path; false (with an error pending) when the path cannot fit.
bool UnixAddress(Napi::Env env, const char* syscall, const std::string& path, sockaddr_un* addr, socklen_t* len) {
  std::memset(addr, 0, sizeof *addr);
  addr->sun_family = AF_UNIX;
  if (path.empty()) {
    ThrowErrno(env, EINVAL, syscall, "empty socket path");
    return false;
  }
  if (path.size() >= sizeof addr->sun_path) {
    ThrowErrno(env, ENAMETOOLONG, syscall, "socket path longer than " + std::to_string(sizeof addr->sun_path - 1));
    return false;
  }
  std::memcpy(addr->sun_path, path.data(), path.size());
  *len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + 1);
  return true;
}

Napi::Value Listen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path;
  int64_t backlog = 0;
  if (!ArgString(info, 0, "bind", "path", &path)) return Napi::Value();
  if (!ArgInt64(info, 1, "listen", "backlog", 0, INT_MAX, &backlog)) return Napi::Value();
  sockaddr_un addr;
  socklen_t addrLen = 0;
  if (!UnixAddress(env, "bind", path, &addr, &addrLen)) return Napi::Value();

  const int fd = socket(AF_UNIX, SOCK_SEQPACKET | kSocketFlags, 0);
  if (fd < 0) {
    ThrowErrno(env, errno, "socket", "AF_UNIX SOCK_SEQPACKET");
    return Napi::Value();
  }
  // bind fails with EADDRINUSE when anything already exists at the path; we never unlink it for the caller.
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), addrLen) != 0) {
    const int err = errno;
    close(fd);
    ThrowErrno(env, err, "bind", path);
    return Napi::Value();
  }
  if (listen(fd, static_cast<int>(backlog)) != 0) {
    const int err = errno;
    close(fd);
    ThrowErrno(env, err, "listen", path);
    return Napi::Value();
  }
  return Napi::Number::New(env, fd);
}

Napi::Value Connect(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path;
  if (!ArgString(info, 0, "connect", "path", &path)) return Napi::Value();
  sockaddr_un addr;
  socklen_t addrLen = 0;
  if (!UnixAddress(env, "connect", path, &addr, &addrLen)) return Napi::Value();

  const int fd = socket(AF_UNIX, SOCK_SEQPACKET | kSocketFlags, 0);
  if (fd < 0) {
    ThrowErrno(env, errno, "socket", "AF_UNIX SOCK_SEQPACKET");
    return Napi::Value();
  }
  // A non-blocking AF_UNIX connect completes at once or fails (EAGAIN when the listener's backlog is full);
  // it never returns EINPROGRESS, so there is no pending state to track.
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), addrLen) != 0) {
    const int err = errno;
    close(fd);
    ThrowErrno(env, err, "connect", path);
    return Napi::Value();
  }
  return Napi::Number::New(env, fd);
}

Napi::Value Accept(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = 0;
  if (!ArgFd(info, 0, "accept4", &fd)) return Napi::Value();
  const int conn = accept4(fd, nullptr, nullptr, kSocketFlags);
  if (conn < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return env.Null();
    ThrowErrno(env, errno, "accept4", FdDetail(fd));
    return Napi::Value();
  }
  return Napi::Number::New(env, conn);
}

Napi::Value SocketPair(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | kSocketFlags, 0, fds) != 0) {
    ThrowErrno(env, errno, "socketpair", "AF_UNIX SOCK_SEQPACKET");
    return Napi::Value();
  }
  Napi::Array pair = Napi::Array::New(env, 2);
  pair.Set(uint32_t{0}, Napi::Number::New(env, fds[0]));
  pair.Set(uint32_t{1}, Napi::Number::New(env, fds[1]));
  return pair;
}

Napi::Value Send(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = 0;
  if (!ArgFd(info, 0, "sendmsg", &fd)) return Napi::Value();
  if (!info[1].IsTypedArray() || info[1].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    ThrowErrno(env, EINVAL, "sendmsg", "data must be a Uint8Array");
    return Napi::Value();
  }
  Napi::Uint8Array data = info[1].As<Napi::Uint8Array>();
  // A zero-length packet would be indistinguishable from EOF at the receiver.
  if (data.ByteLength() == 0) {
    ThrowErrno(env, EINVAL, "sendmsg", "empty message");
    return Napi::Value();
  }
  if (!info[2].IsArray()) {
    ThrowErrno(env, EINVAL, "sendmsg", "fds must be an array");
    return Napi::Value();
  }
  Napi::Array fdArray = info[2].As<Napi::Array>();
  const uint32_t fdCount = fdArray.Length();
  if (fdCount > kMaxFds) {
    ThrowErrno(env, EINVAL, "sendmsg", "more than " + std::to_string(kMaxFds) + " fds");
    return Napi::Value();
  }
  std::vector<int> fds(fdCount);
  for (uint32_t i = 0; i < fdCount; ++i) {
    int64_t v = 0;
    if (!ValueToInt64(fdArray.Get(i), 0, INT_MAX, &v)) {
      ThrowErrno(env, EINVAL, "sendmsg", "fds[" + std::to_string(i) + "] is not a valid fd");
      return Napi::Value();
    }
    fds[i] = static_cast<int>(v);
  }

  iovec iov;
  iov.iov_base = data.Data();
  iov.iov_len = data.ByteLength();
  msghdr msg;
  std::memset(&msg, 0, sizeof msg);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  std::vector<char> control;
  if (fdCount > 0) {
    control.assign(CMSG_SPACE(sizeof(int) * fdCount), 0);
    msg.msg_control = control.data();
    msg.msg_controllen = control.size();
    cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int) * fdCount);
    std::memcpy(CMSG_DATA(cmsg), fds.data(), sizeof(int) * fdCount);
  }
  // MSG_NOSIGNAL: a closed peer must surface as EPIPE, not as a process-killing SIGPIPE.
  ssize_t sent;
  do {
    sent = sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return Napi::Boolean::New(env, false);
    ThrowErrno(env, errno, "sendmsg", FdDetail(fd));
    return Napi::Value();
  }
  return Napi::Boolean::New(env, true);
}

void CloseAll(const std::vector<int>& fds) {
  for (int fd : fds) close(fd);
}

// One recvmsg into `buffer`: the byte count (0 is EOF) with the fds in `fds`, kWouldBlock when no packet is queued,
// or kFailed with an error pending. A truncated message is EMSGSIZE, its fds closed.
constexpr ssize_t kWouldBlock = -1;
constexpr ssize_t kFailed = -2;
ssize_t ReceiveInto(Napi::Env env, int fd, char* buffer, size_t size, std::vector<int>* fds) {
  // Room for SCM_MAX_FD fds so that a legitimate message is never cut short (MSG_CTRUNC) by our own buffer.
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFds)];
  iovec iov;
  iov.iov_base = buffer;
  iov.iov_len = size;
  msghdr msg;
  std::memset(&msg, 0, sizeof msg);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;

  ssize_t n;
  do {
    n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return kWouldBlock;
    ThrowErrno(env, errno, "recvmsg", FdDetail(fd));
    return kFailed;
  }

  for (cmsghdr* cmsg = CMSG_FIRSTHDR(&msg); cmsg != nullptr; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
    if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS) continue;
    const size_t count = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    const unsigned char* p = CMSG_DATA(cmsg);
    for (size_t i = 0; i < count; ++i) {
      int received;
      std::memcpy(&received, p + i * sizeof(int), sizeof(int));  // CMSG_DATA is not guaranteed int-aligned.
      fds->push_back(received);
    }
  }
  if ((msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0) {
    // A partial message is useless and its fds would leak if we dropped them on the floor.
    CloseAll(*fds);
    fds->clear();
    ThrowErrno(env, EMSGSIZE, "recvmsg",
               (msg.msg_flags & MSG_TRUNC) != 0 ? "message longer than " + std::to_string(size) + " bytes"
                                                 : "control data truncated");
    return kFailed;
  }
  return n;
}

Napi::Value Recv(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = 0;
  int64_t maxBytes = 0;
  if (!ArgFd(info, 0, "recvmsg", &fd)) return Napi::Value();
  // At least one byte: with a zero-byte buffer every message would look like EOF (and be truncated).
  if (!ArgInt64(info, 1, "recvmsg", "maxBytes", 1, kMaxRecvBytes, &maxBytes)) return Napi::Value();

  // Not zero-filled: only the n bytes the kernel writes are ever copied out. Packets up to kReusedRecvBytes (the
  // channels' limit) land in one buffer per thread: a fresh 256 KiB block per packet was a malloc, and with fixed
  // malloc thresholds an mmap and munmap, on every request of the flip path.
  thread_local std::unique_ptr<char[]> reused;
  std::unique_ptr<char[]> own;
  char* buffer = nullptr;
  if (maxBytes <= kReusedRecvBytes) {
    if (!reused) reused.reset(new (std::nothrow) char[kReusedRecvBytes]);
    buffer = reused.get();
  } else {
    own.reset(new (std::nothrow) char[static_cast<size_t>(maxBytes)]);
    buffer = own.get();
  }
  if (buffer == nullptr) {
    ThrowErrno(env, ENOMEM, "recvmsg", "cannot allocate " + std::to_string(maxBytes) + " bytes");
    return Napi::Value();
  }
  std::vector<int> fds;
  const ssize_t n = ReceiveInto(env, fd, buffer, static_cast<size_t>(maxBytes), &fds);
  if (n == kWouldBlock) return env.Null();
  if (n == kFailed) return Napi::Value();

  Napi::Object result = Napi::Object::New(env);
  result.Set("data", Napi::Buffer<char>::Copy(env, buffer, static_cast<size_t>(n)));
  Napi::Array fdArray = Napi::Array::New(env, fds.size());
  for (size_t i = 0; i < fds.size(); ++i) fdArray.Set(static_cast<uint32_t>(i), Napi::Number::New(env, fds[i]));
  result.Set("fds", fdArray);
  return result;
}

// recvInto(fd, into, fds) → byte count | null: the packet lands in the caller's buffer and its fds are appended to
// `fds`, so a channel that decodes each packet before the next allocates nothing per packet here.
Napi::Value RecvInto(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = 0;
  if (!ArgFd(info, 0, "recvmsg", &fd)) return Napi::Value();
  if (!info[1].IsTypedArray() || info[1].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array ||
      info[1].As<Napi::Uint8Array>().ByteLength() == 0) {
    ThrowErrno(env, EINVAL, "recvmsg", "into must be a non-empty Uint8Array");
    return Napi::Value();
  }
  if (!info[2].IsArray()) {
    ThrowErrno(env, EINVAL, "recvmsg", "fds must be an array");
    return Napi::Value();
  }
  Napi::Uint8Array into = info[1].As<Napi::Uint8Array>();
  Napi::Array fdArray = info[2].As<Napi::Array>();
  std::vector<int> fds;
  const ssize_t n = ReceiveInto(env, fd, reinterpret_cast<char*>(into.Data()), into.ByteLength(), &fds);
  if (n == kWouldBlock) return env.Null();
  if (n == kFailed) return Napi::Value();
  const uint32_t base = fdArray.Length();
  for (size_t i = 0; i < fds.size(); ++i) fdArray.Set(base + static_cast<uint32_t>(i), Napi::Number::New(env, fds[i]));
  return Napi::Number::New(env, static_cast<double>(n));
}

Napi::Value PeerCred(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = 0;
  if (!ArgFd(info, 0, "getsockopt", &fd)) return Napi::Value();
  ucred cred;
  socklen_t len = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
    ThrowErrno(env, errno, "getsockopt", "SO_PEERCRED " + FdDetail(fd));
    return Napi::Value();
  }
  Napi::Object result = Napi::Object::New(env);
  result.Set("pid", Napi::Number::New(env, cred.pid));
  result.Set("uid", Napi::Number::New(env, cred.uid));
  result.Set("gid", Napi::Number::New(env, cred.gid));
  return result;
}

}  // namespace

void RegisterSeqpacket(Napi::Env env, Napi::Object exports) {
  exports.Set("listen", Napi::Function::New(env, Listen, "listen"));
  exports.Set("connect", Napi::Function::New(env, Connect, "connect"));
  exports.Set("accept", Napi::Function::New(env, Accept, "accept"));
  exports.Set("socketPair", Napi::Function::New(env, SocketPair, "socketPair"));
  exports.Set("send", Napi::Function::New(env, Send, "send"));
  exports.Set("recv", Napi::Function::New(env, Recv, "recv"));
  exports.Set("recvInto", Napi::Function::New(env, RecvInto, "recvInto"));
  exports.Set("peerCred", Napi::Function::New(env, PeerCred, "peerCred"));
}
