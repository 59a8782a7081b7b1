// Property blobs: immutable byte strings with a global id, readable by any file, destroyable only by the file that
// created it, and gone when that file closes (K-OBJ-05/06). Driver-made blobs (EDID, IN_FORMATS, modes set by
// legacy calls) have no owner.
import { OBJECT_TYPE } from '../../protocol/kms/constants.js';
import { pvError } from '../../shared/errors.js';
import type { ModeObject, ModeObjects } from './mode-objects.js';

/** A blob larger than this is refused (EINVAL); it would not fit a device-node packet anyway. */
export const MAX_BLOB = 128 * 1024;

export class Blob implements ModeObject {
  readonly objectType = OBJECT_TYPE.BLOB;

  constructor(
    readonly id: number,
    readonly data: Uint8Array,
    readonly owner: object | null,
  ) {}
}

export class Blobs {
  constructor(private readonly objects: ModeObjects) {}

  create(data: Uint8Array, owner: object | null): Blob {
    if (data.length === 0 || data.length > MAX_BLOB) throw pvError('EINVAL', `blob of ${data.length} bytes (1 to ${MAX_BLOB})`);
    return this.objects.add(new Blob(this.objects.allocate(), Uint8Array.from(data), owner));
  }

  get(id: number): Blob {
    return this.objects.lookup<Blob>(id, OBJECT_TYPE.BLOB, 'blob');
  }

  destroy(id: number, by: object): void {
    const blob = this.get(id);
    if (blob.owner !== by) throw pvError('EPERM', `blob ${id} was not created by this file`);
    this.objects.remove(blob);
  }

  /** A closing file's blobs go with it. */
  dropOwnedBy(owner: object): void {
    for (const b of this.objects.all<Blob>(OBJECT_TYPE.BLOB)) if (b.owner === owner) this.objects.remove(b);
  }

  /** Drops a driver-owned blob that nothing refers to any more. */
  release(blob: Blob | null): void {
    if (blob && blob.owner === null) this.objects.remove(blob);
  }
}
