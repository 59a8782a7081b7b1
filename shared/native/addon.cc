// Module entry point: builds the exports object from every concept's registration function. NODE_API_MODULE makes
// the module context-aware, so it can be loaded by several environments (vitest workers, worker threads).
#include <napi.h>

#include "register.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  RegisterFd(env, exports);
  RegisterMemfd(env, exports);
  RegisterMapping(env, exports);
  RegisterSigbusGuard(env, exports);
  RegisterSeqpacket(env, exports);
  RegisterPoller(env, exports);
  RegisterEventfd(env, exports);
  RegisterCrc(env, exports);
  RegisterInotify(env, exports);
  RegisterMallocPolicy(env, exports);
  RegisterTimerfd(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(pvdisplay_native, Init)
