{
  "targets": [
    {
      "target_name": "pvdisplay_native",
      "sources": [
        "shared/native/addon.cc",
        "shared/native/args.cc",
        "shared/native/errors.cc",
        "shared/native/eventfd.cc",
        "shared/native/fd.cc",
        "shared/native/mapping.cc",
        "shared/native/memfd.cc",
        "shared/native/poller.cc",
        "shared/native/seqpacket.cc",
        "shared/native/sigbus_guard.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra"],
      # Never unload the addon: the process-wide SIGBUS handler and its table live in it, and a worker thread
      # would otherwise dlclose it at exit while the handler stays installed.
      "ldflags": ["-Wl,-z,nodelete"]
    }
  ]
}
