// v1 and v2 peers interoperate in every pairing: the chosen version is the highest common one; with v2 the
// connector's mode and size come from GET_EDID, with v1 from the store's resolution.
import { describe, expect, it } from 'vitest';
import { Card } from '../../frontend/client/card.js';
import { findOutput } from '../../frontend/client/output.js';
import { XRGB8888 } from '../../protocol/formats.js';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, startPair } from '../../cli/processes.js';

const pairings = [
  { backend: '1,2', frontend: '1,2', expect: 2 },
  { backend: '1', frontend: '1,2', expect: 1 },
  { backend: '1,2', frontend: '1', expect: 1 },
  { backend: '2', frontend: '2', expect: 2 },
];

describe.each(pairings)('backend v$backend with frontend v$frontend', (p) => {
  it(`negotiates v${p.expect}, shows the mode and flips`, async () => {
    const pair = await startPair({ connectors: '800x600', backendVersions: p.backend, frontendVersions: p.frontend, unpaced: true });
    const card = Card.open(pair.card);
    try {
      expect(pair.frontend.lines.join('\n')).toContain(`displif v${p.expect}`);
      const out = await findOutput(card, 0);
      expect([out.mode.hdisplay, out.mode.vdisplay, out.mode.vrefresh]).toEqual([800, 600, 60]);
      // Only the EDID (v2) carries a physical size.
      if (p.expect === 2) expect(out.connector.mm_width).toBeGreaterThan(0);
      else expect(out.connector.mm_width).toBe(0);
      const d = await card.createDumb(800, 600, 32);
      const fb = await card.addFb2(800, 600, XRGB8888.fourcc, d.handle, d.pitch);
      await card.setCrtc(out.crtcId, fb, 0, 0, [out.connector.connector_id], out.mode);
      await card.pageFlip(out.crtcId, fb, 5n);
      expect((await card.nextEvent()).userData).toBe(5n);
    } finally {
      card.close();
      await pair.stop();
    }
  });
});

it('a frontend that shares no version with the backend says so once, with both lists, and exits 1; the backend logs it once', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pvd-ver-'));
  const backend = run(['backend', '--runtime-dir', dir, '--versions', '1']);
  try {
    await backend.waitLine(/backend listening/);
    const frontend = run(['frontend', '--runtime-dir', dir, '--versions', '2']);
    // Retrying cannot help until one side is restarted with other --versions: the frontend stops instead.
    expect(await frontend.exited()).toEqual({ code: 1, signal: null });
    const said = 'EPROTONOSUPPORT: no common protocol version: the backend offers 1, this frontend speaks 2';
    expect(frontend.lines.filter((l) => l.includes('no common protocol version'))).toEqual([`pvdisplay: ${said}`]);
    expect(existsSync(join(dir, 'dri', 'card0'))).toBe(false);
    // The backend hears why (Xen's error node, as xenbus_dev_fatal writes it) and logs it once.
    await backend.waitLine(/frontend failed/);
    await backend.waitLine(/frontend connected/);
    expect(backend.lines.filter((l) => l.includes('frontend connected'))).toEqual(['frontend connected as domain 1']);
    expect(backend.lines.filter((l) => l.includes('frontend failed'))).toEqual([`[peer] warn: domain 1: frontend failed: 93 ${said.slice('EPROTONOSUPPORT: '.length)}`]);
  } finally {
    await backend.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
