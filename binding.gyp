{
  "targets": [
    {
      "target_name": "pvdisplay_native",
      "sources": [
        "shared/native/addon.cc",
        "shared/native/args.cc",
        "shared/native/counter.cc",
        "shared/native/crc.cc",
        "shared/native/errors.cc",
        "shared/native/eventfd.cc",
        "shared/native/fd.cc",
        "shared/native/inotify.cc",
        "shared/native/malloc_policy.cc",
        "shared/native/mapping.cc",
        "shared/native/memfd.cc",
        "shared/native/poller.cc",
        "shared/native/seqpacket.cc",
        "shared/native/sigbus_guard.cc",
        "shared/native/sigbus_table.cc",
        "shared/native/timerfd.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra"],
      # Never unload the addon: the process-wide SIGBUS handler and its table live in it, and a worker thread
      # would otherwise dlclose it at exit while the handler stays installed.
      "ldflags": ["-Wl,-z,nodelete"]
    }
  ],
  # The LD_PRELOAD interposer for unmodified DRM programs (docs/interposer.md). Built only where the kernel's DRM
  # uapi headers are (Debian: libdrm-dev); without them `pvdisplay run` says what to install.
  "conditions": [
    ["<!(sh -c 'test -f /usr/include/libdrm/drm_mode.h && echo 1 || echo 0')==1", {
      "targets": [
        {
          "target_name": "pvdisplay_preload",
          "type": "shared_library",
          "product_dir": "<(PRODUCT_DIR)",
          "product_prefix": "lib",
          "sources": [
            "frontend/interposer/atomic.c",
            "frontend/interposer/channel.c",
            "frontend/interposer/fdtable.c",
            "frontend/interposer/fileops.c",
            "frontend/interposer/ioctl.c",
            "frontend/interposer/kms.c",
            "frontend/interposer/mem.c",
            "frontend/interposer/mode.c",
            "frontend/interposer/msgpack.c",
            "frontend/interposer/paths.c",
            "frontend/interposer/real.c",
            "frontend/interposer/umem.c"
          ],
          "include_dirs": ["/usr/include/libdrm"],
          "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-fvisibility=hidden"],
          # each libc entry point is defined under its own name: no large-file renaming of open/mmap/fcntl
          "defines!": ["_FILE_OFFSET_BITS=64", "_LARGEFILE_SOURCE"],
          "libraries": ["-ldl", "-lpthread"]
        }
      ]
    }]
  ]

}
