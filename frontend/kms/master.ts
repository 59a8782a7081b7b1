// DRM master and authentication (K-MA, core_setmaster, core_auth): SET_MASTER / DROP_MASTER with the kernel's
// permission rules for unprivileged clients, and GET_MAGIC / AUTH_MAGIC with magics that belong to the master
// that was current when they were handed out.
import type { KmsArgs, KmsResult } from '../../protocol/kms/ops.js';
import { pvError } from '../../shared/errors.js';
import type { KmsDevice } from './device.js';
import type { DrmFile } from './file.js';

type Empty = Record<string, never>;

function magics(dev: KmsDevice): KmsDevice['magics'] {
  return dev.magics;
}

export function setMaster(dev: KmsDevice, file: DrmFile): Empty {
  if (dev.master === file) return {};
  if (dev.master) throw pvError('EBUSY', 'another file is DRM master');
  if (!file.wasMaster) throw pvError('EACCES', 'only a file that was master before may become master again');
  dev.master = file;
  return {};
}

export function dropMaster(dev: KmsDevice, file: DrmFile): Empty {
  if (dev.master !== file) throw pvError('EINVAL', 'this file is not the DRM master');
  dev.master = null;
  return {};
}

export function getMagic(dev: KmsDevice, file: DrmFile): KmsResult<'GET_MAGIC'> {
  const m = magics(dev);
  const entry = m.get(file.magic);
  if (!entry || entry.master !== dev.master) m.set(file.magic, { file, master: dev.master, used: false });
  return { magic: file.magic };
}

export function authMagic(dev: KmsDevice, file: DrmFile, a: KmsArgs<'AUTH_MAGIC'>): Empty {
  dev.requireMaster(file);
  const entry = magics(dev).get(a.magic);
  if (!entry || entry.used || entry.master !== file || !dev.files.has(entry.file)) throw pvError('EINVAL', `magic ${a.magic} is unknown, used or from another master`);
  entry.used = true;
  entry.file.authenticated = true;
  return {};
}

/** A closing file stops being master (K-MA-13). */
export function forgetFile(dev: KmsDevice, file: DrmFile): void {
  if (dev.master === file) dev.master = null;
  magics(dev).delete(file.magic);
}
