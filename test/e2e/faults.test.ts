// Every fault the backend can inject, under a running client: the frontend gets through each of them (a dropped
// frame-done event is released by its timer, an injected errno reaches the client as that errno, a stalled backend
// costs ETIMEDOUT, an unplugged connector is a hotplug) and the client stays responsive. When the backend goes
// away (clean close, killed) the client's device is unplugged (ENODEV at once) and the frontend comes back.
// Nothing here measures time: whether a flip was released by the frontend's timer or by the backend's event is
// read from the frame-done timeout counter the device reports, so a loaded machine cannot fail these tests.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Card } from '../../frontend/client/card.js';
import { findOutput, type Output } from '../../frontend/client/output.js';
import { XRGB8888 } from '../../protocol/formats.js';
import { CONNECTION } from '../../protocol/kms/constants.js';
import { adminCall } from '../../cli/admin-client.js';
import { run, startPair, type Pair } from '../../cli/processes.js';
import type { PeerStatus } from '../../backend/server.js';
import { until } from '../helpers/until.js';

// Far beyond what a loaded machine takes for an honest frame or answer (each flip asserts that no timer released
// it); the dropped-event and stall tests wait for each once.
const FRAME_DONE_TIMEOUT = 5000;
const RESPONSE_TIMEOUT = 5000;
const pairOptions = { connectors: '160x120', frontendArgs: ['--frame-done-timeout', String(FRAME_DONE_TIMEOUT), '--response-timeout', String(RESPONSE_TIMEOUT)] };

interface Screen {
  card: Card;
  out: Output;
  fbs: number[];
}

async function open(pair: Pair, name = 'card0'): Promise<Screen> {
  const card = Card.open(join(pair.dir, 'dri', name));
  const out = await findOutput(card, 0);
  const fbs: number[] = [];
  for (let i = 0; i < 2; i++) {
    const d = await card.createDumb(160, 120, 32);
    fbs.push(await card.addFb2(160, 120, XRGB8888.fourcc, d.handle, d.pitch));
  }
  await card.setCrtc(out.crtcId, fbs[0]!, 0, 0, [out.connector.connector_id], out.mode);
  return { card, out, fbs };
}

let flips = 0;
/** Flips and waits for the event; how many frame-done timeouts the CRTC counted meanwhile. */
async function flip(s: Screen): Promise<number> {
  const before = await timeouts(s);
  const n = ++flips;
  await s.card.pageFlip(s.out.crtcId, s.fbs[n % 2]!, BigInt(n));
  expect((await s.card.nextEvent(30_000)).userData).toBe(BigInt(n));
  return (await timeouts(s)) - before;
}

/** The CRTC's frame-done timeout count, as the device reports it (PVD_STATUS). */
async function timeouts(s: Screen): Promise<number> {
  const status = await s.card.call('PVD_STATUS', {});
  return status.crtcs.find((c) => c.crtc_id === s.out.crtcId)!.frame_done_timeouts;
}

