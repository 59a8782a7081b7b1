// Typed entry point to the native addon (build/Release/pvdisplay_native.node): memfds, shared mappings, the SIGBUS
// guard, SOCK_SEQPACKET sockets with fd passing, eventfds and fd watchers on the Node loop. Everything that fails
// throws a NativeError (errno-style `code`, positive `errno`, `syscall`). See shared/native/*.cc for the details.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface NativeError extends Error {
  code: string;
  errno: number;
  syscall: string;
}

export interface Received {
  data: Buffer;
  fds: number[];
}

export type PollEvents = 'r' | 'w' | 'rw';

export interface Watcher {
  /** Changes the events watched; does nothing once closed. */
  set(events: PollEvents): void;
  /** Stops watching; the callback is never called again. Idempotent. Close the watcher before closing its fd. */
  close(): void;
}

export interface SealBits {
  SEAL: number;
  SHRINK: number;
  GROW: number;
  WRITE: number;
  FUTURE_WRITE: number;
}

export interface FileId {
  dev: number;
  ino: number;
}

interface Addon {
  PAGE_SIZE: number;
  SEAL: SealBits;
  memfdCreate(name: string, size: number, allowSealing: boolean): number;
  addSeals(fd: number, seals: number): void;
  getSeals(fd: number): number;
  isMemfd(fd: number): boolean;
  truncate(fd: number, size: number): void;
  punchHole(fd: number, offset: number, length: number): void;
  fileSize(fd: number): number;
  dup(fd: number): number;
  close(fd: number): void;
  fileId(fd: number): FileId;
  pipe(): [number, number];
  map(fd: number, offset: number, length: number, writable: boolean): ArrayBuffer;
  unmap(buf: ArrayBuffer): void;
  liveMappings(): number;
  guard(buf: ArrayBuffer): void;
  guardFaults(buf: ArrayBuffer): number;
  listen(path: string, backlog: number): number;
  connect(path: string): number;
  accept(fd: number): number | null;
  socketPair(): [number, number];
  send(fd: number, data: Uint8Array, fds: number[]): boolean;
  recv(fd: number, maxBytes: number): Received | null;
  recvInto(fd: number, into: Uint8Array, fds: number[]): number | null;
  timerfdCreate(): number;
  timerfdArm(fd: number, deadlineNs: bigint): void;
  timerfdRead(fd: number): number;
  peerCred(fd: number): { pid: number; uid: number; gid: number };
  watch(
    fd: number,
    events: PollEvents,
    cb: (err: NativeError | null, readable: boolean, writable: boolean) => void,
  ): Watcher;
  eventfd(initial: number): number;
  eventfdWrite(fd: number, value: number): boolean;
  eventfdRead(fd: number): number;
  isEventfd(fd: number): boolean;
  crc32Rows(bytes: Uint8Array, offset: number, rowBytes: number, pitch: number, rows: number, maxBands: number): Promise<number>;
  inotifyInit(): number;
  inotifyWatchFd(inotifyFd: number, fd: number): number;
  inotifyUnwatch(inotifyFd: number, wd: number): void;
  inotifyRead(inotifyFd: number): number[];
  fixMallocThresholds(bytes: number): boolean;
  mallocTrim(): boolean;
}

