// Debian's vbltest and proptest under `pvdisplay run`: vblank events through the interposer's event fd, and
// property listing and setting through the legacy property ioctls.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPair, type Pair } from '../../cli/processes.js';
import { Card } from '../../frontend/client/card.js';
import { findOutput } from '../../frontend/client/output.js';
import { propertyIds } from '../../frontend/client/atomic.js';
import { DPMS } from '../../protocol/kms/constants.js';
import { drmProgramsWanted, runToEnd, runUnder, killLeftovers } from '../helpers/drm-programs.js';

describe.skipIf(!drmProgramsWanted)('vbltest and proptest under pvdisplay run', () => {
  let pair: Pair;
  let card: Card;
  let conn = 0;
  let dpms = 0;
  beforeAll(async () => {
    pair = await startPair({ connectors: '320x240' });
    card = Card.open(pair.card);
    const out = await findOutput(card, 0);
    conn = out.connector.connector_id;
    dpms = (await propertyIds(card, [conn])).get(conn)!.get('DPMS')!;
    // vblanks count only on a lit CRTC: light it from this (master) file and let the program in as a non-master.
    const d = await card.createDumb(320, 240, 32);
    const fb = await card.addFb2(320, 240, 0x34325258, d.handle, d.pitch);
    await card.setCrtc(out.crtcId, fb, 0, 0, [conn], out.mode);
  });
  afterAll(async () => {
    card?.close();
    killLeftovers();
    await pair?.stop();
  });

  it('vbltest -M pvdisplay reports vblanks (freq lines, one per 60 events) until a key is pressed', async () => {
    const p = runUnder(pair, ['vbltest', '-M', 'pvdisplay']);
    const lines = await p.waitFor(/freq: [\d.]+Hz/, 2, 60_000);
    expect(Number(/freq: ([\d.]+)Hz/.exec(lines[1]!)![1])).toBeGreaterThan(0);
    p.press();
    expect((await p.exited).code).toBe(0);
  });

  it('proptest -M pvdisplay lists every property, and sets one', async () => {
    card.close(); // proptest must be master to set
    const list = await runToEnd(pair, ['proptest', '-M', 'pvdisplay']);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`Connector ${conn}`));
    for (const name of ['EDID', 'DPMS', 'link-status']) expect(list.stdout).toContain(name);
    const set = await runToEnd(pair, ['proptest', '-M', 'pvdisplay', String(conn), 'connector', String(dpms), String(DPMS.OFF)]);
    expect(set.code, set.stderr).toBe(0);
    const again = Card.open(pair.card);
    const { props, prop_values } = await again.call('MODE_OBJ_GETPROPERTIES', { obj_id: conn, obj_type: 0 });
    expect(prop_values[props.indexOf(dpms)]).toBe(DPMS.OFF);
    again.close();
  });
});
