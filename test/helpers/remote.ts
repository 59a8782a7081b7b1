// Shared by the remote transport's tests (test/e2e/remote-*.test.ts): a backend listening on ws:// or wss://
// and frontends that reach it only over the network, the pattern client's CRCs as the backend logged them, the
// memfds a process maps, and a lit screen to flip on.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { run, startRemotePair, type Proc, type RemotePair } from '../../cli/processes.js';
import { Card } from '../../frontend/client/card.js';
import { findOutput, type Output } from '../../frontend/client/output.js';
import { XRGB8888 } from '../../protocol/formats.js';
import { frameCrc } from '../../shared/pixels/crc.js';
import type { Requirement } from './requires.js';

export const OPENSSL: Requirement = { what: 'the openssl command', files: ['/usr/bin/openssl'], requireEnv: 'PVDISPLAY_REQUIRE_OPENSSL', install: 'apt-get install openssl' };
export const MODE = '320x200';
export const FRAMES = 12;

export interface Remote {
  dir: string;
  backend: Proc;
  url: string;
  token: string;
}

export async function startBackend(listen: string, extra: string[] = []): Promise<Remote> {
  const dir = mkdtempSync(join(tmpdir(), 'pvd-remote-be-'));
  const backend = run(['backend', '--runtime-dir', dir, '--connectors', MODE, '--unpaced', '--crc-log', '--listen', listen, ...extra]);
  const url = /remote frontends: (\S+)/.exec(await backend.waitLine(/remote frontends:/))![1]!;
  const token = /token: (\S+)/.exec(await backend.waitLine(/^token:/))![1]!;
  await backend.waitLine(/backend listening/);
  return { dir, backend, url, token };
}

export function startFrontend(url: string, token: string, extra: string[] = []): { dir: string; frontend: Proc } {
  const dir = mkdtempSync(join(tmpdir(), 'pvd-remote-fe-'));
  return { dir, frontend: run(['frontend', '--runtime-dir', dir, '--backend', url, ...extra], { PVDISPLAY_TOKEN: token }) };
}

/** The CRCs the backend logged for frames 1..n of its latest frontend, in order. */
export async function crcs(backend: Proc, n: number): Promise<string[]> {
  await backend.waitLine(new RegExp(`^crc \\d+/0 ${n} `));
  const last = new Map<number, string>();
  for (const l of backend.stdout) {
    const m = /^crc \d+\/0 (\d+) (0x[0-9a-f]{8})$/.exec(l);
    if (m) last.set(Number(m[1]), m[2]!);
  }
  return Array.from({ length: n }, (_, i) => last.get(i + 1) ?? 'missing');
}

export async function pattern(feDir: string): Promise<void> {
  const p = run(['pattern', '--runtime-dir', feDir, '--frames', String(FRAMES)]);
  expect(await p.exited(), p.lines.join('\n')).toEqual({ code: 0, signal: null });
}

/** Inodes of the memfds a process maps, by name. */
export function memfds(pid: number): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f[5]?.startsWith('/memfd:')) out.set(f[4]!, f[5]);
  }
  return out;
}

/** A backend on ws://127.0.0.1 with one remote frontend, for a describe block; `r.p` inside its tests. */
export function remotePair(o: Parameters<typeof startRemotePair>[0] = {}): { p: RemotePair } {
  const r = {} as { p: RemotePair };
  beforeAll(async () => {
    r.p = await startRemotePair({ connectors: MODE, unpaced: true, crcLog: true, ...o });
  });
  afterAll(async () => {
    await r.p?.stop();
  });
  return r;
}

export interface Screen {
  card: Card;
  out: Output;
  fbs: number[];
  /** Each fb's pixels as the client maps them, and their pitch. */
  maps: Uint8Array[];
  pitch: number;
}

export async function open(path: string): Promise<Screen> {
  const card = Card.open(path);
  const out = await findOutput(card, 0);
  const fbs: number[] = [];
  const maps: Uint8Array[] = [];
  let pitch = 0;
  for (let i = 0; i < 2; i++) {
    const d = await card.createDumb(out.mode.hdisplay, out.mode.vdisplay, 32);
    const map = await card.mapDumb(d.handle);
    map.bytes.fill(0x40 * (i + 1));
    maps.push(map.bytes);
    pitch = d.pitch;
    fbs.push(await card.addFb2(out.mode.hdisplay, out.mode.vdisplay, XRGB8888.fourcc, d.handle, d.pitch));
  }
  await card.setCrtc(out.crtcId, fbs[0]!, 0, 0, [out.connector.connector_id], out.mode);
  return { card, out, fbs, maps, pitch };
}

let flips = 0;
/** Flips to the other fb, after `draw` (when given) drew into it; waits for the event. */
export async function flip(s: Screen, draw?: (pixels: Uint8Array) => void): Promise<void> {
  const n = ++flips;
  draw?.(s.maps[n % 2]!);
  await s.card.pageFlip(s.out.crtcId, s.fbs[n % 2]!, BigInt(n));
  expect((await s.card.nextEvent(60_000)).userData).toBe(BigInt(n));
}

/** The CRC of what the client drew into the fb it flipped to last, as the backend computes a frame's. */
export function shownCrc(s: Screen): number {
  const { hdisplay: width, vdisplay: height } = s.out.mode;
  return frameCrc({ data: s.maps[flips % 2]!, offset: 0, pitch: s.pitch, width, height, x: 0, y: 0, fourcc: XRGB8888.fourcc });
}

export async function timeouts(s: Screen): Promise<number> {
  return (await s.card.call('PVD_STATUS', {})).crtcs.find((c) => c.crtc_id === s.out.crtcId)!.frame_done_timeouts;
}

export async function linkStatus(s: Screen): Promise<number> {
  const p = await s.card.call('MODE_OBJ_GETPROPERTIES', { obj_id: s.out.connector.connector_id, obj_type: 0 });
  const names = await Promise.all(p.props.map(async (id) => (await s.card.call('MODE_GETPROPERTY', { prop_id: id })).name));
  return p.prop_values[names.indexOf('link-status')]!;
}

