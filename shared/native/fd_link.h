// What an fd is, as the kernel tells it: its fstat and the text of its /proc/self/fd link ("/memfd:name (deleted)",
// "anon_inode:[eventfd]", "pipe:[123]"), for recognising what a peer handed over.
#pragma once

#include <napi.h>
#include <sys/stat.h>

#include <string>

// For the fd in argument `index`: fills *st and *link; returns false after leaving an errno error pending (EINVAL
// for an argument that is no fd, EBADF for a closed fd).
bool FdLink(const Napi::CallbackInfo& info, size_t index, struct stat* st, std::string* link);

// True iff s begins with prefix.
bool StartsWith(const std::string& s, const char* prefix);
