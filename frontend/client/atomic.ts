// Building atomic requests by property name, as libdrm users do with drmModeAtomicAddProperty after looking the
// property ids up once per object.
import type { Card } from './card.js';
import { pvError } from '../../shared/errors.js';

export class AtomicRequest {
  private readonly entries = new Map<number, [number, number][]>();

  constructor(private readonly names: Map<number, Map<string, number>>) {}

  /** Sets property `name` of object `objId` (its ids must have been looked up with `propertyIds`). */
  set(objId: number, name: string, value: number): this {
    const id = this.names.get(objId)?.get(name);
    if (id === undefined) throw pvError('EINVAL', `object ${objId} has no property "${name}"`);
    return this.setId(objId, id, value);
  }

  /** Sets a property by id (tests use this to send what a name lookup would never give). */
  setId(objId: number, propId: number, value: number): this {
    const list = this.entries.get(objId) ?? [];
    list.push([propId, value]);
    this.entries.set(objId, list);
    return this;
  }

  /** Names an object with no properties (still part of the commit). */
  touch(objId: number): this {
    if (!this.entries.has(objId)) this.entries.set(objId, []);
    return this;
  }

  /** The kernel's flattened arrays. */
  flatten(): { objs: number[]; count_props: number[]; props: number[]; prop_values: number[] } {
    const objs = [...this.entries.keys()];
    const lists = objs.map((o) => this.entries.get(o)!);
    return { objs, count_props: lists.map((l) => l.length), props: lists.flatMap((l) => l.map(([p]) => p)), prop_values: lists.flatMap((l) => l.map(([, v]) => v)) };
  }
}

/** Property name → id for each object, as OBJ_GETPROPERTIES + GETPROPERTY report them to this file. */
export async function propertyIds(card: Card, objIds: number[]): Promise<Map<number, Map<string, number>>> {
  const out = new Map<number, Map<string, number>>();
  for (const obj of objIds) {
    const { props } = await card.call('MODE_OBJ_GETPROPERTIES', { obj_id: obj, obj_type: 0 });
    const names = new Map<string, number>();
    for (const id of props) names.set((await card.call('MODE_GETPROPERTY', { prop_id: id })).name, id);
    out.set(obj, names);
  }
  return out;
}

export async function commitAtomic(card: Card, req: AtomicRequest, flags: number, userData = 0n): Promise<void> {
  const user = new Uint8Array(8);
  new DataView(user.buffer).setBigUint64(0, BigInt.asUintN(64, userData), true);
  await card.call('MODE_ATOMIC', { flags, ...req.flatten(), user_data: user });
}
