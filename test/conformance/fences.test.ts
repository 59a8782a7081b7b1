// Explicit fences (KMS.md 2.4 K-AT-13/27/30, ATOM-07/15/16; the dma-buf sync_file calls): out-fences signal at
// flip completion, a commit waits for its in-fences (non-blocking ones too) and a fence that never signals is
// reported, not hung on; a buffer's release fence signals when the backend stops scanning it out. Fences are fds
// any process can poll.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import * as native from '../../shared/native/index.js';
import { waitSignalled } from '../../shared/fence.js';
import { ATOMIC_FLAGS, PAGE_FLIP } from '../../protocol/kms/constants.js';
import { adminCall } from '../../cli/admin-client.js';
import type { PeerStatus } from '../../backend/server.js';
import { fails, litRig, type Lit, type Rig } from './fixture.js';

const { PAGE_FLIP_EVENT: EVENT, TEST_ONLY, NONBLOCK } = ATOMIC_FLAGS;

/** Polls without waiting: true when the fence fd is signalled (readable). */
async function signalled(fd: number): Promise<boolean> {
  return waitSignalled(fd, 5);
}

describe('fences', () => {
  let r: Rig;
  let lit: Lit;
  const frames = async () => (await adminCall<PeerStatus[]>(r.pair.admin, { cmd: 'status' }))[0]!.connectors[0]!.frames;
  const atomic = (req: ReturnType<Lit['req']>, flags: number, fds: number[] = [], user = 0n) => {
    const u = new Uint8Array(8);
    new DataView(u.buffer).setBigUint64(0, user, true);
    return r.master.callWithFds('MODE_ATOMIC', { flags, ...req.flatten(), user_data: u }, fds);
  };
  // A fence here signals when the test says: no commit may time out meanwhile, however slow the machine (the
  // timeout itself is tested on a rig of its own below).
  beforeAll(async () => ({ r, lit } = await litRig({ frontendArgs: ['--fence-timeout', '600000'] })));
  afterAll(async () => r?.stop());

  it('ATOM-15 / K-AT-27: TEST_ONLY with OUT_FENCE_PTR creates no fence (slot -1)', async () => {
    const { result, fds } = await atomic(lit.req().set(lit.out.crtcId, 'OUT_FENCE_PTR', 1), TEST_ONLY);
    expect(result.out_fences).toEqual([{ crtc_id: lit.out.crtcId, fd_index: -1 }]);
    expect(fds).toEqual([]);
  });

  it('ATOM-16 / K-AT-30: a real commit with OUT_FENCE_PTR (no event) gets a fence that signals when it completes', async () => {
    const { result, fds } = await atomic(lit.req().set(lit.out.crtcId, 'OUT_FENCE_PTR', 1).set(lit.planeId, 'FB_ID', lit.fbs[1]!), NONBLOCK);
    expect(result.out_fences).toEqual([{ crtc_id: lit.out.crtcId, fd_index: 0 }]);
    expect(fds.length).toBe(1);
    expect(await waitSignalled(fds[0]!, 1000)).toBe(true);
    expect((await r.master.call('MODE_GETCRTC', { crtc_id: lit.out.crtcId })).fb_id).toBe(lit.fbs[1]);
    native.close(fds[0]!);
  });

  it('a legacy flip can ask for an out-fence too', async () => {
    const { result, fds } = await r.master.callWithFds('MODE_PAGE_FLIP', { crtc_id: lit.out.crtcId, fb_id: lit.fbs[0]!, flags: PAGE_FLIP.EVENT, user_data: new Uint8Array(8), out_fence: true });
    expect(result.out_fence).toBe(0);
    await r.master.nextEvent(3000);
    expect(await waitSignalled(fds[0]!, 1000)).toBe(true);
    native.close(fds[0]!);
  });

  it('ATOM-07: IN_FENCE_FD naming no attached fd is EINVAL', async () => {
    await fails(atomic(lit.req().set(lit.planeId, 'IN_FENCE_FD', 0).set(lit.planeId, 'FB_ID', lit.fbs[1]!), 0), 'EINVAL');
  });

  it('a non-blocking commit waits for its in-fence: nothing is shown and its out-fence stays unsignalled until then', async () => {
    const [rd, wr] = native.pipe();
    const before = await frames();
    const shown = (await r.master.call('MODE_GETCRTC', { crtc_id: lit.out.crtcId })).fb_id;
    const other = shown === lit.fbs[0] ? lit.fbs[1]! : lit.fbs[0]!;
    const { fds } = await atomic(lit.req().set(lit.planeId, 'IN_FENCE_FD', 0).set(lit.planeId, 'FB_ID', other).set(lit.out.crtcId, 'OUT_FENCE_PTR', 1), EVENT | NONBLOCK, [rd], 11n);
    native.close(rd);
    await expect(r.master.nextEvent(150)).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    expect(await frames()).toBe(before);
    expect(await signalled(fds[0]!)).toBe(false);
    // Busy meanwhile: another non-blocking commit on the CRTC is EBUSY.
    await fails(atomic(lit.req().set(lit.planeId, 'FB_ID', shown), NONBLOCK), 'EBUSY');
    native.close(wr); // signal
    expect((await r.master.nextEvent(3000)).userData).toBe(11n);
    expect(await frames()).toBe(before + 1);
    expect(await waitSignalled(fds[0]!, 1000)).toBe(true);
    native.close(fds[0]!);
  });

  it('EXPORT_SYNC_FILE: signalled for a buffer off screen; for the shown one, once a flip replaced it', async () => {
    const shown = (await r.master.call('MODE_GETCRTC', { crtc_id: lit.out.crtcId })).fb_id;
    const idx = lit.fbs.indexOf(shown);
    const onScreen = await r.master.callWithFds('PRIME_EXPORT_FENCE', { handle: lit.handles[idx]! });
    const offScreen = await r.master.callWithFds('PRIME_EXPORT_FENCE', { handle: lit.handles[1 - idx]! });
    expect(await signalled(offScreen.fds[0]!)).toBe(true);
    expect(await signalled(onScreen.fds[0]!)).toBe(false);
    // Another process can poll it.
    const child = spawn(process.execPath, ['-e', `const fs=require('fs');const t=setInterval(()=>{try{fs.readSync(3,Buffer.alloc(1))}catch(e){return}clearInterval(t);process.exit(0)},5);setTimeout(()=>process.exit(3),30000)`], {
      stdio: ['ignore', 'inherit', 'inherit', onScreen.fds[0]!],
    });
    await r.master.pageFlip(lit.out.crtcId, lit.fbs[1 - idx]!, 13n);
    await r.master.nextEvent(3000);
    expect(await waitSignalled(onScreen.fds[0]!, 1000)).toBe(true);
    expect((await once(child, 'exit'))[0]).toBe(0);
    for (const fd of [onScreen.fds[0]!, offScreen.fds[0]!]) native.close(fd);
  });

  it('IMPORT_SYNC_FILE: a flip to a buffer with an imported fence waits for it', async () => {
    const shown = (await r.master.call('MODE_GETCRTC', { crtc_id: lit.out.crtcId })).fb_id;
    const idx = 1 - lit.fbs.indexOf(shown);
    const [rd, wr] = native.pipe();
    await r.master.callWithFds('PRIME_IMPORT_FENCE', { handle: lit.handles[idx]! }, [rd]);
    native.close(rd);
    await r.master.pageFlip(lit.out.crtcId, lit.fbs[idx]!, 14n);
    await expect(r.master.nextEvent(150)).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    native.close(wr);
    expect((await r.master.nextEvent(3000)).userData).toBe(14n);
    await fails(r.master.callWithFds('PRIME_IMPORT_FENCE', { handle: 999 }, []), 'EBADF');
  });
});

