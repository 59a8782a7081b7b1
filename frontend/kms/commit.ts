// The commit engine: swaps checked state in and turns it into displif operations, as xen-drm-front's display
// pipe does: a CRTC lighting up or changing mode is a SET_CONFIG, going dark the all-zero SET_CONFIG, a new
// framebuffer on a lit CRTC a PG_FLIP whose frame-done event (or the frame-done timer) completes the commit.
// Before anything is shown the commit waits for its fences (IN_FENCE_FD and fences imported onto the buffers);
// its out-fences signal when it completes. The backend takes no part in fences: completion is frame done.
// From the moment a commit takes its CRTCs until each one's update is on screen, every CRTC carries the commit's
// pending-flip record (pending-flip.ts), which alone delivers the event and the out-fence.
import { LINK_STATUS } from '../../protocol/kms/constants.js';
import { asErrno, pvError } from '../../shared/errors.js';
import { logger } from '../../shared/log.js';
import type { CheckedCommit } from './check.js';
import type { Crtc } from './crtc.js';
import type { KmsDevice } from './device.js';
import type { KmsState } from './props.js';
import { PendingFlip, type FlipEvent } from './pending-flip.js';
import type { ConnectorState, CrtcState, PlaneState } from './state.js';
import { Fence, waitSignalled } from '../../shared/fence.js';
import * as native from '../../shared/native/index.js';

const log = logger('commit');

export interface CommitOptions {
  /** Who gets one FLIP_COMPLETE event per CRTC of the commit, with this user data. */
  event?: FlipEvent;
  /** EBUSY instead of waiting when a CRTC still has a flip in flight. */
  nonblock: boolean;
}

interface Saved {
  crtc: CrtcState;
  plane: PlaneState;
  connector: ConnectorState;
}

function now(): bigint {
  return process.hrtime.bigint();
}

export interface CommitResult {
  /** The out-fence of each CRTC that asked for one (OUT_FENCE_PTR); the caller hands its fd on and closes it. */
  outFences: Map<Crtc, Fence>;
}

export async function commit(dev: KmsDevice, st: KmsState, checked: CheckedCommit, opts: CommitOptions): Promise<CommitResult> {
  for (let busy = checked.crtcs.find((c) => c.flip); busy; busy = checked.crtcs.find((c) => c.flip)) {
    if (opts.nonblock) throw pvError('EBUSY', `CRTC ${busy.id} still has a flip in flight`);
    await busy.flip!.done;
  }
  const ev = opts.event;
  let reserved = 0;
  try {
    if (ev) for (; reserved < checked.crtcs.length; reserved++) ev.file.reserveEvent();
  } catch (e) {
    for (; reserved > 0; reserved--) ev!.file.unreserveEvent();
    throw e;
  }
  const outFences = new Map<Crtc, Fence>();
  try {
    for (const crtc of checked.crtcs) if (st.outFences.has(crtc)) outFences.set(crtc, Fence.create());
  } catch (e) {
    if (ev) for (const _ of checked.crtcs) ev.file.unreserveEvent();
    for (const f of outFences.values()) f.close();
    throw e;
  }
  // From here on every record ends in complete() or abort(): a CRTC left holding one would stay busy for ever.
  const flips = checked.crtcs.map((crtc) => (crtc.flip = new PendingFlip(dev, crtc, ev, outFences.get(crtc))));
  try {
    const waits = fencesOf(st);
    if (waits.length === 0) {
      await apply(dev, st, checked, flips);
    } else if (!opts.nonblock) {
      if (!(await waitAll(waits, dev.options.fenceTimeoutMs))) {
        throw pvError('ETIMEDOUT', `a fence did not signal within ${dev.options.fenceTimeoutMs} ms; nothing was changed`);
      }
      await apply(dev, st, checked, flips);
    } else {
      // A non-blocking commit returns now; its CRTCs stay busy until its fences signal and it is applied.
      void waitAll(waits, dev.options.fenceTimeoutMs).then(async (ok) => {
        if (ok) return apply(dev, st, checked, flips).catch((e: unknown) => log.warn(`commit after fences: ${asErrno(e).message}`));
        // Reported, never hung on: the update is dropped, its events and out-fences are released.
        for (const f of flips) {
          f.crtc.fenceTimeouts++;
          log.warn(`CRTC ${f.crtc.id}: a fence did not signal within ${dev.options.fenceTimeoutMs} ms; update dropped`);
          f.complete(f.crtc.vblank.count, now());
        }
      });
      return { outFences };
    }
  } catch (e) {
    abandon(flips);
    // The caller never sees these fences: nobody else will close them.
    for (const f of outFences.values()) f.close();
    throw e;
  }
  if (!opts.nonblock) await Promise.all(flips.map((f) => f.done));
  return { outFences };
}

/** The fds a commit must wait for: its IN_FENCE_FDs and the fences imported onto the buffers it shows. */
function fencesOf(st: KmsState): number[] {
  const fds = [...st.inFences.values()];
  st.inFences.clear();
  for (const s of st.planes.values()) if (s.fb) fds.push(...s.fb.gem.takeWriteFences());
  return fds;
}

