// CRC-32 (zlib/IEEE) of rows of a byte array, computed on libuv's thread pool so that the JS thread never waits
// for it: a 1080p frame is 8 MB of memory reads, 4K four times that; big frames in two bands at once. The rows are read in place, through the very
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

// A frame of this many bytes or more is split into row bands computed on threads of their own and combined
// (crc32_combine64), so that a 4K frame takes a fraction of one thread's time where cores are free. Two bands: the
// pool has four threads and the recorder's writes use them too.
constexpr uint64_t kBandMinBytes = uint64_t{2} << 20;
constexpr int64_t kMaxBands = 2;

// What the bands of one call share; only the JS thread touches it (OnOK), so no locking.
struct Frame {
  Napi::Promise::Deferred deferred;
  Napi::ObjectReference keep;
  uLong crcs[kMaxBands] = {};
  z_off64_t lengths[kMaxBands] = {};
  size_t bands = 0;
  size_t pending = 0;

  explicit Frame(Napi::Env env) : deferred(Napi::Promise::Deferred::New(env)) {}

  void BandDone(size_t index, uLong crc) {
    crcs[index] = crc;
    if (--pending > 0) return;
    uLong all = crcs[0];
    for (size_t i = 1; i < bands; i++) all = crc32_combine64(all, crcs[i], lengths[i]);
    deferred.Resolve(Napi::Number::New(deferred.Env(), static_cast<uint32_t>(all)));
    delete this;
  }
};

class BandJob : public Napi::AsyncWorker {
 public:
  BandJob(Napi::Env env, Frame* frame, size_t index, const uint8_t* first, size_t rowBytes, size_t pitch, size_t rows)
      : Napi::AsyncWorker(env, "pvdisplay:crc32"),
        frame_(frame),
        index_(index),
        first_(first),
        rowBytes_(rowBytes),
        pitch_(pitch),
        rows_(rows) {}

  void Execute() override {
    uLong crc = crc32(0, Z_NULL, 0);
    // Rows without padding between them are one run: one call over all of it.
    if (pitch_ == rowBytes_) {
      crc = crc32_z(crc, first_, rowBytes_ * rows_);
    } else {
      for (size_t row = 0; row < rows_; row++) crc = crc32_z(crc, first_ + row * pitch_, rowBytes_);
    }
    crc_ = crc;
  }

  void OnOK() override { frame_->BandDone(index_, crc_); }

 private:
  Frame* frame_;
  size_t index_;
  const uint8_t* first_;
  size_t rowBytes_;
  size_t pitch_;
  size_t rows_;
  uLong crc_ = 0;
};

// crc32Rows(bytes: Uint8Array, offset, rowBytes, pitch, rows, maxBands) → Promise<number>: the CRC of `rows` runs
// of `rowBytes` bytes, `pitch` apart, from `offset`, in at most `maxBands` (1 or 2) bands at once. EINVAL unless
// every row lies inside `bytes`.
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
  int64_t maxBands = 0;
  if (!ArgInt64(info, 5, "crc32", "maxBands", 1, kMaxBands, &maxBands)) return Napi::Value();
  const uint64_t length = bytes.ByteLength();
  // (rows - 1) * pitch is checked against the length before it is computed, so nothing here overflows.
  if (static_cast<uint64_t>(rows - 1) > (length / static_cast<uint64_t>(pitch)) ||
      static_cast<uint64_t>(offset) + static_cast<uint64_t>(rows - 1) * static_cast<uint64_t>(pitch) +
              static_cast<uint64_t>(rowBytes) > length) {
    ThrowErrno(env, EINVAL, "crc32",
               std::to_string(rows) + " rows of " + std::to_string(rowBytes) + " bytes, " + std::to_string(pitch) +
                   " apart from " + std::to_string(offset) + ", exceed " + std::to_string(length) + " bytes");
    return Napi::Value();
  }
  const uint8_t* first = bytes.Data() + offset;
  const size_t total = static_cast<size_t>(rows) * static_cast<size_t>(rowBytes);
  const size_t bands = total >= kBandMinBytes && rows >= maxBands ? static_cast<size_t>(maxBands) : 1;
  Frame* frame = new Frame(env);
  frame->keep = Napi::Persistent(bytes.As<Napi::Object>());
  frame->bands = bands;
  frame->pending = bands;
  Napi::Promise promise = frame->deferred.Promise();
  size_t row = 0;
  for (size_t i = 0; i < bands; i++) {
    const size_t count = static_cast<size_t>(rows) / bands + (i < static_cast<size_t>(rows) % bands ? 1 : 0);
    frame->lengths[i] = static_cast<z_off64_t>(count * static_cast<size_t>(rowBytes));
    // Each worker deletes itself once its OnOK has run; the last one resolves and frees the frame.
    (new BandJob(env, frame, i, first + row * static_cast<size_t>(pitch), static_cast<size_t>(rowBytes),
                 static_cast<size_t>(pitch), count))
        ->Queue();
    row += count;
  }
  return promise;
}

}  // namespace

void RegisterCrc(Napi::Env env, Napi::Object exports) {
  exports.Set("crc32Rows", Napi::Function::New(env, Crc32Rows, "crc32Rows"));
}
