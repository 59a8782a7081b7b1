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

/** A lit rig (hooks registered in the calling describe) whose fences time out after `fenceTimeoutMs`. */
function fenceRig(fenceTimeoutMs: number) {
  const t = {
    r: undefined as unknown as Rig,
    lit: undefined as unknown as Lit,
    frames: async () => (await adminCall<PeerStatus[]>(t.r.pair.admin, { cmd: 'status' }))[0]!.connectors[0]!.frames,
    atomic: (req: ReturnType<Lit['req']>, flags: number, fds: number[] = [], user = 0n) => {
      const u = new Uint8Array(8);
      new DataView(u.buffer).setBigUint64(0, user, true);
      return t.r.master.callWithFds('MODE_ATOMIC', { flags, ...req.flatten(), user_data: u }, fds);
    },
  };
  beforeAll(async () => Object.assign(t, await litRig({ frontendArgs: ['--fence-timeout', String(fenceTimeoutMs)] })));
  afterAll(async () => t.r?.stop());
  return t;
}

describe('fences', () => {
  // A fence here signals when the test says: no commit may time out meanwhile, however slow the machine (the
  // timeout itself is tested on a rig of its own below).
  const t = fenceRig(600_000);

  it('ATOM-15 / K-AT-27: TEST_ONLY with OUT_FENCE_PTR creates no fence (slot -1)', async () => {
    const { result, fds } = await t.atomic(t.lit.req().set(t.lit.out.crtcId, 'OUT_FENCE_PTR', 1), TEST_ONLY);
    expect(result.out_fences).toEqual([{ crtc_id: t.lit.out.crtcId, fd_index: -1 }]);
    expect(fds).toEqual([]);
  });

  it('ATOM-16 / K-AT-30: a real commit with OUT_FENCE_PTR (no event) gets a fence that signals when it completes', async () => {
    const { result, fds } = await t.atomic(t.lit.req().set(t.lit.out.crtcId, 'OUT_FENCE_PTR', 1).set(t.lit.planeId, 'FB_ID', t.lit.fbs[1]!), NONBLOCK);
    expect(result.out_fences).toEqual([{ crtc_id: t.lit.out.crtcId, fd_index: 0 }]);
    expect(fds.length).toBe(1);
    expect(await waitSignalled(fds[0]!, 1000)).toBe(true);
    expect((await t.r.master.call('MODE_GETCRTC', { crtc_id: t.lit.out.crtcId })).fb_id).toBe(t.lit.fbs[1]);
    native.close(fds[0]!);
  });

  it('a legacy flip can ask for an out-fence too', async () => {
    const { result, fds } = await t.r.master.callWithFds('MODE_PAGE_FLIP', { crtc_id: t.lit.out.crtcId, fb_id: t.lit.fbs[0]!, flags: PAGE_FLIP.EVENT, user_data: new Uint8Array(8), out_fence: true });
    expect(result.out_fence).toBe(0);
    await t.r.master.nextEvent(3000);
    expect(await waitSignalled(fds[0]!, 1000)).toBe(true);
    native.close(fds[0]!);
  });

  it('ATOM-07: IN_FENCE_FD naming no attached fd is EINVAL', async () => {
    await fails(t.atomic(t.lit.req().set(t.lit.planeId, 'IN_FENCE_FD', 0).set(t.lit.planeId, 'FB_ID', t.lit.fbs[1]!), 0), 'EINVAL');
  });

  it('a non-blocking commit waits for its in-fence: nothing is shown and its out-fence stays unsignalled until then', async () => {
    const [rd, wr] = native.pipe();
    const before = await t.frames();
    const shown = (await t.r.master.call('MODE_GETCRTC', { crtc_id: t.lit.out.crtcId })).fb_id;
    const other = shown === t.lit.fbs[0] ? t.lit.fbs[1]! : t.lit.fbs[0]!;
    const { fds } = await t.atomic(t.lit.req().set(t.lit.planeId, 'IN_FENCE_FD', 0).set(t.lit.planeId, 'FB_ID', other).set(t.lit.out.crtcId, 'OUT_FENCE_PTR', 1), EVENT | NONBLOCK, [rd], 11n);
    native.close(rd);
    await expect(t.r.master.nextEvent(150)).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    expect(await t.frames()).toBe(before);
    expect(await signalled(fds[0]!)).toBe(false);
    // Busy meanwhile: another non-blocking commit on the CRTC is EBUSY.
    await fails(t.atomic(t.lit.req().set(t.lit.planeId, 'FB_ID', shown), NONBLOCK), 'EBUSY');
    native.close(wr); // signal
    expect((await t.r.master.nextEvent(3000)).userData).toBe(11n);
    expect(await t.frames()).toBe(before + 1);
    expect(await waitSignalled(fds[0]!, 1000)).toBe(true);
    native.close(fds[0]!);
  });

  it('EXPORT_SYNC_FILE: signalled for a buffer off screen; for the shown one, once a flip replaced it', async () => {
    const shown = (await t.r.master.call('MODE_GETCRTC', { crtc_id: t.lit.out.crtcId })).fb_id;
    const idx = t.lit.fbs.indexOf(shown);
    const onScreen = await t.r.master.callWithFds('PRIME_EXPORT_FENCE', { handle: t.lit.handles[idx]! });
    const offScreen = await t.r.master.callWithFds('PRIME_EXPORT_FENCE', { handle: t.lit.handles[1 - idx]! });
    expect(await signalled(offScreen.fds[0]!)).toBe(true);
    expect(await signalled(onScreen.fds[0]!)).toBe(false);
    // Another process can poll it.
    const child = spawn(process.execPath, ['-e', `const fs=require('fs');const t=setInterval(()=>{try{fs.readSync(3,Buffer.alloc(1))}catch(e){return}clearInterval(t);process.exit(0)},5);setTimeout(()=>process.exit(3),30000)`], {
      stdio: ['ignore', 'inherit', 'inherit', onScreen.fds[0]!],
    });
    await t.r.master.pageFlip(t.lit.out.crtcId, t.lit.fbs[1 - idx]!, 13n);
    await t.r.master.nextEvent(3000);
    expect(await waitSignalled(onScreen.fds[0]!, 1000)).toBe(true);
    expect((await once(child, 'exit'))[0]).toBe(0);
    for (const fd of [onScreen.fds[0]!, offScreen.fds[0]!]) native.close(fd);
  });

  it('IMPORT_SYNC_FILE: a flip to a buffer with an imported fence waits for it', async () => {
    const shown = (await t.r.master.call('MODE_GETCRTC', { crtc_id: t.lit.out.crtcId })).fb_id;
    const idx = 1 - t.lit.fbs.indexOf(shown);
    const [rd, wr] = native.pipe();
    await t.r.master.callWithFds('PRIME_IMPORT_FENCE', { handle: t.lit.handles[idx]! }, [rd]);
    native.close(rd);
    await t.r.master.pageFlip(t.lit.out.crtcId, t.lit.fbs[idx]!, 14n);
    await expect(t.r.master.nextEvent(150)).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    native.close(wr);
    expect((await t.r.master.nextEvent(3000)).userData).toBe(14n);
    await fails(t.r.master.callWithFds('PRIME_IMPORT_FENCE', { handle: 999 }, []), 'EBADF');
  });
});

