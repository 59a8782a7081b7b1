// Shared setup for the conformance tests: a real backend + frontend pair, a master client with the ATOMIC cap,
// the first output lit with one of two XRGB8888 framebuffers, and the property ids of its objects.
import { Card } from '../../frontend/client/card.js';
import { AtomicRequest, commitAtomic, propertyIds } from '../../frontend/client/atomic.js';
import { findOutput, type Output } from '../../frontend/client/output.js';
import { DRM_CLIENT_CAP } from '../../protocol/kms/constants.js';
import { XRGB8888 } from '../../protocol/formats.js';
import { startPair, type Pair, type PairOptions } from '../../cli/processes.js';

export interface Lit {
  out: Output;
  fbs: number[];
  handles: number[];
  pitch: number;
  planeId: number;
  names: Map<number, Map<string, number>>;
  /** A fresh atomic request that knows the output's property ids. */
  req(): AtomicRequest;
  commit(req: AtomicRequest, flags: number, userData?: bigint): Promise<void>;
}

export interface Rig {
  pair: Pair;
  master: Card;
  open(): Card;
  /** Lights the first output with fbs[0] through legacy SETCRTC. */
  light(card?: Card): Promise<Lit>;
  stop(): Promise<void>;
}

export async function rig(o: PairOptions = {}): Promise<Rig> {
  const pair = await startPair({ connectors: '320x240', ...o });
  const cards: Card[] = [];
  const open = () => {
    const c = Card.open(pair.card);
    cards.push(c);
    return c;
  };
  const master = open();
  await master.call('SET_CLIENT_CAP', { capability: DRM_CLIENT_CAP.ATOMIC, value: 1 });
  return {
    pair,
    master,
    open,
    async light(card = master) {
      const out = await findOutput(card, 0);
      const { hdisplay: w, vdisplay: h } = out.mode;
      const fbs: number[] = [];
      const handles: number[] = [];
      let pitch = 0;
      for (let i = 0; i < 2; i++) {
        const d = await card.createDumb(w, h, 32);
        pitch = d.pitch;
        handles.push(d.handle);
        fbs.push(await card.addFb2(w, h, XRGB8888.fourcc, d.handle, d.pitch));
      }
      await card.setCrtc(out.crtcId, fbs[0]!, 0, 0, [out.connector.connector_id], out.mode);
      const planeId = (await card.call('MODE_GETPLANERESOURCES', {})).planes[0]!;
      const names = await propertyIds(card, [out.crtcId, out.connector.connector_id, planeId]);
      return {
        out,
        fbs,
        handles,
        pitch,
        planeId,
        names,
        req: () => new AtomicRequest(names),
        commit: (req, flags, userData) => commitAtomic(card, req, flags, userData),
      };
    },
    async stop() {
      for (const c of cards) c.close();
      await pair.stop();
    },
  };
}

/** A rig with its first output lit (the setup most conformance describe blocks share). */
export async function litRig(o: PairOptions = {}): Promise<{ r: Rig; lit: Lit }> {
  const r = await rig(o);
  return { r, lit: await r.light() };
}

/** Rejects unless the promise fails with `code`. */
export async function fails(p: Promise<unknown>, code: string): Promise<void> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  if (!err) throw new Error(`expected ${code}, but the call succeeded`);
  const got = (err as { code?: string }).code;
  if (got !== code) throw new Error(`expected ${code}, got ${got}: ${(err as Error).message}`);
}
