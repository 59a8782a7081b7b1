// What a flipping client sets up first: two full-screen XRGB8888 framebuffers on connector 0's preferred mode, the
// first one shown, so that flips can alternate between them.
import type { Card } from '../../frontend/client/card.js';
import { findOutput, type Output } from '../../frontend/client/output.js';
import { XRGB8888 } from '../../protocol/formats.js';

export async function showTwoFramebuffers(card: Card): Promise<{ out: Output; fbs: number[] }> {
  const out = await findOutput(card, 0);
  const { hdisplay: w, vdisplay: h } = out.mode;
  const fbs: number[] = [];
  for (let i = 0; i < 2; i++) {
    const d = await card.createDumb(w, h, 32);
    fbs.push(await card.addFb2(w, h, XRGB8888.fourcc, d.handle, d.pitch));
  }
  await card.setCrtc(out.crtcId, fbs[0]!, 0, 0, [out.connector.connector_id], out.mode);
  return { out, fbs };
}
