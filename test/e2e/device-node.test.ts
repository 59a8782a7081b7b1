// The device node as a client meets it: errno rules of the first-light operations, and hostile input that must
// only ever cost the sender.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as native from '../../shared/native/index.js';
import { Card } from '../../frontend/client/card.js';
import { findOutput } from '../../frontend/client/output.js';
import { XRGB8888 } from '../../protocol/formats.js';
import { startPair, type Pair } from '../../cli/processes.js';
import { until } from '../helpers/until.js';

describe('device node', () => {
  let pair: Pair;
  let master: Card;
  beforeAll(async () => {
    pair = await startPair({ connectors: '320x240', unpaced: true });
    master = Card.open(pair.card);
    await master.call('VERSION', {});
  });
  afterAll(async () => {
    master?.close();
    await pair?.stop();
  });

  it('dumb buffers follow the kernel size rules', async () => {
    await expect(master.createDumb(0, 10, 32)).rejects.toMatchObject({ code: 'EINVAL', errno: 22 });
    await expect(master.createDumb(0x10000, 0x10000, 32)).rejects.toMatchObject({ code: 'EINVAL' });
    const d = await master.createDumb(1, 1, 32);
    expect(d).toMatchObject({ pitch: 4, size: 4096 });
    expect(d.handle).toBeGreaterThanOrEqual(1);
    await expect(master.call('MODE_MAP_DUMB', { handle: 999 })).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(master.destroyDumb(999)).rejects.toMatchObject({ code: 'EINVAL' });
    await master.destroyDumb(d.handle);
  });

  it('the mapping is the very memory the backend scans out (shared, not copied)', async () => {
    const d = await master.createDumb(320, 240, 32);
    const a = await master.mapDumb(d.handle);
    const b = await master.mapDumb(d.handle);
    a.words[5] = 0xdeadbeef;
    expect(b.words[5]).toBe(0xdeadbeef);
    a.unmap();
    b.unmap();
    await master.destroyDumb(d.handle);
  });

  it('modeset errors: unshowable mode EINVAL, non-master EACCES, fb of another file ENOENT', async () => {
    const out = await findOutput(master, 0);
    const d = await master.createDumb(320, 240, 32);
    const fb = await master.addFb2(320, 240, XRGB8888.fourcc, d.handle, d.pitch);
    const bad = { ...out.mode, hdisplay: 300, hsync_start: 310, hsync_end: 320, htotal: 330 };
    await expect(master.setCrtc(out.crtcId, fb, 0, 0, [out.connector.connector_id], bad)).rejects.toMatchObject({ code: 'EINVAL' });
    const other = Card.open(pair.card);
    try {
      await expect(other.setCrtc(out.crtcId, fb, 0, 0, [out.connector.connector_id], out.mode)).rejects.toMatchObject({ code: 'EACCES', errno: 13 });
      await expect(other.rmFb(fb)).rejects.toMatchObject({ code: 'ENOENT' });
    } finally {
      other.close();
    }
    await master.setCrtc(out.crtcId, fb, 0, 0, [out.connector.connector_id], out.mode);
    await master.rmFb(fb);
    expect((await master.call('MODE_GETCRTC', { crtc_id: out.crtcId })).mode_valid).toBe(0);
  });

  it('unknown operations are ENOTTY and malformed arguments EINVAL naming the field', async () => {
    await expect(master.call('NOPE' as 'VERSION', {})).rejects.toMatchObject({ code: 'ENOTTY' });
    await expect(master.call('MODE_CREATE_DUMB', { width: -1, height: 'x' } as never)).rejects.toThrow(/field 'width'/);
  });

  it('garbage on the socket closes only that connection', async () => {
    const fd = native.connect(pair.card);
    native.send(fd, Uint8Array.from([0xc1, 0xc1, 0xc1]), []);
    let eof = false;
    const w = native.watch(fd, 'r', () => {
      const m = native.recv(fd, 1024);
      if (m && m.data.length === 0) eof = true;
    });
    await until(() => eof);
    w.close();
    native.close(fd);
    expect(eof).toBe(true);
    expect((await master.call('VERSION', {})).name).toBe('pvdisplay');
  });

  it('a closed node path fails to open with ENOENT', async () => {
    expect(() => Card.open(`${pair.card}-missing`)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });
});