/** The package root: the first directory above this file holding binding.gyp (works from source and from dist/). */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'binding.gyp'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`pvdisplay: no binding.gyp above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

const addonPath = join(packageRoot(), 'build', 'Release', 'pvdisplay_native.node');
const addon = createRequire(import.meta.url)(addonPath) as Addon;

/** sysconf(_SC_PAGESIZE); map() offsets must be multiples of it. */
export const PAGE_SIZE: number = addon.PAGE_SIZE;
/** F_SEAL_* bits for addSeals / getSeals. */
export const SEAL: SealBits = addon.SEAL;

// Every fd created here is O_CLOEXEC; sockets and eventfds are O_NONBLOCK.

/** memfd_create(MFD_CLOEXEC [| MFD_ALLOW_SEALING]) + ftruncate(size). */
export function memfdCreate(name: string, size: number, allowSealing: boolean): number {
  return addon.memfdCreate(name, size, allowSealing);
}
/** fcntl(F_ADD_SEALS). */
export function addSeals(fd: number, seals: number): void {
  addon.addSeals(fd, seals);
}
/** fcntl(F_GET_SEALS); EINVAL for files that do not support seals. */
export function getSeals(fd: number): number {
  return addon.getSeals(fd);
}
/** True iff fd is a regular file whose /proc/self/fd link starts with "/memfd:". */
export function isMemfd(fd: number): boolean {
  return addon.isMemfd(fd);
}
/** ftruncate. */
export function truncate(fd: number, size: number): void {
  addon.truncate(fd, size);
}
/** fallocate(PUNCH_HOLE | KEEP_SIZE): the range reads as zeros, the size is unchanged. */
export function punchHole(fd: number, offset: number, length: number): void {
  addon.punchHole(fd, offset, length);
}
/** fstat st_size. */
export function fileSize(fd: number): number {
  return addon.fileSize(fd);
}
/** fcntl(F_DUPFD_CLOEXEC). */
export function dup(fd: number): number {
  return addon.dup(fd);
}
export function close(fd: number): void {
  addon.close(fd);
}

/** The identity of the open file behind `fd` (st_dev, st_ino): equal for two fds exactly when they name one file. */
export function fileId(fd: number): FileId {
  return addon.fileId(fd);
}

/** A pipe: [read end, write end], both close-on-exec and non-blocking. */
export function pipe(): [number, number] {
  return addon.pipe();
}
/**
 * MAP_SHARED mapping as an external ArrayBuffer (unmapped by unmap() or when garbage collected). Writing into a
 * read-only (writable=false) mapping from JS is a SIGSEGV, so only read such buffers.
 */
export function map(fd: number, offset: number, length: number, writable: boolean): ArrayBuffer {
  return addon.map(fd, offset, length, writable);
}
/** Detaches the ArrayBuffer (byteLength becomes 0), then munmaps; EINVAL if it is not a live mapping. */
export function unmap(buf: ArrayBuffer): void {
  addon.unmap(buf);
}
/** Mappings made by map() and not yet unmapped (explicitly or by GC), across the whole process. */
export function liveMappings(): number {
  return addon.liveMappings();
}
/** Registers a live mapping with the SIGBUS guard: faults in it then read zeros instead of killing the process. */
export function guard(buf: ArrayBuffer): void {
  addon.guard(buf);
}
/** SIGBUS faults the guard absorbed in this mapping (0 = none, or not guarded). */
export function guardFaults(buf: ArrayBuffer): number {
  return addon.guardFaults(buf);
}
/** AF_UNIX SOCK_SEQPACKET bind + listen; EADDRINUSE if the path exists. */
export function listen(path: string, backlog: number): number {
  return addon.listen(path, backlog);
}
/** AF_UNIX SOCK_SEQPACKET connect (completes immediately; EAGAIN if the listener's backlog is full). */
export function connect(path: string): number {
  return addon.connect(path);
}
/** accept4; null when no connection is pending. */
export function accept(fd: number): number | null {
  return addon.accept(fd);
}
export function socketPair(): [number, number] {
  return addon.socketPair();
}
/** One packet with SCM_RIGHTS fds (at most 253); false when the socket is full (EAGAIN). Empty data is EINVAL. */
export function send(fd: number, data: Uint8Array, fds: number[]): boolean {
  return addon.send(fd, data, fds);
}
/** One packet; null when none is queued; data.length 0 means EOF. Truncation throws EMSGSIZE (fds closed). */
export function recv(fd: number, maxBytes: number): Received | null {
  return addon.recv(fd, maxBytes);
}
/**
 * recv() into the caller's buffer: the byte count (0 means EOF), the packet's fds appended to `fds`; null when none
 * is queued. A packet longer than `into` throws EMSGSIZE (fds closed).
 */
export function recvInto(fd: number, into: Uint8Array, fds: number[]): number | null {
  return addon.recvInto(fd, into, fds);
}
/** SO_PEERCRED of a connected socket. */
export function peerCred(fd: number): { pid: number; uid: number; gid: number } {
  return addon.peerCred(fd);
}
/** Watches fd readiness on the Node loop; a hang-up is reported as readable. Keeps the loop alive until closed. */
export function watch(
  fd: number,
  events: PollEvents,
  cb: (err: NativeError | null, readable: boolean, writable: boolean) => void,
): Watcher {
  return addon.watch(fd, events, cb);
}
/** timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC): process.hrtime's clock. */
export function timerfdCreate(): number {
  return addon.timerfdCreate();
}
/** Arms the timer to expire once at `deadlineNs` on process.hrtime.bigint()'s clock (at once if that has passed). */
export function timerfdArm(fd: number, deadlineNs: bigint): void {
  addon.timerfdArm(fd, deadlineNs);
}
/** Expirations since the last read, clearing them; 0 when there were none. */
export function timerfdRead(fd: number): number {
  return addon.timerfdRead(fd);
}
/** eventfd(initial, EFD_NONBLOCK | EFD_CLOEXEC). */
export function eventfd(initial: number): number {
  return addon.eventfd(initial);
}
/**
 * Adds `value` to the counter; false when it would overflow (EAGAIN: the reader has not taken earlier kicks yet).
 * EINVAL for an fd in blocking mode: a peer that cleared O_NONBLOCK could otherwise stall the caller.
 */
export function eventfdWrite(fd: number, value: number): boolean {
  return addon.eventfdWrite(fd, value);
}
/** Reads and clears the counter; 0 when it was 0. EINVAL for an fd in blocking mode, as for eventfdWrite. */
export function eventfdRead(fd: number): number {
  return addon.eventfdRead(fd);
}
/** True iff fd is an eventfd (its /proc/self/fd link reads "anon_inode:[eventfd]"). */
export function isEventfd(fd: number): boolean {
  return addon.isEventfd(fd);
}
/**
 * CRC-32 (zlib's, as node:zlib crc32) of `rows` runs of `rowBytes` bytes, `pitch` apart from `offset`, computed on
 * libuv's thread pool, a big frame in up to `maxBands` (1 or 2) row bands at once. The memory is read in place: keep
 * it mapped (and unchanged, for a meaningful CRC) until the promise settles. EINVAL (thrown) unless every row lies
 * inside `bytes`.
 */
export function crc32Rows(bytes: Uint8Array, offset: number, rowBytes: number, pitch: number, rows: number, maxBands = 2): Promise<number> {
  return addon.crc32Rows(bytes, offset, rowBytes, pitch, rows, maxBands);
}
/** inotify_init1(IN_NONBLOCK | IN_CLOEXEC). */
export function inotifyInit(): number {
  return addon.inotifyInit();
}
/** Watches IN_OPEN and IN_CLOSE_* of the file behind `fd` (reached through /proc/self/fd); returns the wd. */
export function inotifyWatchFd(inotifyFd: number, fd: number): number {
  return addon.inotifyWatchFd(inotifyFd, fd);
}
/** Removes a watch (one the kernel already dropped is no error). */
export function inotifyUnwatch(inotifyFd: number, wd: number): void {
  addon.inotifyUnwatch(inotifyFd, wd);
}
/** Every queued event, flat: [wd, mask, wd, mask, ...]; empty when none is queued. */
export function inotifyRead(inotifyFd: number): number[] {
  return addon.inotifyRead(inotifyFd);
}
/**
 * mallopt(M_MMAP_THRESHOLD and M_TRIM_THRESHOLD, bytes): blocks of at least `bytes` are mmapped and unmapped when
 * freed, and freed heap above `bytes` at the top is given back, whatever sizes were freed before (glibc otherwise
 * raises both after each big free). For long-running processes whose peers may send big messages; false where the C
 * library is not glibc.
 */
export function fixMallocThresholds(bytes = 256 * 1024): boolean {
  return addon.fixMallocThresholds(bytes);
}
/** malloc_trim(0): every whole free page of every malloc arena goes back to the system; false where nothing did. */
export function mallocTrim(): boolean {
  return addon.mallocTrim();
}
