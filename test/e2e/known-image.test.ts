// A client process draws a known image and flips it: the backend's CRC of the scanned-out frame equals the CRC of
// the client's pixels, and the backend's PNG snapshot holds exactly those pixels.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { adminCall } from '../../cli/admin-client.js';
import { decodePng } from '../../shared/pixels/png.js';
import { run, startPair, type Pair } from '../../cli/processes.js';
import { knownImageMismatches } from '../helpers/known-image.js';
import { until } from '../helpers/until.js';

describe('one frame end to end', () => {
  let pair: Pair;
  beforeAll(async () => {
    pair = await startPair({ connectors: '320x200', crcLog: true });
  });
  afterAll(async () => pair?.stop());

  it('backend CRC and snapshot equal the client image', async () => {
    // --hold keeps the device open: closing it would remove the fb and turn the output off, as in the kernel.
    const client = run(['pattern', '--runtime-dir', pair.dir, '--image', 'known:42', '--hold']);
    const line = await client.waitLine(/shown known image/);
    const clientCrc = /crc (0x[0-9a-f]{8})/.exec(line)![1]!;
    // The backend logs the CRC of every frame it scanned out; the flipped known image is among them.
    await pair.backend.waitLine(new RegExp(`crc 1/0 \\d+ ${clientCrc}`));

    const path = join(pair.dir, 'snap.png');
    const snap = await adminCall<{ width: number; height: number; crc: number }>(pair.admin, { cmd: 'snapshot', connector: 0, path });
    expect(`0x${snap.crc.toString(16).padStart(8, '0')}`).toBe(clientCrc);
    const png = decodePng(readFileSync(path));
    expect([png.width, png.height]).toEqual([320, 200]);
    expect(knownImageMismatches(png.rgba, 42, 0, 0, 320, 200)).toBe(0);
    expect(await client.stop('SIGINT')).toEqual({ code: 0, signal: null });
    // With the client gone its framebuffers are removed and the connector soon shows nothing.
    let last: unknown;
    await until(async () => {
      last = await adminCall(pair.admin, { cmd: 'snapshot', connector: 0, path }).catch((e: unknown) => e);
      return (last as { code?: string }).code === 'ENODEV';
    }, 20);
    expect(last).toMatchObject({ code: 'ENODEV' });
  });

  it('a snapshot of a connector that shows nothing is ENODEV', async () => {
    await expect(adminCall(pair.admin, { cmd: 'snapshot', connector: 3, path: join(pair.dir, 'x.png') })).rejects.toMatchObject({ code: 'ENODEV' });
  });
});
