// The commit engine: swaps checked state in and turns it into displif operations, as xen-drm-front's display
// pipe does: a CRTC lighting up or changing mode is a SET_CONFIG, going dark the all-zero SET_CONFIG, a new
// framebuffer on a lit CRTC a PG_FLIP whose frame-done event (or the frame-done timer) completes the commit.
import { EVENT_TYPE } from '../../protocol/kms/constants.js';
import { asErrno, pvError } from '../../shared/errors.js';
import { logger } from '../../shared/log.js';
import type { CheckedCommit } from './check.js';
import type { Crtc, PendingFlip } from './crtc.js';
import type { KmsDevice } from './device.js';
import type { DrmFile } from './file.js';
import type { KmsState } from './props.js';
import type { ConnectorState, CrtcState, PlaneState } from './state.js';

const log = logger('commit');

export interface CommitOptions {
  /** Who gets one FLIP_COMPLETE event per CRTC of the commit, with this user data. */
  event?: { file: DrmFile; userData: bigint };
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

export async function commit(dev: KmsDevice, st: KmsState, checked: CheckedCommit, opts: CommitOptions): Promise<void> {
  for (const crtc of checked.crtcs) {
    if (!crtc.pending) continue;
    if (opts.nonblock) throw pvError('EBUSY', `CRTC ${crtc.id} still has a flip in flight`);
    await crtc.pending.done;
  }
  const ev = opts.event;
  let reserved = 0;
  try {
    if (ev) for (; reserved < checked.crtcs.length; reserved++) ev.file.reserveEvent();
  } catch (e) {
    for (; reserved > 0; reserved--) ev!.file.unreserveEvent();
    throw e;
  }
  const saved = new Map<Crtc, Saved>();
  for (const crtc of checked.crtcs) {
    const conn = dev.connectorOf(crtc);
    saved.set(crtc, { crtc: crtc.state, plane: crtc.plane.state, connector: conn.state });
  }
  for (const [c, s] of st.crtcs) c.state = s;
  for (const [p, s] of st.planes) p.state = s;
  for (const [k, s] of st.connectors) k.state = s;
  const deliverNow = (crtc: Crtc) => {
    if (ev) dev.sendVblankEvent(ev.file, EVENT_TYPE.FLIP_COMPLETE, ev.userData, crtc, crtc.vblank.count, crtc.vblank.on ? crtc.vblank.timestampNs || now() : now());
  };
  for (let i = 0; i < checked.crtcs.length; i++) {
    const crtc = checked.crtcs[i]!;
    const old = saved.get(crtc)!;
    try {
      const flipped = await program(dev, crtc, old, checked.modeset.has(crtc));
      if (flipped) armFlip(dev, crtc, ev);
      else deliverNow(crtc);
    } catch (e) {
      // The backend refused: this CRTC keeps its old state; events not yet sent are given back.
      crtc.state = old.crtc;
      crtc.plane.state = old.plane;
      dev.connectorOf(crtc).state = old.connector;
      if (ev) for (let j = i; j < checked.crtcs.length; j++) ev.file.unreserveEvent();
      throw e;
    }
  }
  if (!opts.nonblock) for (const crtc of checked.crtcs) await crtc.pending?.done;
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
    return false;
  }
  const fb = p.fb!;
  const m = s.mode!;
  const config = { fbCookie: fb.cookie, x: p.srcX >>> 16, y: p.srcY >>> 16, width: m.hdisplay, height: m.vdisplay, bpp: fb.format.bpp };
  if (modeset || !old.crtc.active) {
    await dev.backend.setConfig(crtc.index, config);
    crtc.vblank.enable(m.vrefresh || 60);
    return false;
  }
  if (p.srcX !== old.plane.srcX || p.srcY !== old.plane.srcY) {
    await dev.backend.setConfig(crtc.index, config); // panning: displif has no other way to move the origin
    return false;
  }
  if (fb === old.plane.fb) return false;
  return true;
}

/** PG_FLIP with its frame-done timer: whichever comes first completes the commit (Linux: pflip_to_worker). */
function armFlip(dev: KmsDevice, crtc: Crtc, ev: CommitOptions['event']): void {
  let resolveDone: () => void = () => undefined;
  const done = new Promise<void>((r) => (resolveDone = r));
  let finished = false;
  const pending: PendingFlip = {
    done,
    complete(sequence, timestampNs) {
      if (finished) return;
      finished = true;
      crtc.vblank.awaiting--;
      clearTimeout(timer);
      if (crtc.pending === pending) crtc.pending = null;
      if (ev) dev.sendVblankEvent(ev.file, EVENT_TYPE.FLIP_COMPLETE, ev.userData, crtc, sequence, timestampNs);
      resolveDone();
    },
  };
  const timer = setTimeout(() => {
    crtc.frameDoneTimeouts++;
    log.warn(`CRTC ${crtc.id}: frame done timed out after ${dev.options.frameDoneTimeoutMs} ms, releasing`);
    pending.complete(crtc.vblank.count, now());
  }, dev.options.frameDoneTimeoutMs);
  crtc.pending = pending;
  crtc.vblank.awaiting++;
  dev.backend.pageFlip(crtc.index, crtc.plane.state.fb!.cookie).catch((e: unknown) => {
    // As Linux: a failed PG_FLIP marks the connector disconnected and releases the event at once.
    log.warn(`PG_FLIP on connector ${crtc.index}: ${asErrno(e).message}`);
    dev.connectorOf(crtc).connected = false;
    pending.complete(crtc.vblank.count, now());
  });
}
