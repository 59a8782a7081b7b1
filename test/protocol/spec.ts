// Test helper: loads the displif spec JSON and converts its vectors. A copy lives in test/protocol/spec/ so that a
// fresh clone tests on its own; where the project's shared/spec sits beside the repository, the copy must equal it.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('package.json not found above the test');
    dir = parent;
  }
  return dir;
}

export type FieldValue = number | string;

export interface Vector {
  name: string;
  description: string;
  fields: Record<string, FieldValue>;
  length: number;
  hex: string;
}

export interface StructField {
  name: string;
  offset: number;
  size: number;
  type: string;
}

export interface SpecFile {
  version: string;
  constants: Record<string, unknown>;
  structs: Record<string, { size: number; fields: StructField[] }>;
  ring: {
    slots: number;
    after_SHARED_RING_INIT: { header_hex: string; req_prod: number; req_event: number; rsp_prod: number; rsp_event: number };
    event_ring: Record<string, number | string>;
    notify_examples: { old_prod: number; new_prod: number; event: number; notify: boolean }[];
  };
  vectors: Vector[];
}

/** The vendored copy and, when present, the authoritative one beside the repository. */
export function specFiles(version: 1 | 2): { copy: string; upstream: string | undefined } {
  const name = `displif-v${version}.json`;
  const upstream = path.resolve(repoRoot(), '../shared/spec', name);
  return { copy: path.join(repoRoot(), 'test/protocol/spec', name), upstream: existsSync(upstream) ? upstream : undefined };
}

export function loadSpec(version: 1 | 2): SpecFile {
  return JSON.parse(readFileSync(specFiles(version).copy, 'utf8')) as SpecFile;
}

export function fromHex(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g) ?? [], (b) => parseInt(b, 16));
}

export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** snake_case spec fields → the codec's camelCase fields; cookies become bigint. */
export function camelFields(fields: Record<string, FieldValue>): Record<string, number | bigint> {
  const out: Record<string, number | bigint> = {};
  for (const [key, value] of Object.entries(fields)) {
    const camel = key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
    out[camel] = key.endsWith('_cookie') ? BigInt(value) : Number(value);
  }
  return out;
}
