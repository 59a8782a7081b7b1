// Mode-object ids: one id space for every object type, starting at 1, as the kernel's IDR does; lookups check
// the type so that an id of the wrong kind is ENOENT (K-OBJ-03).
import { pvError } from '../../shared/errors.js';

export interface ModeObject {
  readonly id: number;
  readonly objectType: number;
}

export class ModeObjects {
  private next = 1;
  private readonly byId = new Map<number, ModeObject>();

  allocate(): number {
    return this.next++;
  }

  add<T extends ModeObject>(obj: T): T {
    this.byId.set(obj.id, obj);
    return obj;
  }

  remove(obj: ModeObject): void {
    this.byId.delete(obj.id);
  }

  /** Any object by id (undefined when there is none). */
  find(id: number): ModeObject | undefined {
    return this.byId.get(id);
  }

  all<T extends ModeObject>(objectType: number): T[] {
    return [...this.byId.values()].filter((o) => o.objectType === objectType) as T[];
  }

  /** The object of that id and type, or ENOENT naming what was looked for. */
  lookup<T extends ModeObject>(id: number, objectType: number, what: string): T {
    const o = this.byId.get(id);
    if (!o || o.objectType !== objectType) throw pvError('ENOENT', `no ${what} with id ${id}`);
    return o as T;
  }
}
