// `npm run bench`: flip round trip (client flip call → its flip-complete event) for 1920x1080 XRGB8888 in unpaced
// mode, beside a raw reference measured in the same run: the same client → frontend → backend → frontend → client
// message path over plain Unix SOCK_SEQPACKET sockets with no work. Also the CRC sink's cost beside crc32 of the
// same bytes, the pixel bytes copied between client and backend per frame, and VNC's bytes per update for a
// moving sprite beside a full frame (bench/vnc.ts). Prints a table, writes bench/results.json.
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { crc32 } from 'node:zlib';
import { Card } from '../frontend/client/card.js';
import { findOutput } from '../frontend/client/output.js';
import { XRGB8888 } from '../protocol/formats.js';
import * as native from '../shared/native/index.js';
import { adminCall } from '../cli/admin-client.js';
import { ROOT, startPair, startRemotePair, type PairOptions } from '../cli/processes.js';
import { spriteBytes } from './remote.js';
import type { PeerStatus } from '../backend/server.js';
import { summarise, type Summary } from './stats.js';
import { pacedFlips, timerReference } from './paced.js';
import { vncBytes } from './vnc.js';

const W = 1920;
const H = 1080;
const FLIPS = Number(process.env.BENCH_FLIPS ?? 3000);
const WARMUP = 200;

function nowUs(): number {
  return Number(process.hrtime.bigint()) / 1000;
}