async function waitAll(fds: number[], timeoutMs: number): Promise<boolean> {
  try {
    return (await Promise.all(fds.map((fd) => waitSignalled(fd, timeoutMs)))).every(Boolean);
  } finally {
    for (const fd of fds) native.close(fd);
  }
}

async function apply(dev: KmsDevice, st: KmsState, checked: CheckedCommit, flips: PendingFlip[]): Promise<void> {
  const saved = new Map<Crtc, Saved>();
  for (const crtc of checked.crtcs) {
    const conn = dev.connectorOf(crtc);
    saved.set(crtc, { crtc: crtc.state, plane: crtc.plane.state, connector: conn.state });
  }
  for (const [c, s] of st.crtcs) c.state = s;
  for (const [p, s] of st.planes) p.state = s;
  for (const [k, s] of st.connectors) k.state = s;
  for (let i = 0; i < flips.length; i++) {
    const flip = flips[i]!;
    const crtc = flip.crtc;
    const old = saved.get(crtc)!;
    try {
      if (await program(dev, crtc, old, checked.modeset.has(crtc))) pageFlip(dev, flip);
      else flip.complete(crtc.vblank.count, crtc.vblank.on ? crtc.vblank.timestampNs || now() : now());
    } catch (e) {
      // The backend refused: this CRTC keeps its old state; the events not yet sent are given back.
      crtc.state = old.crtc;
      crtc.plane.state = old.plane;
      dev.connectorOf(crtc).state = old.connector;
      abandon(flips);
      throw e;
    } finally {
      dev.retireScanout();
    }
  }
}

/** A commit failed: its records whose PG_FLIP did not go out give their events back; every out-fence signals. */
function abandon(flips: PendingFlip[]): void {
  for (const f of flips) {
    if (!f.target) f.abort();
    f.outFence?.signal();
  }
}

/** Sends what one CRTC's new state needs; true when a PG_FLIP went out (its completion comes later). */
async function program(dev: KmsDevice, crtc: Crtc, old: Saved, modeset: boolean): Promise<boolean> {
  const s = crtc.state;
  const p = crtc.plane.state;
  if (!s.active) {
    if (old.crtc.active) {
      crtc.vblank.disable();
      await dev.backend.setConfig(crtc.index, null);
    }
    crtc.scanout = null;
    return false;
  }
  const fb = p.fb!;
  const m = s.mode!;
  const config = { fbCookie: fb.cookie, x: p.srcX >>> 16, y: p.srcY >>> 16, width: m.hdisplay, height: m.vdisplay, bpp: fb.format.bpp };
  if (modeset || !old.crtc.active) {
    await dev.backend.setConfig(crtc.index, config);
    crtc.scanout = fb;
    crtc.vblank.enable(m.vrefresh || 60);
    return false;
  }
  if (p.srcX !== old.plane.srcX || p.srcY !== old.plane.srcY) {
    await dev.backend.setConfig(crtc.index, config); // panning: displif has no other way to move the origin
    crtc.scanout = fb;
    return false;
  }
  // As xen-drm-front's display_update: a plane in the commit with an fb before and after is a PG_FLIP, even to
  // the same fb, and a blocking commit completes at its frame done (one per vblank, as drm_atomic_helper_commit).
  return p !== old.plane;
}

/** PG_FLIP with its frame-done timer: whichever comes first completes the flip (Linux: pflip_to_worker). */
function pageFlip(dev: KmsDevice, flip: PendingFlip): void {
  const crtc = flip.crtc;
  const fb = crtc.plane.state.fb!;
  flip.launch(fb, dev.options.frameDoneTimeoutMs, () => {
    crtc.frameDoneTimeouts++;
    crtc.owe(fb.cookie);
    log.warn(`CRTC ${crtc.id}: frame done timed out after ${dev.options.frameDoneTimeoutMs} ms, releasing`);
    // The display kept refreshing meanwhile: the event carries the vblank count and stamp of now, as a kernel
    // CRTC's running counter would.
    crtc.vblank.frameDone();
    flip.complete(crtc.vblank.count, crtc.vblank.timestampNs);
    dev.setLinkStatus(dev.connectorOf(crtc), LINK_STATUS.BAD);
    dev.onStats(crtc.index);
  });
  dev.backend.pageFlip(crtc.index, fb.cookie).catch((e: unknown) => {
    // The event is released at once, as Linux does. Linux also marks the connector disconnected for its poll helper
    // to find, but here the backend reports the status itself (feature-hotplug) and still shows the connector: the
    // failure is a link failure (K-LS-02), link-status Bad with a uevent, until a good frame makes it Good again.
    log.warn(`PG_FLIP on connector ${crtc.index}: ${asErrno(e).message}`);
    flip.complete(crtc.vblank.count, now());
    dev.setLinkStatus(dev.connectorOf(crtc), LINK_STATUS.BAD);
  });
}
