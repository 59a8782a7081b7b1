// Field readers for messages that arrive from an untrusted peer as plain maps: each returns the typed value or
// throws an errno-style error naming the field, so that bad input becomes EINVAL / EPROTO, never a crash.
import { quote } from './quote.js';

export class FieldError extends Error {
  readonly code: string;
  readonly errno: number;
  constructor(code: 'EINVAL' | 'EPROTO', errno: number, message: string) {
    super(`${code}: ${message}`);
    this.code = code;
    this.errno = errno;
  }
}

export type Fields = Record<string, unknown>;

function fail(key: string, want: string, got: unknown, code: 'EINVAL' | 'EPROTO'): never {
  throw new FieldError(code, code === 'EINVAL' ? 22 : 71, `field '${key}' must be ${want}, got ${quote(got)}`);
}

export function uint(m: Fields, key: string, max = 0xffffffff, code: 'EINVAL' | 'EPROTO' = 'EINVAL'): number {
  const v = m[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) fail(key, `an integer in [0, ${max}]`, v, code);
  return v;
}

export function optUint(m: Fields, key: string, dflt: number, max = 0xffffffff): number {
  return m[key] === undefined ? dflt : uint(m, key, max);
}

/** An optional uint: undefined when absent, checked like uint() when present. */
export function maybeUint(m: Fields, key: string, max = 0xffffffff): number | undefined {
  return m[key] === undefined ? undefined : uint(m, key, max);
}

export function int(m: Fields, key: string, code: 'EINVAL' | 'EPROTO' = 'EINVAL'): number {
  const v = m[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) fail(key, 'a safe integer', v, code);
  return v;
}

export function str(m: Fields, key: string, maxLen = 4096, code: 'EINVAL' | 'EPROTO' = 'EINVAL'): string {
  const v = m[key];
  if (typeof v !== 'string' || v.length > maxLen) fail(key, `a string of at most ${maxLen} characters`, v, code);
  return v;
}

export function uintArray(m: Fields, key: string, maxLen: number, code: 'EINVAL' | 'EPROTO' = 'EINVAL'): number[] {
  const v = m[key];
  if (!Array.isArray(v) || v.length > maxLen) fail(key, `an array of at most ${maxLen} integers`, v, code);
  return v.map((x, i) => uint({ [`${key}[${i}]`]: x }, `${key}[${i}]`, 0xffffffff, code));
}

export function bool(m: Fields, key: string, dflt: boolean): boolean {
  const v = m[key];
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') fail(key, 'a boolean', v, 'EINVAL');
  return v;
}

export function obj(m: Fields, key: string, code: 'EINVAL' | 'EPROTO' = 'EINVAL'): Fields {
  const v = m[key];
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(key, 'a map', v, code);
  return v as Fields;
}
