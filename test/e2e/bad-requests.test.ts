// Bad requests on the ring get the right negative errno, and the backend keeps serving (this frontend and others).
import { describe, expect, it } from 'vitest';
import { Op } from '../../protocol/displif/constants.js';
import { encodeRequest, type Request } from '../../protocol/displif/request.js';
import { decodeResponse } from '../../protocol/displif/response.js';
import { writePageDirectory } from '../../protocol/displif/page-directory.js';
import { Segment } from '../../shared/shm.js';
import { Card } from '../../frontend/client/card.js';
import { rawRig } from '../helpers/raw-rig.js';

const XR24 = 0x34325258;

describe('hostile requests on the ring', () => {
  const rig = rawRig({ connectors: '64x48', unpaced: true });

  async function status(req: Request): Promise<{ id: number; operation: number; status: number }> {
    return decodeResponse(await rig.fe.request(encodeRequest(req, 2)), 2);
  }

  /** A 3-page buffer shared with the backend and its directory; returns the directory's gref. */
  async function shareBuffer(pages: number): Promise<number> {
    const buf = Segment.create(rig.fe.granter.segmentId(), 'buf', pages * 4096);
    const first = rig.fe.granter.share(buf);
    const dir = Segment.create(rig.fe.granter.segmentId(), 'dir', 4096);
    const dirGref = rig.fe.granter.share(dir);
    writePageDirectory([dir.page(0)], [dirGref], Array.from({ length: pages }, (_, i) => first + i));
    await rig.fe.granter.sync();
    return dirGref;
  }

  const dbuf = (id: number, cookie: bigint, grefDirectory: number, bufferSz = 12288): Request => ({
    kind: 'dbufCreate', operation: Op.DBUF_CREATE, id, dbufCookie: cookie, width: 64, height: 48, bpp: 32, bufferSz, flags: 0, grefDirectory, dataOfs: 0,
  });

  it('unknown opcode: -EINVAL, id and opcode echoed', async () => {
    const pkt = new Uint8Array(64);
    pkt[0] = 0x34;
    pkt[2] = 0x42;
    const rsp = decodeResponse(await rig.fe.request(pkt), 2);
    expect(rsp).toMatchObject({ id: 0x34, operation: 0x42, status: -22 });
  });

  it('cookie 0: -EINVAL', async () => {
    const dir = await shareBuffer(3);
    expect(await status(dbuf(2, 0n, dir))).toMatchObject({ id: 2, operation: Op.DBUF_CREATE, status: -22 });
  });

  it('bad grant ref in DBUF_CREATE: -EINVAL', async () => {
    expect(await status(dbuf(3, 7n, 0xdead))).toMatchObject({ status: -22 });
  });

  it('fb larger than its dbuf: -EINVAL; then a fitting one works', async () => {
    const dir = await shareBuffer(3);
    expect(await status(dbuf(4, 9n, dir))).toMatchObject({ status: 0 });
    const attach = (id: number, fbCookie: bigint, width: number, height: number): Request => ({
      kind: 'fbAttach', operation: Op.FB_ATTACH, id, dbufCookie: 9n, fbCookie, width, height, pixelFormat: XR24,
    });
    expect(await status(attach(5, 10n, 64, 49))).toMatchObject({ status: -22 });
    expect(await status(attach(6, 10n, 65, 48))).toMatchObject({ status: -22 });
    expect(await status(attach(7, 10n, 64, 48))).toMatchObject({ status: 0 });
    // A live cookie cannot be reused.
    expect(await status(attach(8, 10n, 64, 48))).toMatchObject({ status: -22 });
  });

  it('GET_EDID on a v2 ring answers a valid EDID size', async () => {
    const dir = await shareBuffer(8);
    const rsp = decodeResponse(await rig.fe.request(encodeRequest({ kind: 'getEdid', operation: Op.GET_EDID, id: 11, bufferSz: 32768, grefDirectory: dir }, 2)), 2);
    expect(rsp).toMatchObject({ kind: 'getEdid', status: 0, edidSz: 128 });
  });

  it('the backend keeps serving other frontends', async () => {
    const card = Card.open(rig.pair.card);
    try {
      expect((await card.call('VERSION', {})).name).toBe('pvdisplay');
      const d = await card.createDumb(64, 48, 32);
      expect(d.pitch).toBe(256);
    } finally {
      card.close();
    }
  });
});
