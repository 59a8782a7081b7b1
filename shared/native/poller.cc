// fd readiness watchers on the Node event loop (uv_poll_t), so sockets and eventfds owned by the addon are
// serviced by the same loop as everything else and callbacks run on the JS thread.
//
// Lifetime: while a watcher is open its state holds strong references to the JS callback and to the Watcher
// object (an open watcher is reachable from the loop, like a socket). close() stops the handle at once, drops
// those references and hands the state to uv_close, whose close callback frees it; once `closing` is set the
// poll callback never calls into JS. At environment teardown an *async* cleanup hook closes whatever is still open
// and only reports completion once every close callback has run: a worker thread unloads the addon after its
// environment is gone, and a close callback left in its loop would then jump into unmapped code.
#include <errno.h>
#include <sys/socket.h>
#include <uv.h>

#include <unordered_set>

#include "args.h"
#include "errors.h"
#include "register.h"

namespace {

class WatcherWrap;
struct PollerEnv;

struct PollState {
  uv_poll_t handle;
  napi_env env;
  PollerEnv* owner;
  napi_ref callback;
  napi_ref self;
  napi_async_context async;
  WatcherWrap* wrap;
  int fd;
  bool closing;
};

// Per-environment data: the Watcher class, open watchers, and what teardown waits for.
struct PollerEnv {
  Napi::FunctionReference watcherClass;
  std::unordered_set<PollState*> open;
  size_t unfreed = 0;  // States handed to the loop and not yet freed by OnClosed (open or closing).
  bool tearingDown = false;
  napi_async_cleanup_hook_handle cleanupHandle = nullptr;
  uv_loop_t* loop = nullptr;
};

class WatcherWrap : public Napi::ObjectWrap<WatcherWrap> {
 public:
  static Napi::Function DefineClass(Napi::Env env) {
    return ObjectWrap<WatcherWrap>::DefineClass(env, "Watcher",
                                                {InstanceMethod<&WatcherWrap::Set>("set"),
                                                 InstanceMethod<&WatcherWrap::Close>("close")});
  }

  explicit WatcherWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<WatcherWrap>(info) {}
  ~WatcherWrap() override;

  PollState* state = nullptr;  // nullptr once closed (or for an object never attached to a handle).

 private:
  Napi::Value Set(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
};

// Parses 'r' | 'w' | 'rw'. UV_DISCONNECT is always included so a hung-up peer wakes a reader up (reported as
// readable, so the JS side reads EOF) instead of going unnoticed.
bool ParseEvents(const Napi::Value& value, int* mask) {
  if (!value.IsString()) return false;
  const std::string s = value.As<Napi::String>().Utf8Value();
  if (s == "r") {
    *mask = UV_READABLE | UV_DISCONNECT;
  } else if (s == "w") {
    *mask = UV_WRITABLE | UV_DISCONNECT;
  } else if (s == "rw") {
    *mask = UV_READABLE | UV_WRITABLE | UV_DISCONNECT;
  } else {
    return false;
  }
  return true;
}

void OnPoll(uv_poll_t* handle, int status, int events);  // Defined below; calls into JS.

// Last step of teardown: nothing of ours is left in the loop, so the environment may go (and unload us).
void FinishTeardown(PollerEnv* pollerEnv) {
  napi_async_cleanup_hook_handle handle = pollerEnv->cleanupHandle;
  delete pollerEnv;
  napi_remove_async_cleanup_hook(handle);
}

void OnClosed(uv_handle_t* handle) {
  PollState* state = static_cast<PollState*>(handle->data);
  PollerEnv* pollerEnv = state->owner;
  delete state;
  pollerEnv->unfreed--;
  if (pollerEnv->tearingDown && pollerEnv->unfreed == 0) FinishTeardown(pollerEnv);
}

// Stops the handle and releases everything that refers to JS; the memory goes in OnClosed. Must run on the
// environment's JS thread while the environment is still alive.
void CloseState(PollState* state) {
  state->closing = true;
  uv_poll_stop(&state->handle);
  napi_delete_reference(state->env, state->callback);
  napi_delete_reference(state->env, state->self);
  napi_async_destroy(state->env, state->async);
  if (state->wrap != nullptr) state->wrap->state = nullptr;
  state->wrap = nullptr;
  state->owner->open.erase(state);
  uv_close(reinterpret_cast<uv_handle_t*>(&state->handle), OnClosed);
}

WatcherWrap::~WatcherWrap() {
  // Unreachable in practice (an open watcher is strongly referenced, and teardown closes it first), but if it
  // ever happens, only stop the handle: this may run during teardown, where N-API calls are not safe.
  if (state != nullptr && !state->closing) {
    state->closing = true;
    state->wrap = nullptr;
    state->owner->open.erase(state);
    uv_close(reinterpret_cast<uv_handle_t*>(&state->handle), OnClosed);
  }
}

Napi::Value WatcherWrap::Set(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int mask = 0;
  if (!ParseEvents(info[0], &mask)) {
    ThrowErrno(env, EINVAL, "uv_poll_start", "events must be 'r', 'w' or 'rw'");
    return Napi::Value();
  }
  if (state == nullptr) return env.Undefined();  // Closed: nothing to change, and no callback may follow.
  const int err = uv_poll_start(&state->handle, mask, OnPoll);
  if (err < 0) {
    ThrowErrno(env, -err, "uv_poll_start", "fd " + std::to_string(state->fd));
    return Napi::Value();
  }
  return env.Undefined();
}

Napi::Value WatcherWrap::Close(const Napi::CallbackInfo& info) {
  if (state != nullptr) CloseState(state);  // Idempotent: a second close() does nothing.
  return info.Env().Undefined();
}

// Environment teardown: N-API is still usable here (the pending hook keeps the napi_env alive), JS is not.
void OnEnvTeardown(napi_async_cleanup_hook_handle handle, void* arg) {
  PollerEnv* pollerEnv = static_cast<PollerEnv*>(arg);
  pollerEnv->tearingDown = true;
  pollerEnv->cleanupHandle = handle;
  const std::unordered_set<PollState*> open = pollerEnv->open;  // CloseState erases from the live set.
  for (PollState* state : open) CloseState(state);
  if (pollerEnv->unfreed == 0) FinishTeardown(pollerEnv);  // Otherwise the last OnClosed finishes it.
}

void OnPoll(uv_poll_t* handle, int status, int events) {
  PollState* state = static_cast<PollState*>(handle->data);
  if (state->closing) return;
  napi_env env = state->env;
  Napi::HandleScope scope(env);

  napi_value callback = nullptr;
  napi_value self = nullptr;
  if (napi_get_reference_value(env, state->callback, &callback) != napi_ok || callback == nullptr) return;
  if (napi_get_reference_value(env, state->self, &self) != napi_ok || self == nullptr) return;

  napi_value argv[3];
  if (status < 0) {
    // libuv stopped the handle; it reports POLLERR as UV_EBADF, where a socket's SO_ERROR tells what really
    // happened (ECONNRESET: the peer closed with data unread). The JS side decides what to do.
    int err = -status;
    int soError = 0;
    socklen_t len = sizeof soError;
    if (status == UV_EBADF && getsockopt(state->fd, SOL_SOCKET, SO_ERROR, &soError, &len) == 0 && soError != 0) err = soError;
    argv[0] = ErrnoError(env, err, "poll", "fd " + std::to_string(state->fd)).Value();
    argv[1] = Napi::Boolean::New(env, false);
    argv[2] = Napi::Boolean::New(env, false);
  } else {
    argv[0] = Napi::Env(env).Null();
    argv[1] = Napi::Boolean::New(env, (events & (UV_READABLE | UV_DISCONNECT)) != 0);
    argv[2] = Napi::Boolean::New(env, (events & UV_WRITABLE) != 0);
  }
  // napi_make_callback (not a plain call) so that process.nextTick and promise jobs queued by the callback run
  // right after it, as for any other I/O callback. `state` must not be used afterwards: the callback may close.
  const napi_status status2 = napi_make_callback(env, state->async, self, callback, 3, argv, nullptr);
  if (status2 == napi_pending_exception) {
    // Nobody up the stack can catch it: report it like any uncaught exception thrown from an I/O callback.
    napi_value exception = nullptr;
    if (napi_get_and_clear_last_exception(env, &exception) == napi_ok) napi_fatal_exception(env, exception);
  }
}

Napi::Value Watch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  PollerEnv* pollerEnv = static_cast<PollerEnv*>(info.Data());
  int fd = 0;
  int mask = 0;
  if (!ArgFd(info, 0, "uv_poll_init", &fd)) return Napi::Value();
  if (!ParseEvents(info[1], &mask)) {
    ThrowErrno(env, EINVAL, "uv_poll_start", "events must be 'r', 'w' or 'rw'");
    return Napi::Value();
  }
  if (!info[2].IsFunction()) {
    ThrowErrno(env, EINVAL, "uv_poll_start", "callback must be a function");
    return Napi::Value();
  }

