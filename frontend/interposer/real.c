/* Resolving the functions the interposer wraps (the next object's definitions) and the raw syscalls it uses for
 * its own file work. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "interposer.h"

void *pvd_next(const char *name) {
  void *f = dlsym(RTLD_NEXT, name);
  if (!f) {
    /* no next definition means a libc we cannot run under: say so rather than jump to NULL */
    static const char msg[] = "libpvdisplay_preload: a libc function is missing\n";
    syscall(SYS_write, 2, msg, sizeof msg - 1);
    abort();
  }
  return f;
}

int sys_close(int fd) { return (int)syscall(SYS_close, fd); }