describe('fence timeout', () => {
  // Short: each test waits for it once, on fences that never signal.
  const t = fenceRig(400);

  it('a fence that never signals is reported: the blocking commit fails ETIMEDOUT and changes nothing', async () => {
    const [rd, wr] = native.pipe();
    const fb = (await t.r.master.call('MODE_GETCRTC', { crtc_id: t.lit.out.crtcId })).fb_id;
    const other = fb === t.lit.fbs[0] ? t.lit.fbs[1]! : t.lit.fbs[0]!;
    await fails(t.atomic(t.lit.req().set(t.lit.planeId, 'IN_FENCE_FD', 0).set(t.lit.planeId, 'FB_ID', other), 0, [rd]), 'ETIMEDOUT');
    expect((await t.r.master.call('MODE_GETCRTC', { crtc_id: t.lit.out.crtcId })).fb_id).toBe(fb);
    for (const fd of [rd, wr]) native.close(fd);
  });

  it('…and a non-blocking one is dropped after the timeout, its event still delivered, nothing scanned out', async () => {
    const [rd, wr] = native.pipe();
    const before = await t.frames();
    const fb = (await t.r.master.call('MODE_GETCRTC', { crtc_id: t.lit.out.crtcId })).fb_id;
    const other = fb === t.lit.fbs[0] ? t.lit.fbs[1]! : t.lit.fbs[0]!;
    await t.atomic(t.lit.req().set(t.lit.planeId, 'IN_FENCE_FD', 0).set(t.lit.planeId, 'FB_ID', other), EVENT | NONBLOCK, [rd], 12n);
    expect((await t.r.master.nextEvent(30_000)).userData).toBe(12n);
    expect(await t.frames()).toBe(before);
    expect((await t.r.master.call('MODE_GETCRTC', { crtc_id: t.lit.out.crtcId })).fb_id).toBe(fb);
    for (const fd of [rd, wr]) native.close(fd);
  });
});
