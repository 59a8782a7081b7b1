// errno-style JS errors: every failure the addon reports is a JS Error carrying `code`, `errno` and `syscall`,
// so the TypeScript side can treat kernel failures and argument failures the same way.
#pragma once

#include <napi.h>

#include <string>

// Builds `Error("<CODE>: <syscall> failed (<detail>)")` with code/errno/syscall properties (errno is positive).
Napi::Error ErrnoError(Napi::Env env, int err, const char* syscall, const std::string& detail);

// Builds the error above and leaves it pending as a JS exception; callers then return immediately.
void ThrowErrno(Napi::Env env, int err, const char* syscall, const std::string& detail);