/** `ws`: the middle hop (frontend ↔ backend) is a WebSocket on loopback, as with the remote transport. */
async function rawReference(count: number, ws = false): Promise<Summary> {
  const dir = mkdtempSync(join(tmpdir(), 'pvd-bench-raw-'));
  const hop = join(ROOT, 'dist/bench/raw-hop.js');
  const start = async (args: string[]) => {
    const child = spawn(process.execPath, [hop, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
    return { child, line };
  };
  const echo = await start(ws ? ['ws-echo'] : ['echo', join(dir, 'be.sock')]);
  const upstream = ws ? `ws://127.0.0.1:${echo.line.split(' ')[1]}` : join(dir, 'be.sock');
  const relay = await start([ws ? 'ws-relay' : 'relay', join(dir, 'fe.sock'), upstream]);
  const fd = native.connect(join(dir, 'fe.sock'));
  let wake: () => void = () => undefined;
  const w = native.watch(fd, 'r', () => {
    while (native.recv(fd, 64)) wake();
  });
  const packet = new Uint8Array(16).fill(7);
  const samples: number[] = [];
  for (let i = 0; i < count + WARMUP; i++) {
    const t0 = nowUs();
    const got = new Promise<void>((r) => (wake = r));
    native.send(fd, packet, []);
    await got;
    if (i >= WARMUP) samples.push(nowUs() - t0);
  }
  w.close();
  native.close(fd);
  echo.child.kill();
  relay.child.kill();
  rmSync(dir, { recursive: true, force: true });
  return summarise(samples);
}

/** `remote`: the frontend reaches the backend over ws:// on loopback (no shared memory). */
async function flipRoundTrip(count: number, opts: PairOptions, remote = false): Promise<{ rt: Summary; copiedPerFrame: number }> {
  const pair = await (remote ? startRemotePair : startPair)({ connectors: `${W}x${H}`, unpaced: true, ...opts });
  const card = Card.open(pair.card);
  try {
    const out = await findOutput(card, 0);
    const fbs: number[] = [];
    for (let i = 0; i < 2; i++) {
      const d = await card.createDumb(W, H, 32);
      const map = await card.mapDumb(d.handle);
      map.words.fill(0xff000000 | (i * 0x00ff00));
      fbs.push(await card.addFb2(W, H, XRGB8888.fourcc, d.handle, d.pitch));
    }
    await card.setCrtc(out.crtcId, fbs[0]!, 0, 0, [out.connector.connector_id], out.mode);
    const samples: number[] = [];
    for (let i = 0; i < count + WARMUP; i++) {
      const t0 = nowUs();
      await card.pageFlip(out.crtcId, fbs[i % 2]!, BigInt(i));
      await card.nextEvent();
      if (i >= WARMUP) samples.push(nowUs() - t0);
    }
    const status = await adminCall<PeerStatus[]>(pair.admin, { cmd: 'status' });
    const conn = status[0]!.connectors[0]!;
    return { rt: summarise(samples), copiedPerFrame: conn.frames ? conn.pixelBytesCopied / conn.frames : 0 };
  } finally {
    card.close();
    await pair.stop();
  }
}

function crcReference(count: number): Summary {
  const frame = new Uint8Array(W * H * 4).fill(0x5a);
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = nowUs();
    crc32(frame);
    samples.push(nowUs() - t0);
  }
  return summarise(samples);
}

async function main(): Promise<void> {
  process.stdout.write(`pvdisplay bench: ${W}x${H} XRGB8888, unpaced, ${FLIPS} flips per row (after ${WARMUP} warm-up)\n`);
  const raw = await rawReference(FLIPS);
  const flip = await flipRoundTrip(FLIPS, { backendArgs: ['--no-crc'] });
  const crcRef = crcReference(200);
  const flipCrc = await flipRoundTrip(Math.min(FLIPS, 1000), {});
  const pacedCount = process.env.BENCH_QUICK ? 120 : 600;
  const timer = await timerReference(pacedCount);
  const paced = await pacedFlips(pacedCount);
  const vnc = await vncBytes(process.env.BENCH_QUICK ? 30 : 120);
  const remoteCount = Math.min(FLIPS, 1000);
  const rawWs = await rawReference(remoteCount, true);
  const remoteFlip = await flipRoundTrip(remoteCount, { backendArgs: ['--no-crc'] }, true);
  const sprite = await spriteBytes(process.env.BENCH_QUICK ? 60 : 300);
  const rows = [
    { name: 'raw IPC reference (client→fe→be→fe→client, no work)', ...raw, ratio: 1 },
    { name: 'flip round trip (CRC sink off)', ...flip.rt, ratio: flip.rt.p50 / raw.p50 },
    { name: 'reference: raw IPC + crc32 of one frame', p50: raw.p50 + crcRef.p50, p99: raw.p99 + crcRef.p99, n: crcRef.n, ratio: 1 },
    { name: 'flip round trip (CRC sink on)', ...flipCrc.rt, ratio: flipCrc.rt.p50 / (raw.p50 + crcRef.p50) },
    { name: 'reference: 60 Hz timer wake-up lateness', ...timer, ratio: 1 },
    { name: 'paced 60 Hz flip: |Δt − Δseq·period|', ...paced.jitter, ratio: paced.jitter.p99 / Math.max(1, timer.p99) },
    { name: 'reference: raw IPC with a ws:// hop (fe↔be over ws)', ...rawWs, ratio: 1 },
    { name: 'remote flip round trip over ws:// (static frames)', ...remoteFlip.rt, ratio: remoteFlip.rt.p50 / rawWs.p50 },
  ];
  process.stdout.write('\n' + 'row'.padEnd(58) + 'p50 µs'.padStart(10) + 'p99 µs'.padStart(10) + 'ratio'.padStart(8) + '\n');
  for (const r of rows) {
    process.stdout.write(r.name.padEnd(58) + r.p50.toFixed(1).padStart(10) + r.p99.toFixed(1).padStart(10) + r.ratio.toFixed(2).padStart(8) + '\n');
  }
  process.stdout.write(`\npaced flips: mean period ${(paced.meanPeriodUs / 1000).toFixed(3)} ms, ${paced.missed} of ${pacedCount - 1} steps missed a vblank (ratio column: p99 against the timer's p99)\n`);
  process.stdout.write(`pixel bytes copied between client and backend per frame: ${flip.copiedPerFrame} (CRC off), ${flipCrc.copiedPerFrame} (CRC on)\n`);
  const share = (n: number) => `${Math.round(n)} bytes, ${((100 * n) / vnc.fullFrameRaw).toFixed(2)}% of a full frame`;
  process.stdout.write(`VNC, 64x64 sprite moving on a static ${W}x${H} screen, per update: Raw ${share(vnc.spriteRaw)}, Tight ${share(vnc.spriteTight)} (reference: one full frame over Raw, ${vnc.fullFrameRaw} bytes, same run)\n`);
  process.stdout.write(`remote: bytes sent per frame for a 64x64 sprite moving on a static ${W}x${H} screen: ${Math.round(sprite.perFrame)} beside ${sprite.fullFrame} of a full frame (ratio ${(sprite.perFrame / sprite.fullFrame).toFixed(5)}, ${sprite.frames} frames)\n`);
  const results = {
    date: new Date().toISOString(),
    node: process.version,
    mode: `${W}x${H} XRGB8888 unpaced`,
    flips: FLIPS,
    raw_reference_us: raw,
    flip_round_trip_us: flip.rt,
    flip_vs_raw_p50_ratio: flip.rt.p50 / raw.p50,
    crc32_frame_us: crcRef,
    flip_round_trip_with_crc_us: flipCrc.rt,
    flip_with_crc_vs_raw_plus_crc32_p50_ratio: flipCrc.rt.p50 / (raw.p50 + crcRef.p50),
    pixel_bytes_copied_per_frame: flip.copiedPerFrame,
    timer_60hz_lateness_us: timer,
    paced_flip_jitter_us: paced.jitter,
    paced_flip_mean_period_us: paced.meanPeriodUs,
    paced_flip_missed_vblanks: paced.missed,
    vnc_full_frame_raw_bytes: vnc.fullFrameRaw,
    vnc_sprite_update_raw_bytes: vnc.spriteRaw,
    vnc_sprite_update_tight_bytes: vnc.spriteTight,
    vnc_sprite_raw_vs_full_frame_ratio: vnc.spriteRaw / vnc.fullFrameRaw,
    vnc_sprite_tight_vs_full_frame_ratio: vnc.spriteTight / vnc.fullFrameRaw,
    raw_reference_ws_hop_us: rawWs,
    remote_flip_round_trip_us: remoteFlip.rt,
    remote_flip_vs_raw_ws_p50_ratio: remoteFlip.rt.p50 / rawWs.p50,
    remote_sprite_bytes_per_frame: sprite.perFrame,
    remote_full_frame_bytes: sprite.fullFrame,
    remote_sprite_vs_full_frame_ratio: sprite.perFrame / sprite.fullFrame,
  };
  writeFileSync(join(ROOT, 'bench/results.json'), JSON.stringify(results, null, 2) + '\n');
  process.stdout.write(`wrote bench/results.json\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