  Napi::Object object = pollerEnv->watcherClass.New({});
  if (env.IsExceptionPending()) return Napi::Value();
  WatcherWrap* wrap = WatcherWrap::Unwrap(object);

  PollState* state = new PollState();
  state->env = env;
  state->owner = pollerEnv;
  state->fd = fd;
  state->handle.data = state;
  // uv_poll_init fails before touching the loop (EEXIST if this fd is already watched, EPERM for regular files),
  // so on failure the state can be freed directly.
  int err = uv_poll_init(pollerEnv->loop, &state->handle, fd);
  if (err < 0) {
    delete state;
    ThrowErrno(env, -err, "uv_poll_init", "fd " + std::to_string(fd));
    return Napi::Value();
  }
  pollerEnv->unfreed++;  // From here on the state is freed only by OnClosed.
  err = uv_poll_start(&state->handle, mask, OnPoll);
  if (err < 0) {
    state->closing = true;
    uv_close(reinterpret_cast<uv_handle_t*>(&state->handle), OnClosed);
    ThrowErrno(env, -err, "uv_poll_start", "fd " + std::to_string(fd));
    return Napi::Value();
  }
  napi_create_reference(env, info[2], 1, &state->callback);
  napi_create_reference(env, object, 1, &state->self);
  napi_async_init(env, object, Napi::String::New(env, "pvdisplay.Watcher"), &state->async);
  state->wrap = wrap;
  wrap->state = state;
  pollerEnv->open.insert(state);
  return object;
}

}  // namespace

void RegisterPoller(Napi::Env env, Napi::Object exports) {
  PollerEnv* pollerEnv = new PollerEnv();
  pollerEnv->watcherClass = Napi::Persistent(WatcherWrap::DefineClass(env));
  if (napi_get_uv_event_loop(env, &pollerEnv->loop) != napi_ok) {
    ThrowErrno(env, EINVAL, "napi_get_uv_event_loop", "no event loop");
    delete pollerEnv;
    return;
  }
  if (napi_add_async_cleanup_hook(env, OnEnvTeardown, pollerEnv, nullptr) != napi_ok) {
    ThrowErrno(env, ENOMEM, "napi_add_async_cleanup_hook", "cannot register teardown");
    delete pollerEnv;
    return;
  }
  exports.Set("watch", Napi::Function::New(env, Watch, "watch", pollerEnv));
}
