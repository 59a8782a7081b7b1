// Connector hotplug and link-status (issue: lifecycle): the backend unplugs / plugs a connector or changes its EDID
// at run time; the frontend updates status, modes and the EDID blob and announces a hotplug uevent on dri/uevent
// and to its clients. A frame-done timeout makes link-status Bad (with a uevent), a good frame makes it Good.
// A storm of 1,000 toggles loses and duplicates no uevent and leaks nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectChannel, type Channel } from '../../shared/channel.js';
import { buildEdid } from '../../protocol/edid.js';
import { ModeFlag } from '../../protocol/mode-timing.js';
import { CONNECTION, LINK_STATUS } from '../../protocol/kms/constants.js';
import { XRGB8888 } from '../../protocol/formats.js';
import { adminCall } from '../../cli/admin-client.js';
import type { PeerStatus } from '../../backend/server.js';
import { Card, type Uevent } from '../../frontend/client/card.js';
import { findOutput } from '../../frontend/client/output.js';
import { propertyIds } from '../../frontend/client/atomic.js';
import { showTwoFramebuffers } from '../../frontend/client/flip-buffers.js';
import { run, startPair, type Pair } from '../../cli/processes.js';
import { until } from '../helpers/until.js';

function subscribe(dir: string): { events: Uevent[]; ch: Channel } {
  const ch = connectChannel(join(dir, 'dri', 'uevent'));
  const events: Uevent[] = [];
  ch.on('message', (m) => events.push(m.uevent as Uevent));
  return { events, ch };
}

const fds = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;
const FRAME_DONE_TIMEOUT = 5000;

