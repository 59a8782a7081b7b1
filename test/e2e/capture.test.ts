// The test-rig sinks of a running backend, through the admin API and the CLI: CRC capture (one entry per vblank on
// a paced connector with no gap in the sequence, each the CRC of what is shown), snapshots and raw recordings whose
// index matches the frames on disk.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { adminCall } from '../../cli/admin-client.js';
import { run, startPair, type Pair, type Proc } from '../../cli/processes.js';
import { FFMPEG, wanted } from '../helpers/requires.js';
import type { CrcRead } from '../../backend/scanout/crc-capture.js';
import { decodePng } from '../../shared/pixels/png.js';
import { knownImagePixel } from '../../shared/pixels/pattern.js';
import { Card } from '../../frontend/client/card.js';
import { showTwoMappedFramebuffers } from '../../frontend/client/flip-buffers.js';
import { until } from '../helpers/until.js';

const consecutive = (seqs: number[]) => seqs.every((s, i) => i === 0 || s === seqs[i - 1]! + 1);

/** What the command printed on stdout, once it exited 0. */
async function lines(p: Proc): Promise<string[]> {
  const exit = await p.exited();
  expect(exit, p.lines.join('\n')).toEqual({ code: 0, signal: null });
  return p.stdout;
}

describe('CRC capture, snapshots and recordings (paced)', () => {
  let pair: Pair;
  let client: Proc | undefined;
  beforeAll(async () => {
    pair = await startPair({ connectors: '320x200' });
  });
  afterAll(async () => {
    await client?.stop('SIGINT');
    await pair?.stop();
  });

  it('a capture has one entry per vblank, no gaps, each the CRC of the image shown, with no flips at all', async () => {
    client = run(['pattern', '--runtime-dir', pair.dir, '--image', 'known:7', '--hold']);
    const clientCrc = Number(/crc (0x[0-9a-f]{8})/.exec(await client.waitLine(/shown known image/))![1]);
    const start = await adminCall<{ domid: number; sequence: number }>(pair.admin, { cmd: 'crc-start', connector: 0 });
    // Counted by sequence, not by time: status answers once the CRCs of the frames it counts are in, so each of
    // those 20 frames is in the capture by then.
    const frames = async () => (await adminCall<{ connectors: { frames: number }[] }[]>(pair.admin, { cmd: 'status' }))[0]!.connectors[0]!.frames;
    await until(async () => (await frames()) >= start.sequence + 20, 50);
    const read = await adminCall<CrcRead>(pair.admin, { cmd: 'crc-read', connector: 0 });
    const stop = await adminCall<CrcRead>(pair.admin, { cmd: 'crc-stop', connector: 0 });
    const entries = [...read.entries, ...stop.entries];
    expect(entries.length).toBeGreaterThanOrEqual(20);
    expect(entries[0]!.sequence).toBe(start.sequence + 1);
    // No entry for a frame that was not scanned out.
    expect(entries.at(-1)!.sequence).toBeLessThanOrEqual(await frames());
    expect(consecutive(entries.map((e) => e.sequence))).toBe(true);
    expect(new Set(entries.map((e) => e.crc))).toEqual(new Set([clientCrc]));
    expect(read).toMatchObject({ overflowed: false, ended: false });
  });

  it('capture errors: reading without a capture ENOENT, two at once EBUSY, an unknown connector ENODEV', async () => {
    await expect(adminCall(pair.admin, { cmd: 'crc-read', connector: 0 })).rejects.toMatchObject({ code: 'ENOENT' });
    await adminCall(pair.admin, { cmd: 'crc-start' });
    await expect(adminCall(pair.admin, { cmd: 'crc-start' })).rejects.toMatchObject({ code: 'EBUSY' });
    await adminCall(pair.admin, { cmd: 'crc-stop' });
    await expect(adminCall(pair.admin, { cmd: 'crc-start', connector: 5 })).rejects.toMatchObject({ code: 'ENODEV' });
    await expect(adminCall(pair.admin, { cmd: 'crc-start', connector: 'x' })).rejects.toMatchObject({ code: 'EINVAL', message: expect.stringMatching(/field 'connector'/) });
  });

  it('pvdisplay snapshot writes what the connector shows', async () => {
    const out = join(pair.dir, 'cli.png');
    const text = (await lines(run(['snapshot', '--runtime-dir', pair.dir, '--connector', '0', '-o', out]))).join('\n');
    expect(text).toMatch(/^snapshot: .*cli\.png \(320x200 XR24, frame \d+, crc 0x[0-9a-f]{8}\)$/);
    const png = decodePng(readFileSync(out));
    const px = knownImagePixel(7, 100, 50);
    const i = (50 * 320 + 100) * 4;
    expect([png.rgba[i], png.rgba[i + 1], png.rgba[i + 2]]).toEqual([(px >>> 16) & 0xff, (px >>> 8) & 0xff, px & 0xff]);
  });

  it('pvdisplay crc prints K consecutive frames while a client flips', async () => {
    await client?.stop('SIGINT');
    client = run(['pattern', '--runtime-dir', pair.dir, '--frames', '0']);
    await client.waitLine(/frames \d+/);
    const out = await lines(run(['crc', '--runtime-dir', pair.dir, '--frames', '30']));
    expect(out.length).toBe(30);
    const seqs = out.map((l) => {
      expect(l).toMatch(/^\d+ 0x[0-9a-f]{8}$/);
      return Number(l.split(' ')[0]);
    });
    expect(consecutive(seqs)).toBe(true);
    // The pattern changes every flip, so consecutive CRCs mostly differ.
    expect(new Set(out.map((l) => l.split(' ')[1])).size).toBeGreaterThan(10);
  });

  it('pvdisplay crc --json interrupted prints what it captured so far and exits 130', async () => {
    const crc = run(['crc', '--runtime-dir', pair.dir, '--frames', '1000000', '--json', '--timeout', '600000']);
    await crc.waitLine(/^capturing 1000000 frames/);
    // The client flips, so the capture gets entries; wait until the backend has scanned out a few more frames.
    const frames = async () => (await adminCall<{ connectors: { frames: number }[] }[]>(pair.admin, { cmd: 'status' }))[0]!.connectors[0]!.frames;
    const from = await frames();
    await until(async () => (await frames()) >= from + 10, 50);
    await crc.stop('SIGINT');
    expect(await crc.exited()).toEqual({ code: 130, signal: null });
    const got = JSON.parse(crc.stdout.join('\n')) as { sequence: number; crc: number }[];
    expect(got.length).toBeGreaterThan(0);
    expect(consecutive(got.map((e) => e.sequence))).toBe(true);
  });

  it('pvdisplay record writes every frame raw with an index whose offsets and CRCs match the bytes', async () => {
    const dir = join(pair.dir, 'rec');
    const out = (await lines(run(['record', '--runtime-dir', pair.dir, '-o', dir, '--frames', '40']))).join('\n');
    const index = readFileSync(join(dir, 'index.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number | string>);
    // The backend stops at the limit: exactly 40 frames, and the size said is what is on disk.
    expect(index.length).toBe(40);
    const onDisk = statSync(join(dir, 'frames.raw')).size + statSync(join(dir, 'index.jsonl')).size;
    expect(out).toContain(`recorded 40 frames (0 dropped, ${onDisk} bytes on disk)`);
    const raw = readFileSync(join(dir, 'frames.raw'));
    expect(raw.length).toBe(index.length * 320 * 200 * 4);
    expect(consecutive(index.map((e) => e.sequence as number))).toBe(true);
    for (const e of index) {
      expect(e).toMatchObject({ size: 256000, width: 320, height: 200, format: 'XR24' });
      expect(crc32(raw.subarray(e.offset as number, (e.offset as number) + (e.size as number)))).toBe(e.crc);
    }
    expect(await adminCall(pair.admin, { cmd: 'record-status' })).toEqual([]);
  });

  it.runIf(wanted(FFMPEG, 'pvdisplay record to a video file'))('pvdisplay record to a video file goes through ffmpeg', async () => {
    const file = join(pair.dir, 'rec.mp4');
    const out = (await lines(run(['record', '--runtime-dir', pair.dir, '-o', file, '--frames', '30']))).join('\n');
    expect(out).toContain(`recorded 30 frames (0 dropped, ${statSync(file).size} bytes on disk)`);
    expect(readFileSync(file).subarray(4, 8).toString('latin1')).toBe('ftyp');
    // Every write to ffmpeg backs up (a frame is larger than a pipe); waiting for it must not pile up listeners.
    expect(pair.backend.lines.join('\n')).not.toMatch(/MaxListenersExceeded/);
  });

  it('record refuses to overwrite without --overwrite, names a missing directory, and takes fractions of seconds', async () => {
    const dir = join(pair.dir, 'again');
    expect((await run(['record', '--runtime-dir', pair.dir, '-o', dir, '--seconds', '0.2']).exited()).code).toBe(0);
    const refused = run(['record', '--runtime-dir', pair.dir, '-o', dir, '--frames', '2']);
    expect(await refused.exited()).toMatchObject({ code: 1 });
    expect(refused.lines.join('\n')).toMatch(/EEXIST: .*frames\.raw exists: pass overwrite \(--overwrite\)/);
    expect((await run(['record', '--runtime-dir', pair.dir, '-o', dir, '--frames', '2', '--overwrite']).exited()).code).toBe(0);
    expect(readFileSync(join(dir, 'index.jsonl'), 'utf8').trim().split('\n').length).toBe(2);
    const missing = run(['record', '--runtime-dir', pair.dir, '-o', join(pair.dir, 'no', 'such', 'x.mp4'), '--frames', '2']);
    expect(await missing.exited()).toMatchObject({ code: 1 });
    expect(missing.lines.join('\n')).toMatch(/ENOENT: directory .*no\/such does not exist/);
    const bad = run(['record', '--runtime-dir', pair.dir, '-o', dir, '--seconds', 'soon']);
    expect(await bad.exited()).toMatchObject({ code: 1 });
    expect(bad.lines.join('\n')).toMatch(/--seconds must be a number of seconds/);
  });

  it('record errors: a relative path EINVAL, a second recording of one connector EBUSY', async () => {
    await expect(adminCall(pair.admin, { cmd: 'record-start', path: 'rel' })).rejects.toMatchObject({ code: 'EINVAL', message: expect.stringMatching(/absolute/) });
    const path = join(pair.dir, 'rec2');
    await adminCall(pair.admin, { cmd: 'record-start', path });
    await expect(adminCall(pair.admin, { cmd: 'record-start', path })).rejects.toMatchObject({ code: 'EBUSY' });
    expect(await adminCall(pair.admin, { cmd: 'record-stop' })).toMatchObject({ path, error: null });
    await expect(adminCall(pair.admin, { cmd: 'record-stop' })).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('CRC capture (unpaced)', () => {
  it('each entry is the CRC of the frame shown, though the client redraws each released buffer at once (1080p)', async () => {
    // The CRC runs after frame done: the buffer a frame done releases must have had its CRC taken before it.
    const pair = await startPair({ connectors: '1920x1080', unpaced: true });
    const card = Card.open(pair.card);
    try {
      const { out, fbs, maps } = await showTwoMappedFramebuffers(card);
      const colour = (i: number) => (0xff000000 | (i * 0x050301)) >>> 0;
      const start = await adminCall<{ sequence: number }>(pair.admin, { cmd: 'crc-start', connector: 0 });
      const flips = 24;
      for (let i = 1; i <= flips; i++) {
        maps[i % 2]!.words.fill(colour(i)); // the back buffer: the one the last frame done released
        await card.pageFlip(out.crtcId, fbs[i % 2]!, BigInt(i));
        await card.nextEvent();
      }
      const stop = await adminCall<CrcRead>(pair.admin, { cmd: 'crc-stop', connector: 0 });
      const frame = new Uint32Array(1920 * 1080);
      const expected = Array.from({ length: flips }, (_, k) => ({ sequence: start.sequence + 1 + k, crc: crc32(new Uint8Array(frame.fill(colour(k + 1)).buffer)) }));
      expect(stop.entries).toEqual(expected);
    } finally {
      card.close();
      await pair.stop();
    }
  });

  it('one entry per flip, consecutive', async () => {
    const pair = await startPair({ connectors: '160x120', unpaced: true, backendArgs: ['--no-crc'] });
    const client = run(['pattern', '--runtime-dir', pair.dir, '--frames', '0']);
    try {
      await client.waitLine(/frames \d+/);
      const out = await lines(run(['crc', '--runtime-dir', pair.dir, '--frames', '200', '--json']));
      const entries = JSON.parse(out.join('')) as { sequence: number; crc: number }[];
      expect(entries.length).toBe(200);
      expect(consecutive(entries.map((e) => e.sequence))).toBe(true);
    } finally {
      await client.stop('SIGINT');
      await pair.stop();
    }
  });
});
