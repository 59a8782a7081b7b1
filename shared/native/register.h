// One registration function per concept; addon.cc calls them all to build the module's exports.
#pragma once

#include <napi.h>

void RegisterFd(Napi::Env env, Napi::Object exports);
void RegisterMemfd(Napi::Env env, Napi::Object exports);
void RegisterMapping(Napi::Env env, Napi::Object exports);
void RegisterSigbusGuard(Napi::Env env, Napi::Object exports);
void RegisterSeqpacket(Napi::Env env, Napi::Object exports);
void RegisterPoller(Napi::Env env, Napi::Object exports);
void RegisterEventfd(Napi::Env env, Napi::Object exports);
void RegisterCrc(Napi::Env env, Napi::Object exports);
void RegisterInotify(Napi::Env env, Napi::Object exports);
void RegisterMallocPolicy(Napi::Env env, Napi::Object exports);
void RegisterTimerfd(Napi::Env env, Napi::Object exports);
