// Properties: named, typed values attached to mode objects (range, signed range, enum, bitmask, blob, object), with
// the kernel's value checks. A property is itself a mode object with an id in the shared id space.
import { OBJECT_TYPE, PROP } from '../../protocol/kms/constants.js';
import { pvError } from '../../shared/errors.js';
import type { ModeObject } from './mode-objects.js';

export interface EnumValue {
  name: string;
  value: number;
}

export type PropertyKind =
  | { kind: 'range'; min: number; max: number }
  | { kind: 'signed-range'; min: number; max: number }
  | { kind: 'enum'; values: EnumValue[] }
  | { kind: 'bitmask'; values: EnumValue[] }
  | { kind: 'blob' }
  | { kind: 'object'; objectType: number };

export interface PropertyInfo {
  prop_id: number;
  name: string;
  flags: number;
  values: number[];
  enums: EnumValue[];
}

export class Property implements ModeObject {
  readonly objectType = OBJECT_TYPE.PROPERTY;

  constructor(
    readonly id: number,
    readonly name: string,
    readonly type: PropertyKind,
    readonly immutable: boolean,
    /** Only clients with the ATOMIC cap see it. */
    readonly atomic: boolean,
  ) {}

  get flags(): number {
    const base = {
      range: PROP.RANGE,
      'signed-range': PROP.SIGNED_RANGE,
      enum: PROP.ENUM,
      bitmask: PROP.BITMASK,
      blob: PROP.BLOB,
      object: PROP.OBJECT,
    }[this.type.kind];
    return (base | (this.immutable ? PROP.IMMUTABLE : 0) | (this.atomic ? PROP.ATOMIC : 0)) >>> 0;
  }

  info(): PropertyInfo {
    const t = this.type;
    const values =
      t.kind === 'range' || t.kind === 'signed-range' ? [t.min, t.max] : t.kind === 'object' ? [t.objectType] : t.kind === 'enum' || t.kind === 'bitmask' ? t.values.map((v) => v.value) : [];
    const enums = t.kind === 'enum' || t.kind === 'bitmask' ? t.values : [];
    return { prop_id: this.id, name: this.name, flags: this.flags, values, enums };
  }

  /** EINVAL unless `value` is legal for this property's type (objects and blobs are resolved by the caller). */
  check(value: number): void {
    const t = this.type;
    const bad = (why: string): never => {
      throw pvError('EINVAL', `${this.name}: ${value} ${why}`);
    };
    if (!Number.isSafeInteger(value)) bad('is not an integer');
    switch (t.kind) {
      case 'range':
      case 'signed-range':
        if (value < t.min || value > t.max) bad(`is outside [${t.min}, ${t.max}]`);
        return;
      case 'enum':
        if (!t.values.some((v) => v.value === value)) bad('is not one of its values');
        return;
      case 'bitmask': {
        const all = t.values.reduce((m, v) => m | (1 << v.value), 0);
        if (value < 0 || value & ~all) bad('sets unknown bits');
        return;
      }
      case 'blob':
      case 'object':
        if (value < 0 || value > 0xffffffff) bad('is not an object id');
        return;
    }
  }
}
