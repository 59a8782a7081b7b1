// CRC-32 (zlib/IEEE) of rows of a byte array, computed on libuv's thread pool so that the JS thread never waits
// for it: a 1080p frame is 8 MB of memory reads, 4K four times that. The rows are read in place, through the very
// memory a mapping exposes; the caller keeps that memory mapped until the promise settles (the array itself is
// kept from garbage collection here). zlib is the one Node re-exports to addons, so this is the same function as
// node:zlib's crc32. A peer's truncation under a guarded mapping reads as zeros (the SIGBUS guard serves any thread).
#include <errno.h>
#include <zlib.h>

#include <cstdint>
#include <string>

#include "args.h"
#include "errors.h"
#include "register.h"

namespace {

class CrcJob : public Napi::AsyncWorker {
 public:
  CrcJob(Napi::Env env, Napi::Object bytes, const uint8_t* first, size_t rowBytes, size_t pitch, size_t rows)
      : Napi::AsyncWorker(env, "pvdisplay:crc32"),
        deferred_(Napi::Promise::Deferred::New(env)),
        first_(first),
        rowBytes_(rowBytes),
        pitch_(pitch),
        rows_(rows) {
    keep_ = Napi::Persistent(bytes);
  }

  Napi::Promise Promise() const { return deferred_.Promise(); }

  void Execute() override {
    uLong crc = crc32(0, Z_NULL, 0);
    // Rows without padding between them are one run: one call over all of it.
    if (pitch_ == rowBytes_) {
      crc = crc32_z(crc, first_, rowBytes_ * rows_);
    } else {
      for (size_t row = 0; row < rows_; row++) crc = crc32_z(crc, first_ + row * pitch_, rowBytes_);
    }
    crc_ = static_cast<uint32_t>(crc);
  }

  void OnOK() override { deferred_.Resolve(Napi::Number::New(Env(), crc_)); }

  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  Napi::ObjectReference keep_;
  const uint8_t* first_;
  size_t rowBytes_;
  size_t pitch_;
  size_t rows_;
  uint32_t crc_ = 0;
};

// crc32Rows(bytes: Uint8Array, offset, rowBytes, pitch, rows) → Promise<number>: the CRC of `rows` runs of
// `rowBytes` bytes, `pitch` apart, from `offset`. EINVAL unless every row lies inside `bytes`.
Napi::Value Crc32Rows(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    ThrowErrno(env, EINVAL, "crc32", "bytes must be a Uint8Array");
    return Napi::Value();
  }
  Napi::Uint8Array bytes = info[0].As<Napi::Uint8Array>();
  int64_t offset = 0;
  int64_t rowBytes = 0;
  int64_t pitch = 0;
  int64_t rows = 0;
  if (!ArgInt64(info, 1, "crc32", "offset", 0, kMaxSafeInteger, &offset)) return Napi::Value();
  if (!ArgInt64(info, 2, "crc32", "rowBytes", 1, kMaxSafeInteger, &rowBytes)) return Napi::Value();
  if (!ArgInt64(info, 3, "crc32", "pitch", rowBytes, kMaxSafeInteger, &pitch)) return Napi::Value();
  if (!ArgInt64(info, 4, "crc32", "rows", 1, kMaxSafeInteger, &rows)) return Napi::Value();
  const uint64_t length = bytes.ByteLength();
  // In doubles-safe ranges these products cannot overflow 64 bits unless the rows run far past any real buffer.
  if (static_cast<uint64_t>(rows - 1) > (length / static_cast<uint64_t>(pitch)) ||
      static_cast<uint64_t>(offset) + static_cast<uint64_t>(rows - 1) * static_cast<uint64_t>(pitch) +
              static_cast<uint64_t>(rowBytes) > length) {
    ThrowErrno(env, EINVAL, "crc32",
               std::to_string(rows) + " rows of " + std::to_string(rowBytes) + " bytes, " + std::to_string(pitch) +
                   " apart from " + std::to_string(offset) + ", exceed " + std::to_string(length) + " bytes");
    return Napi::Value();
  }
  const uint8_t* first = bytes.Data() + offset;
  CrcJob* job = new CrcJob(env, bytes, first, static_cast<size_t>(rowBytes), static_cast<size_t>(pitch),
                           static_cast<size_t>(rows));
  Napi::Promise promise = job->Promise();
  job->Queue();  // The worker deletes itself once its OnOK / OnError has run.
  return promise;
}

}  // namespace

void RegisterCrc(Napi::Env env, Napi::Object exports) {
  exports.Set("crc32Rows", Napi::Function::New(env, Crc32Rows, "crc32Rows"));
}
