// PRIME: handle → fd exports the buffer's memfd (the same file every time); fd → handle gives back this file's
// handle for an object it already has through PRIME (or that an open export keeps alive), a new handle for another
// file, and imports a foreign memfd as a new buffer (DBUF_CREATE with width = height = bpp = 0 and the fd's size,
// as Linux does).
import type { KmsArgs, KmsResult } from '../../protocol/kms/ops.js';
import { pvError } from '../../shared/errors.js';
import * as native from '../../shared/native/index.js';
import type { KmsDevice } from './device.js';
import type { DrmFile } from './file.js';
import { fileKey, newGem } from './gem-ops.js';
import { MAX_WRITE_FENCES } from './gem.js';
import { checkImport } from './import-check.js';
import { Fence } from '../../shared/fence.js';
import type { Segment } from '../../shared/shm.js';

const DRM_CLOEXEC = 0o2000000;
const DRM_RDWR = 0o2;

/**
 * A new open of the buffer's memfd, read-write with DRM_RDWR, else read-only so that a shared writable mapping fails
 * as the VFS rules make it fail for a read-only dma-buf (PMM-15). Either way fstat names the same file, and the
 * object lives while the export is open (dma-bufs.ts).
 */
export function handleToFd(dev: KmsDevice, file: DrmFile, a: KmsArgs<'PRIME_HANDLE_TO_FD'>): { result: KmsResult<'PRIME_HANDLE_TO_FD'>; fd: number; owned: boolean } {
  if (a.flags & ~(DRM_CLOEXEC | DRM_RDWR)) throw pvError('EINVAL', `bad PRIME flags 0x${a.flags.toString(16)}`);
  const obj = file.handles.get(a.handle);
  if (!obj) throw pvError('ENOENT', `no buffer with handle ${a.handle}`);
  if (!file.primeCache.has(obj)) file.primeCache.set(obj, a.handle);
  return { result: { flags: a.flags }, fd: dev.dmaBufs.export(obj, (a.flags & DRM_RDWR) !== 0), owned: true };
}

/** Takes ownership of `fd` (closed here unless it becomes an imported buffer's memfd). */
export async function fdToHandle(dev: KmsDevice, file: DrmFile, fd: number | undefined): Promise<KmsResult<'PRIME_FD_TO_HANDLE'>> {
  if (fd === undefined) throw pvError('EBADF', 'PRIME_FD_TO_HANDLE needs the dma-buf fd attached');
  let owned = true;
  try {
    const known = dev.primeObjects.get(fileKey(fd));
    if (known) {
      const cached = file.primeCache.get(known);
      if (cached !== undefined) return { handle: cached };
      const handle = file.newHandle(known.get());
      file.primeCache.set(known, handle);
      return { handle };
    }
    const size = checkImport(fd);
    const release = dev.budgets.chargeBuffer(file, size);
    const cookie = dev.cookie();
    let seg: Segment;
    try {
      seg = dev.backend.adoptSegment(fd, size);
    } catch (e) {
      release();
      throw e;
    }
    owned = false;
    try {
      await dev.backend.createDbuf({ cookie, seg, width: 0, height: 0, bpp: 0, size });
    } catch (e) {
      seg.release();
      release();
      throw e;
    }
    const obj = newGem(dev, seg, cookie, { width: 0, height: 0, bpp: 0, pitch: 0, size, imported: true }, release);
    const handle = file.newHandle(obj.get());
    file.primeCache.set(obj, handle);
    return { handle };
  } finally {
    if (owned) native.close(fd);
  }
}

/**
 * EXPORT_SYNC_FILE: a fence that signals once the backend no longer scans the buffer out (already signalled when
 * it does not). Its read end rides along with the reply: owned by the reply when signalled, else kept by the
 * buffer until retirement.
 */
export function exportFence(dev: KmsDevice, file: DrmFile, handle: number): { result: object; fd: number; owned: boolean } {
  const obj = file.handles.get(handle);
  if (!obj) throw pvError('ENOENT', `no buffer with handle ${handle}`);
  if (!dev.onScreen().has(obj)) {
    const fence = Fence.create();
    fence.signal();
    return { result: {}, fd: fence.fd, owned: true };
  }
  // Held until the buffer leaves the screen: two fds each, charged to the file.
  const release = dev.budgets.fences.charge(file, 2);
  const fence = Fence.create();
  obj.releaseFences.push({ fence, release });
  return { result: {}, fd: fence.fd, owned: false };
}

/** IMPORT_SYNC_FILE: the next commit that shows the buffer waits for `fd` (which now belongs to the buffer). */
export function importFence(dev: KmsDevice, file: DrmFile, handle: number, fd: number | undefined): Record<string, never> {
  if (fd === undefined) throw pvError('EBADF', 'PRIME_IMPORT_FENCE needs the fence fd attached');
  try {
    const obj = file.handles.get(handle);
    if (!obj) throw pvError('ENOENT', `no buffer with handle ${handle}`);
    if (obj.writeFences.length >= MAX_WRITE_FENCES) throw pvError('ENOSPC', `buffer ${handle} already waits for ${MAX_WRITE_FENCES} imported fences`);
    obj.writeFences.push({ fence: fd, release: dev.budgets.fences.charge(file, 1) });
    return {};
  } catch (e) {
    native.close(fd);
    throw e;
  }
}