describe('fence timeout', () => {
  let r: Rig;
  let lit: Lit;
  const frames = async () => (await adminCall<PeerStatus[]>(r.pair.admin, { cmd: 'status' }))[0]!.connectors[0]!.frames;
  const atomic = (req: ReturnType<Lit['req']>, flags: number, fds: number[] = [], user = 0n) => {
    const u = new Uint8Array(8);
    new DataView(u.buffer).setBigUint64(0, user, true);
    return r.master.callWithFds('MODE_ATOMIC', { flags, ...req.flatten(), user_data: u }, fds);
  };
  // Short: each test waits for it once, on fences that never signal.
  beforeAll(async () => ({ r, lit } = await litRig({ frontendArgs: ['--fence-timeout', '400'] })));
  afterAll(async () => r?.stop());

  it('a fence that never signals is reported: the blocking commit fails ETIMEDOUT and changes nothing', async () => {
    const [rd, wr] = native.pipe();
    const fb = (await r.master.call('MODE_GETCRTC', { crtc_id: lit.out.crtcId })).fb_id;
    const other = fb === lit.fbs[0] ? lit.fbs[1]! : lit.fbs[0]!;
    await fails(atomic(lit.req().set(lit.planeId, 'IN_FENCE_FD', 0).set(lit.planeId, 'FB_ID', other), 0, [rd]), 'ETIMEDOUT');
    expect((await r.master.call('MODE_GETCRTC', { crtc_id: lit.out.crtcId })).fb_id).toBe(fb);
    for (const fd of [rd, wr]) native.close(fd);
  });

  it('…and a non-blocking one is dropped after the timeout, its event still delivered, nothing scanned out', async () => {
    const [rd, wr] = native.pipe();
    const before = await frames();
    const fb = (await r.master.call('MODE_GETCRTC', { crtc_id: lit.out.crtcId })).fb_id;
    const other = fb === lit.fbs[0] ? lit.fbs[1]! : lit.fbs[0]!;
    await atomic(lit.req().set(lit.planeId, 'IN_FENCE_FD', 0).set(lit.planeId, 'FB_ID', other), EVENT | NONBLOCK, [rd], 12n);
    expect((await r.master.nextEvent(30_000)).userData).toBe(12n);
    expect(await frames()).toBe(before);
    expect((await r.master.call('MODE_GETCRTC', { crtc_id: lit.out.crtcId })).fb_id).toBe(fb);
    for (const fd of [rd, wr]) native.close(fd);
  });
});
