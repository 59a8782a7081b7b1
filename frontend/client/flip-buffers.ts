// What a flipping client sets up first: two full-screen XRGB8888 framebuffers on connector 0's preferred mode, the
// first one shown, so that flips can alternate between them.
import type { Card } from './card.js';
import type { BufferMapping } from './mapping.js';
import { findOutput, type Output } from './output.js';
import { XRGB8888 } from '../../protocol/formats.js';

export async function showTwoFramebuffers(card: Card): Promise<{ out: Output; fbs: number[] }> {
  const { out, fbs, maps } = await showTwoMappedFramebuffers(card);
  for (const m of maps) m.unmap();
  return { out, fbs };
}

/** showTwoFramebuffers with the client's mappings of both buffers kept (the caller unmaps them). */
export async function showTwoMappedFramebuffers(card: Card): Promise<{ out: Output; fbs: number[]; maps: BufferMapping[] }> {
  const out = await findOutput(card, 0);
  const { hdisplay: w, vdisplay: h } = out.mode;
  const fbs: number[] = [];
  const maps: BufferMapping[] = [];
  for (let i = 0; i < 2; i++) {
    const d = await card.createDumb(w, h, 32);
    maps.push(await card.mapDumb(d.handle));
    fbs.push(await card.addFb2(w, h, XRGB8888.fourcc, d.handle, d.pitch));
  }
  await card.setCrtc(out.crtcId, fbs[0]!, 0, 0, [out.connector.connector_id], out.mode);
  return { out, fbs, maps };
}
