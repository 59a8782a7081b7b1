// Debian's modetest under `pvdisplay run`: listing (drmOpen by module name, every object), a mode set that the
// backend shows as modetest's SMPTE bars, legacy (-v) and atomic (-a -v) page flipping that the backend counts,
// and a property write (-w) that drm_info then shows.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminCall } from '../../cli/admin-client.js';
import { startPair, type Pair } from '../../cli/processes.js';
import { decodePng } from '../../shared/pixels/png.js';
import { Card } from '../../frontend/client/card.js';
import { findOutput } from '../../frontend/client/output.js';
import { DRM_CLIENT_CAP } from '../../protocol/kms/constants.js';
import { backendConnector, drmProgramsWanted, runToEnd, runUnder, killLeftovers } from '../helpers/drm-programs.js';

/** libdrm's util/pattern.c SMPTE top bars, left to right: grey, yellow, cyan, green, magenta, red, blue (75%). */
const SMPTE_TOP = [
  [192, 192, 192],
  [192, 192, 0],
  [0, 192, 192],
  [0, 192, 0],
  [192, 0, 192],
  [192, 0, 0],
  [0, 0, 192],
];

describe.skipIf(!drmProgramsWanted)('modetest under pvdisplay run', () => {
  let pair: Pair;
  let conn = 0;
  let crtc = 0;
  let plane = 0;
  beforeAll(async () => {
    pair = await startPair({ connectors: '640x480' });
    const card = Card.open(pair.card);
    const out = await findOutput(card, 0);
    conn = out.connector.connector_id;
    crtc = out.crtcId;
    await card.call('SET_CLIENT_CAP', { capability: DRM_CLIENT_CAP.UNIVERSAL_PLANES, value: 1 });
    plane = (await card.call('MODE_GETPLANERESOURCES', {})).planes[0]!;
    card.close();
  });
  afterAll(async () => {
    killLeftovers();
    await pair?.stop();
  });

  it('modetest -M pvdisplay lists the encoders, connectors, CRTCs and planes and exits 0', async () => {
    const r = await runToEnd(pair, ['modetest', '-M', 'pvdisplay']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Encoders:/m);
    expect(r.stdout).toMatch(new RegExp(`^${conn}\\t\\d+\\tconnected\\tVirtual-1`, 'm'));
    expect(r.stdout).toMatch(new RegExp(`^${crtc}\\t0\\t\\(0,0\\)`, 'm'));
    expect(r.stdout).toMatch(/^Planes:/m);
    for (const name of ['EDID', 'DPMS', 'link-status']) expect(r.stdout).toContain(name);
    expect(r.stdout).toMatch(/#0 640x480 60\.00 640 /);
  });

  it('modetest -s shows the SMPTE pattern on the backend until a key is pressed', async () => {
    const p = runUnder(pair, ['modetest', '-M', 'pvdisplay', '-s', `${conn}@${crtc}:640x480`]);
    // modetest's stdout is a pipe (block-buffered until exit): the backend says when the mode is set.
    await expect.poll(async () => (await backendConnector(pair)).mode, { timeout: 15_000 }).toBe('640x480');
    const path = join(pair.dir, 'smpte.png');
    await adminCall(pair.admin, { cmd: 'snapshot', connector: 0, path });
    const png = decodePng(readFileSync(path));
    expect([png.width, png.height]).toEqual([640, 480]);
    const at = (x: number, y: number) => [...png.rgba.subarray((y * 640 + x) * 4, (y * 640 + x) * 4 + 3)];
    const bars = SMPTE_TOP.map((_, i) => at(Math.floor(((i + 0.5) * 640) / 7), 100));
    expect(bars).toEqual(SMPTE_TOP);
    p.press();
    expect((await p.exited).code).toBe(0);
  });

  it("modetest -v flips (legacy PAGE_FLIP + events): it reports a frequency and the backend's flip counter grows by as much", async () => {
    const before = (await backendConnector(pair)).flips;
    const p = runUnder(pair, ['modetest', '-M', 'pvdisplay', '-s', `${conn}@${crtc}:640x480`, '-v']);
    // modetest prints "freq: N.NNHz" every 60 flips.
    const freqs = await p.waitFor(/freq: [\d.]+Hz/, 2, 60_000);
    expect(Number(/freq: ([\d.]+)Hz/.exec(freqs[1]!)![1])).toBeGreaterThan(0);
    expect((await backendConnector(pair)).flips - before).toBeGreaterThanOrEqual(120);
    p.press();
    expect((await p.exited).code).toBe(0);
  });

  it('modetest -a -P -v flips through blocking atomic commits until interrupted; the backend counts them', async () => {
    const before = (await backendConnector(pair)).flips;
    // In atomic mode modetest lights the primary plane only when told (-P); its flip loop never reads stdin.
    const p = runUnder(pair, ['modetest', '-M', 'pvdisplay', '-a', '-s', `${conn}@${crtc}:640x480`, '-P', `${plane}@${crtc}:640x480`, '-v']);
    const freqs = await p.waitFor(/freq: [\d.]+Hz/, 2, 60_000);
    expect(Number(/freq: ([\d.]+)Hz/.exec(freqs[1]!)![1])).toBeGreaterThan(0);
    expect((await backendConnector(pair)).flips - before).toBeGreaterThanOrEqual(120);
    p.kill('SIGINT');
    expect((await p.exited).code).toBe(130);
  });

  it('modetest -w sets a connector property that drm_info then shows changed', async () => {
    const w = await runToEnd(pair, ['modetest', '-M', 'pvdisplay', '-w', `${conn}:DPMS:3`]);
    expect(w.code, w.stderr).toBe(0);
    const r = await runToEnd(pair, ['drm_info', '-j']);
    const dev = (JSON.parse(r.stdout) as Record<string, { connectors: { id: number; properties: Record<string, { raw_value: number }> }[] }>)['/dev/dri/card0']!;
    expect(dev.connectors.find((c) => c.id === conn)!.properties.DPMS!.raw_value).toBe(3);
    expect((await runToEnd(pair, ['modetest', '-M', 'pvdisplay', '-w', `${conn}:DPMS:0`])).code).toBe(0);
  });
});
