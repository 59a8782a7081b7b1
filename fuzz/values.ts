// Hostile values for the fuzzer: numbers at the edges of every integer width, huge strings / arrays / binaries,
// nested maps, and mutation of a valid argument map into something almost valid. `describe` renders an input
// short enough to print (a 200 KB string becomes `<str 200000>`).
import type { Prng } from './prng.js';

export type Value = null | boolean | number | string | Uint8Array | Value[] | { [k: string]: Value };
export type Fields = { [k: string]: Value };

const EDGE_NUMBERS = [
  0, 1, -1, 2, 255, 256, 0xffff, 0x10000, 0x7fffffff, 0x80000000, -0x80000000, 0xffffffff, 2 ** 32, 2 ** 32 + 1,
  2 ** 53 - 1, 2 ** 53, -(2 ** 53), 2 ** 63, 1e300, 0.5, -0.0, NaN, Infinity, -Infinity, 32768, 32767, 16384,
];

export function hostileNumber(r: Prng): number {
  if (r.chance(0.6)) return r.pick(EDGE_NUMBERS);
  return r.chance(0.5) ? r.int(64) : r.u32() * (r.chance(0.2) ? -1 : 1);
}

/** A size that is usually small, sometimes near or past the 256 KiB packet limit. */
function hostileLength(r: Prng, depth: number): number {
  // Big only at the top, so that a packet stays near the 256 KiB limit instead of growing to gigabytes.
  if (depth > 0) return r.pick([0, 1, 7, 64, 300]);
  return r.pick([0, 1, 7, 64, 4096, 60_000, 100_000, 200_000, 250_000, r.int(300_000)]);
}

export function hostileValue(r: Prng, depth = 0): Value {
  switch (r.int(depth > 2 ? 6 : 8)) {
    case 0:
      return null;
    case 1:
      return r.chance(0.5);
    case 2:
    case 3:
      return hostileNumber(r);
    case 4:
      return r.string(hostileLength(r, depth));
    case 5:
      return r.bytes(r.chance(0.3) ? 8 : hostileLength(r, depth));
    case 6: {
      // A long array repeats a number (60 K of them is ~540 KB encoded); a short one holds anything.
      if (depth === 0 && r.chance(0.2)) return new Array<number>(r.pick([10_000, 30_000, 60_000])).fill(hostileNumber(r));
      return Array.from({ length: r.int(8) }, () => hostileValue(r, depth + 1));
    }
    default: {
      const m: Fields = {};
      for (let i = r.int(6); i > 0; i--) m[r.string(r.range(1, 12))] = hostileValue(r, depth + 1);
      return m;
    }
  }
}

/** A copy of `template` with some fields replaced by hostile values, some dropped, some added. */
export function mutate(r: Prng, template: Fields): Fields {
  const out: Fields = { ...template };
  const keys = Object.keys(out);
  for (let n = r.range(1, 3); n > 0; n--) {
    const choice = r.int(10);
    if (choice < 6 && keys.length > 0) out[r.pick(keys)] = hostileValue(r);
    else if (choice < 8 && keys.length > 0) delete out[r.pick(keys)];
    else out[r.chance(0.7) ? r.string(r.range(1, 10)) : r.pick(['constructor', 'hasOwnProperty', 'toString'])] = hostileValue(r);
  }
  return out;
}

/** A short, printable rendering of a value (big strings, binaries and arrays summarised). */
export function describe(v: unknown, depth = 0): string {
  if (typeof v === 'string') return v.length > 40 ? `<str ${v.length}>` : JSON.stringify(v);
  if (v instanceof Uint8Array) return v.length > 16 ? `<bin ${v.length}>` : `<bin ${Buffer.from(v).toString('hex')}>`;
  if (Array.isArray(v)) return v.length > 8 || depth > 2 ? `<array ${v.length}>` : `[${v.map((x) => describe(x, depth + 1)).join(',')}]`;
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  if (v && typeof v === 'object') {
    if (depth > 2) return '<map>';
    return `{${Object.entries(v).map(([k, x]) => `${describe(k)}:${describe(x, depth + 1)}`).join(',')}}`;
  }
  return String(v);
}