describe('faults a client survives', () => {
  let pair: Pair;
  let s: Screen;
  const fault = (kind: string, args: Record<string, unknown> = {}) => adminCall<Record<string, unknown>>(pair.admin, { cmd: 'fault', kind, ...args });
  const status = async () => (await adminCall<PeerStatus[]>(pair.admin, { cmd: 'status' }))[0]!;

  beforeAll(async () => {
    pair = await startPair(pairOptions);
    s = await open(pair);
  });
  afterAll(async () => {
    s?.card.close();
    await pair?.stop();
  });

  it('a dropped frame-done event: the frontend timer releases the flip, the next one is on time', async () => {
    expect(await fault('drop-frame-done', { count: 1 })).toMatchObject({ id: expect.any(Number), description: expect.stringMatching(/drop frame-done/) });
    expect(await flip(s)).toBe(1);
    expect(await flip(s)).toBe(0);
    expect((await status()).connectors[0]!.frameDoneDropped).toBe(1);
    expect(await adminCall(pair.admin, { cmd: 'faults' })).toEqual({ armed: [], stalled: [] });
  });

  it('a delayed frame-done event arrives late but before the timeout', async () => {
    await fault('delay-frame-done', { ms: 150, count: 1 });
    const frames = (await status()).connectors[0]!.frames;
    expect(await flip(s)).toBe(0);
    expect(await flip(s)).toBe(0);
    expect((await status()).connectors[0]!.frames).toBe(frames + 2);
  });

  it('an injected errno reaches the client as that errno; the request after it works (CLI)', async () => {
    const cli = run(['fault', 'errno', '--runtime-dir', pair.dir, '--op', 'DBUF_CREATE', '--errno', 'ENOMEM']);
    expect((await cli.exited()).code).toBe(0);
    expect(cli.lines.join('\n')).toMatch(/answer op 0x10 with ENOMEM/);
    await expect(s.card.createDumb(64, 64, 32)).rejects.toMatchObject({ code: 'ENOMEM', errno: 12 });
    const d = await s.card.createDumb(64, 64, 32);
    await s.card.destroyDumb(d.handle);
  });

  it('a disconnected connector scans nothing out and the client hears the hotplug; flips still complete; connect undoes it', async () => {
    const connection = async () => (await s.card.call('MODE_GETCONNECTOR', { connector_id: s.out.connector.connector_id })).connection;
    const hotplugged = async (want: number) => {
      await until(async () => (await connection()) === want);
      return connection();
    };
    expect(await fault('disconnect', { connector: 0 })).toMatchObject({ connected: false });
    expect(await hotplugged(CONNECTION.DISCONNECTED)).toBe(CONNECTION.DISCONNECTED);
    const before = (await status()).connectors[0]!;
    expect(before).toMatchObject({ connected: false });
    for (let i = 0; i < 5; i++) expect(await flip(s)).toBe(0);
    const after = (await status()).connectors[0]!;
    expect(after.frames).toBe(before.frames);
    expect(after.flips).toBe(before.flips + 5);
    await expect(adminCall(pair.admin, { cmd: 'snapshot', path: '/tmp/never.png' })).rejects.toMatchObject({ code: 'ENODEV', message: expect.stringMatching(/disconnected/) });
    await fault('connect', { connector: 0 });
    expect(await hotplugged(CONNECTION.CONNECTED)).toBe(CONNECTION.CONNECTED);
    await flip(s);
    expect((await status()).connectors[0]).toMatchObject({ connected: true, frames: before.frames + 1 });
  });

  it('a stalled backend: requests time out with ETIMEDOUT, frontend-only calls still answer, all works after resume', async () => {
    expect(await fault('stall')).toMatchObject({ stalled: true });
    expect((await status()).stalled).toBe(true);
    // Turning the CRTC off needs SET_CONFIG on the ring, which nobody answers now.
    await expect(s.card.setCrtc(s.out.crtcId, 0, 0, 0, [], null)).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    expect((await s.card.call('VERSION', {})).name).toBe('pvdisplay');
    await fault('resume');
    await s.card.setCrtc(s.out.crtcId, s.fbs[0]!, 0, 0, [s.out.connector.connector_id], s.out.mode);
    expect(await flip(s)).toBe(0);
    // A stall with a duration ends by itself.
    await fault('stall', { ms: 200 });
    await until(async () => !(await status()).stalled, 50);
    expect((await status()).stalled).toBe(false);
    expect(await flip(s)).toBe(0);
  });

  it('clear disarms everything', async () => {
    await fault('drop-frame-done');
    await fault('errno', { op: 'FB_ATTACH', errno: 'EIO', count: 5 });
    expect(await fault('clear')).toEqual({ disarmed: 2 });
    expect(await flip(s)).toBe(0);
  });

  it('bad fault requests are EINVAL naming what is wrong, and the backend keeps serving', async () => {
    await expect(fault('explode')).rejects.toMatchObject({ code: 'EINVAL', message: expect.stringMatching(/unknown fault kind/) });
    await expect(fault('errno', { op: 'PG_FLIP', errno: 'ENOPE' })).rejects.toMatchObject({ code: 'EINVAL' });
    await expect(fault('disconnect', { connector: 9 })).rejects.toMatchObject({ code: 'ENODEV' });
    await expect(fault('stall', { domid: 99 })).rejects.toMatchObject({ code: 'ENODEV' });
    expect(await flip(s)).toBe(0);
  });
});

describe('faults that take the backend away', () => {
  it("close: XenBus Closing/Closed; the client's device is unplugged (ENODEV) and the frontend comes back as card1", async () => {
    const pair = await startPair(pairOptions);
    const s = await open(pair);
    try {
      await flip(s);
      expect(await adminCall(pair.admin, { cmd: 'fault', kind: 'close' })).toEqual({ domid: 1, closed: true });
      await pair.frontend.waitLine(/backend lost/);
      await expect(s.card.call('VERSION', {})).rejects.toMatchObject({ code: 'ENODEV' });
      // The backend is still there, so the frontend reconnects at once, as a new device.
      await pair.frontend.waitLine(/frontend ready: .*card1/);
      const s2 = await open(pair, 'card1');
      expect(await flip(s2)).toBe(0);
      s2.card.close();
      expect(pair.frontend.child.exitCode).toBeNull();
    } finally {
      s.card.close();
      await pair.stop();
    }
  });

  it("die: the backend answers, then is killed with SIGKILL; the client's device is unplugged, and a new backend is picked up", async () => {
    const pair = await startPair(pairOptions);
    const s = await open(pair);
    try {
      await flip(s);
      expect(await adminCall(pair.admin, { cmd: 'fault', kind: 'die' })).toEqual({ pid: pair.backend.child.pid, dying: true });
      expect(await pair.backend.exited()).toEqual({ code: null, signal: 'SIGKILL' });
      await pair.frontend.waitLine(/backend lost/);
      await expect(s.card.call('VERSION', {})).rejects.toMatchObject({ code: 'ENODEV' });
      expect(pair.frontend.child.exitCode).toBeNull();
      const again = run(['backend', '--runtime-dir', pair.dir, '--connectors', '160x120']);
      try {
        await pair.frontend.waitLine(/frontend ready: .*card1/);
        const s2 = await open(pair, 'card1');
        expect(await flip(s2)).toBe(0);
        s2.card.close();
      } finally {
        await again.stop();
      }
    } finally {
      s.card.close();
      await pair.stop();
    }
  });
});
