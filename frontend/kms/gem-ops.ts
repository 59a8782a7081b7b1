// Dumb buffers and GEM handles: CREATE_DUMB (the handle is published only after the backend acknowledged
// DBUF_CREATE), MAP_DUMB (the buffer's memfd), DESTROY_DUMB / GEM_CLOSE (EINVAL for an unknown handle).
import type { KmsArgs, KmsResult } from '../../protocol/kms/ops.js';
import { pvError } from '../../shared/errors.js';
import { logger } from '../../shared/log.js';
import type { KmsDevice } from './device.js';
import { dumbGeometry } from './dumb.js';
import type { DrmFile } from './file.js';
import { GemObject } from './gem.js';
import type { Segment } from '../../shared/shm.js';
import * as native from '../../shared/native/index.js';

const log = logger('gem');

export async function createDumb(dev: KmsDevice, file: DrmFile, a: KmsArgs<'MODE_CREATE_DUMB'>): Promise<KmsResult<'MODE_CREATE_DUMB'>> {
  const geo = dumbGeometry(a.width, a.height, a.bpp);
  const release = dev.budgets.chargeBuffer(file, geo.size);
  const cookie = dev.cookie();
  let seg: Segment;
  try {
    seg = await dev.backend.createDbuf({ cookie, width: a.width, height: a.height, bpp: a.bpp, size: geo.bytes });
  } catch (e) {
    release();
    throw e;
  }
  const obj = newGem(dev, seg, cookie, { width: a.width, height: a.height, bpp: a.bpp, pitch: geo.pitch, size: geo.size, imported: false }, release);
  return { handle: file.newHandle(obj.get()), pitch: geo.pitch, size: geo.size };
}

/**
 * A GEM object over a dbuf the backend acknowledged, known to the device's PRIME table by the identity of its file
 * until it is freed — so that a later import of a recycled inode can never find it (the 2012 PRIME bug). Freeing it
 * gives its budget charge back (`release`).
 */
export function newGem(
  dev: KmsDevice,
  seg: Segment,
  cookie: bigint,
  g: { width: number; height: number; bpp: number; pitch: number; size: number; imported: boolean },
  release: () => void,
): GemObject {
  const key = fileKey(seg.fd);
  const obj = new GemObject(seg, cookie, g.width, g.height, g.bpp, g.pitch, g.size, g.imported, (o) => {
    dev.primeObjects.delete(key);
    dev.dmaBufs.forget(o);
    release();
    // An unplugged device has no backend to tell: the pages go at once (Linux frees the dbuf locally too).
    if (dev.unplugged) return o.seg.release();
    dev.backend.destroyDbuf(o.cookie, o.seg).catch((e: Error) => log.warn(`DBUF_DESTROY: ${e.message}`));
  });
  dev.primeObjects.set(key, obj);
  return obj;
}

export function fileKey(fd: number): string {
  const id = native.fileId(fd);
  return `${id.dev}:${id.ino}`;
}

/** The buffer's memfd: the client maps it itself. */
export function mapDumb(file: DrmFile, a: KmsArgs<'MODE_MAP_DUMB'>): { result: KmsResult<'MODE_MAP_DUMB'>; fd: number } {
  const obj = file.handles.get(a.handle);
  if (!obj) throw pvError('ENOENT', `no buffer with handle ${a.handle}`);
  if (obj.imported) throw pvError('EINVAL', `handle ${a.handle} was imported: map its dma-buf fd instead`);
  return { result: { offset: 0, size: obj.size }, fd: obj.seg.fd };
}

/** DESTROY_DUMB and GEM_CLOSE: the object lives on while framebuffers or other handles hold it. */
export function closeHandle(file: DrmFile, handle: number): Record<string, never> {
  const obj = file.handles.get(handle);
  if (!obj) throw pvError('EINVAL', `no buffer with handle ${handle}`);
  file.handles.delete(handle);
  // The import cache holds its entry exactly as long as the handle it names.
  if (file.primeCache.get(obj) === handle) file.primeCache.delete(obj);
  obj.put();
  return {};
}
