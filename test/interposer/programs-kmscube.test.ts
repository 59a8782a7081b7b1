// Debian's kmscube under `pvdisplay run`, on Mesa's software rasteriser (kms_swrast through dumb buffers): the
// frames it renders reach the backend, whose per-vblank CRCs change as the cube turns.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminCall } from '../../cli/admin-client.js';
import { startPair, type Pair } from '../../cli/processes.js';
import { backendConnector, drmProgramsWanted, runUnder, killLeftovers } from '../helpers/drm-programs.js';

interface CrcRead {
  entries: { sequence: number; crc: number }[];
}

describe.skipIf(!drmProgramsWanted)('kmscube under pvdisplay run', () => {
  let pair: Pair;
  beforeAll(async () => (pair = await startPair({ connectors: '320x240' })));
  afterAll(async () => {
    killLeftovers();
    await pair?.stop();
  });

  for (const atomic of [false]) {
    it(`kmscube ${atomic ? '-A ' : ''}-c 90 renders frames the backend scans out with changing CRCs`, async () => {
      const before = (await backendConnector(pair)).flips;
      await adminCall(pair.admin, { cmd: 'crc-start', connector: 0 });
      const p = runUnder(pair, ['kmscube', ...(atomic ? ['-A'] : []), '-D', '/dev/dri/card0', '-c', '90'], { GBM_ALWAYS_SOFTWARE: '1', LIBGL_ALWAYS_SOFTWARE: '1' });
      const exit = await p.exited;
      const read = await adminCall<CrcRead>(pair.admin, { cmd: 'crc-stop', connector: 0 });
      expect(exit.code, `${p.stdout.join('\n')}\n${p.stderr.join('\n')}`).toBe(0);
      expect((await backendConnector(pair)).flips - before).toBeGreaterThanOrEqual(89);
      // The cube turns every frame: many distinct CRCs among the frames scanned out.
      expect(new Set(read.entries.map((e) => e.crc)).size).toBeGreaterThan(30);
    });
  }

  // kmscube -A needs EGL_ANDROID_native_fence_sync, which Mesa's software rasteriser does not offer (on a kernel
  // device too): it gets through discovery, GBM (kms_swrast) and EGL (llvmpipe), then stops there.
  it('kmscube -A gets to EGL on llvmpipe and stops for want of eglDupNativeFenceFDANDROID (a Mesa swrast limit)', async () => {
    const p = runUnder(pair, ['kmscube', '-A', '-D', '/dev/dri/card0', '-c', '10'], { GBM_ALWAYS_SOFTWARE: '1' });
    const exit = await p.exited;
    const out = [...p.stdout, ...p.stderr].join('\n');
    expect(out).toMatch(/renderer: "llvmpipe/);
    expect(out).toContain('no eglDupNativeFenceFDANDROID');
    expect(exit.code).toBe(255);
  });
});