describe('connector hotplug', () => {
  let pair: Pair;
  let card: Card;
  beforeAll(async () => {
    // Only the dropped frame done may time out: every other flip's frame done must beat the timer (their
    // link-status stays Good and no extra uevent comes), so it is far beyond what a loaded machine takes.
    pair = await startPair({ connectors: '640x480', frontendArgs: ['--frame-done-timeout', String(FRAME_DONE_TIMEOUT)] });
    card = Card.open(pair.card);
  });
  afterAll(async () => {
    card?.close();
    await pair?.stop();
  });
  const propOf = async (connectorId: number, name: string) => {
    const prop = (await propertyIds(card, [connectorId])).get(connectorId)!.get(name)!;
    const p = await card.call('MODE_OBJ_GETPROPERTIES', { obj_id: connectorId, obj_type: 0 });
    return p.prop_values[p.props.indexOf(prop)]!;
  };
  const linkStatusOf = (connectorId: number) => propOf(connectorId, 'link-status');
  /** The bytes of the connector's EDID property, undefined when it is 0. */
  const edidOf = async (connectorId: number) => {
    const blob_id = await propOf(connectorId, 'EDID');
    return blob_id ? (await card.call('MODE_GETPROPBLOB', { blob_id })).data : undefined;
  };

  it('unplug and replug through `pvdisplay hotplug`: status follows, uevents on the socket and to the client', async () => {
    const sub = subscribe(pair.dir);
    const heard: Uevent[] = [];
    card.on('uevent', (u) => heard.push(u));
    const id = (await card.call('MODE_GETRESOURCES', {})).connectors[0]!;
    const edidBefore = await edidOf(id);
    expect(edidBefore?.length).toBeGreaterThanOrEqual(128);
    const off = run(['hotplug', '--runtime-dir', pair.dir, '--connector', '0', '--off']);
    expect((await off.exited()).code).toBe(0);
    await until(() => sub.events.length === 1 && heard.length === 1);
    expect(sub.events[0]).toEqual({ action: 'change', devname: 'card0', hotplug: 1, connector: id });
    expect(heard[0]).toEqual(sub.events[0]);
    expect((await card.call('MODE_GETCONNECTOR', { connector_id: id })).connection).toBe(CONNECTION.DISCONNECTED);
    expect(await edidOf(id)).toBeUndefined(); // K-HP-09: no EDID while disconnected
    const on = run(['hotplug', '--runtime-dir', pair.dir, '--connector', '0', '--on']);
    expect((await on.exited()).code).toBe(0);
    await until(() => sub.events.length === 2);
    expect((await card.call('MODE_GETCONNECTOR', { connector_id: id })).connection).toBe(CONNECTION.CONNECTED);
    expect(await edidOf(id)).toEqual(edidBefore);
    sub.ch.close();
  });

  it("an EDID's detailed timing is the connector's mode as it is (VESA DMT 1024x768 at 65 MHz)", async () => {
    const dmt = { clock: 65_000, hdisplay: 1024, hsyncStart: 1048, hsyncEnd: 1184, htotal: 1344, vdisplay: 768, vsyncStart: 771, vsyncEnd: 777, vtotal: 806, vrefresh: 60, flags: ModeFlag.NHSYNC | ModeFlag.NVSYNC };
    const edidFile = join(pair.dir, 'dmt.bin');
    writeFileSync(edidFile, buildEdid({ width: 1024, height: 768, timing: dmt }));
    expect((await run(['hotplug', '--runtime-dir', pair.dir, '--connector', '0', '--on', '--edid', edidFile]).exited()).code).toBe(0);
    await until(async () => (await findOutput(card, 0)).mode.hdisplay === 1024);
    expect((await findOutput(card, 0)).mode).toMatchObject({ clock: 65_000, hdisplay: 1024, hsync_start: 1048, hsync_end: 1184, htotal: 1344, vdisplay: 768, vsync_start: 771, vsync_end: 777, vtotal: 806, vrefresh: 60, flags: ModeFlag.NHSYNC | ModeFlag.NVSYNC });
  });

  it('a new EDID changes the connector mode and EDID blob; the new mode can be set and scanned out', async () => {
    const edidFile = join(pair.dir, 'edid.bin');
    writeFileSync(edidFile, buildEdid({ width: 800, height: 600, refresh: 60, name: 'replugged' }));
    const sub = subscribe(pair.dir);
    const hp = run(['hotplug', '--runtime-dir', pair.dir, '--connector', '0', '--on', '--edid', edidFile]);
    expect((await hp.exited()).code).toBe(0);
    // The connector's status key and its EDID generation both change: at least one uevent, the last after re-probe.
    await until(() => sub.events.length >= 1);
    await until(async () => (await findOutput(card, 0)).mode.hdisplay === 800);
    const out = await findOutput(card, 0);
    expect([out.mode.hdisplay, out.mode.vdisplay]).toEqual([800, 600]);
    const d = await card.createDumb(800, 600, 32);
    const fb = await card.addFb2(800, 600, XRGB8888.fourcc, d.handle, d.pitch);
    await card.setCrtc(out.crtcId, fb, 0, 0, [out.connector.connector_id], out.mode);
    const status = await adminCall<PeerStatus[]>(pair.admin, { cmd: 'status' });
    expect(status[0]!.connectors[0]).toMatchObject({ width: 800, height: 600 });
    sub.ch.close();
    const bad = run(['hotplug', '--runtime-dir', pair.dir, '--connector', '0', '--on', '--edid', join(pair.dir, 'missing.bin')]);
    expect((await bad.exited()).code).toBe(1);
  });

  it('a dropped frame done: the event comes after the timeout, link-status goes Bad with a uevent, a good frame restores it', async () => {
    const out = await findOutput(card, 0);
    const linkStatus = () => linkStatusOf(out.connector.connector_id);
    const crtc = await card.call('MODE_GETCRTC', { crtc_id: out.crtcId });
    const d = await card.createDumb(800, 600, 32);
    const other = await card.addFb2(800, 600, XRGB8888.fourcc, d.handle, d.pitch);
    const sub = subscribe(pair.dir);
    await adminCall(pair.admin, { cmd: 'fault', kind: 'drop-frame-done', count: 1 });
    await card.pageFlip(out.crtcId, other, 1n);
    expect((await card.nextEvent(60_000)).userData).toBe(1n);
    expect(await linkStatus()).toBe(LINK_STATUS.BAD);
    await until(() => sub.events.length === 1);
    // The frontend publishes its count over the store, a path of its own to the backend: wait until it lands.
    const published = async () => (await adminCall<PeerStatus[]>(pair.admin, { cmd: 'status' }))[0]!.connectors[0]!;
    await until(async () => ((await published()).frameDoneTimeouts ?? 0) >= 1);
    expect(await published()).toMatchObject({ frameDoneTimeouts: 1, linkStatus: 'Bad' });
    await card.pageFlip(out.crtcId, crtc.fb_id, 2n);
    expect((await card.nextEvent(60_000)).userData).toBe(2n);
    expect(await linkStatus()).toBe(LINK_STATUS.GOOD);
    await until(() => sub.events.length === 2);
    sub.ch.close();
  });

  it('a failed PG_FLIP: the event comes at once, link-status goes Bad with a uevent, the connector stays connected as the backend shows it; a good frame restores it', async () => {
    const { out, fbs } = await showTwoFramebuffers(card);
    const id = out.connector.connector_id;
    const sub = subscribe(pair.dir);
    await adminCall(pair.admin, { cmd: 'fault', kind: 'errno', op: 'PG_FLIP', errno: 'EIO' });
    await card.pageFlip(out.crtcId, fbs[1]!, 3n);
    expect((await card.nextEvent(60_000)).userData).toBe(3n);
    await until(() => sub.events.length === 1);
    expect(sub.events[0]).toEqual({ action: 'change', devname: 'card0', hotplug: 1, connector: id });
    expect(await linkStatusOf(id)).toBe(LINK_STATUS.BAD);
    expect((await card.call('MODE_GETCONNECTOR', { connector_id: id })).connection).toBe(CONNECTION.CONNECTED);
    // Published over the store, as above (the status said Good until now).
    const published = async () => (await adminCall<PeerStatus[]>(pair.admin, { cmd: 'status' }))[0]!.connectors[0]!;
    await until(async () => (await published()).linkStatus === 'Bad');
    expect(await published()).toMatchObject({ connected: true, linkStatus: 'Bad' });
    await card.pageFlip(out.crtcId, fbs[0]!, 4n);
    expect((await card.nextEvent(60_000)).userData).toBe(4n);
    expect(await linkStatusOf(id)).toBe(LINK_STATUS.GOOD);
    await until(() => sub.events.length === 2);
    sub.ch.close();
  });

  it('a storm of 1,000 toggles: exactly one uevent each, in order, and nothing leaks', async () => {
    const fePid = pair.frontend.child.pid!;
    const bePid = pair.backend.child.pid!;
    const sub = subscribe(pair.dir);
    const before = [fds(fePid), fds(bePid)];
    for (let i = 0; i < 1000; i++) await adminCall(pair.admin, { cmd: 'hotplug', connector: 0, connected: i % 2 === 1 });
    await until(() => sub.events.length >= 1000);
    await new Promise((r) => setTimeout(r, 100));
    expect(sub.events.length).toBe(1000);
    expect(sub.events.every((e) => e.action === 'change' && e.hotplug === 1)).toBe(true);
    const id = (await card.call('MODE_GETRESOURCES', {})).connectors[0]!;
    expect((await card.call('MODE_GETCONNECTOR', { connector_id: id })).connection).toBe(CONNECTION.CONNECTED);
    sub.ch.close();
    // Closing is asynchronous on both sides: wait until the counts settle, then compare.
    await until(() => fds(bePid) <= before[1]! && fds(fePid) <= before[0]!);
    // No growth (an earlier test's subscriber may still have been closing when `before` was taken).
    expect(fds(fePid)).toBeLessThanOrEqual(before[0]!);
    expect(fds(bePid)).toBeLessThanOrEqual(before[1]!);
  }, 60_000);
});
