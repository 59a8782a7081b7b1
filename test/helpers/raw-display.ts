// displif operations over a RawFrontend's ring for tests: sharing a buffer with its page directory, and the
// requests that bring a frame to connector 0 (DBUF_CREATE, FB_ATTACH, SET_CONFIG, PG_FLIP), answered as statuses.
import { Op } from '../../protocol/displif/constants.js';
import { encodeRequest, type Request } from '../../protocol/displif/request.js';
import { decodeResponse } from '../../protocol/displif/response.js';
import { directoryPagesFor, writePageDirectory } from '../../protocol/displif/page-directory.js';
import { XRGB8888 } from '../../protocol/formats.js';
import { Segment } from '../../shared/shm.js';
import type { RawFrontend } from './raw-frontend.js';

type Outgoing = Request extends infer R ? (R extends Request ? Omit<R, 'id'> : never) : never;

export class RawDisplay {
  private nextId = 1;
  private nextCookie = 1n;

  constructor(readonly fe: RawFrontend) {}

  encode(req: Outgoing): Uint8Array {
    return encodeRequest({ ...req, id: this.nextId++ & 0xffff } as Request, 2);
  }

  /** The status of one request. */
  async call(req: Outgoing): Promise<number> {
    return decodeResponse(await this.fe.request(this.encode(req)), 2).status;
  }

  /** The statuses of requests the backend takes in one pass. */
  async batch(reqs: Outgoing[]): Promise<number[]> {
    return (await this.fe.requests(reqs.map((r) => this.encode(r)))).map((r) => decodeResponse(r, 2).status);
  }

  /** Shares a directory listing `grefs` and returns its first gref, once the backend has seen it. */
  async directory(grefs: number[]): Promise<number> {
    const pages = directoryPagesFor(grefs.length);
    const dir = Segment.create(this.fe.granter.segmentId(), 'raw-dir', pages * 4096);
    const dirGref = this.fe.granter.share(dir);
    const index = Array.from({ length: pages }, (_, i) => i);
    writePageDirectory(index.map((i) => dir.page(i)), index.map((i) => dirGref + i), grefs);
    await this.fe.sync();
    return dirGref;
  }

  /** Shares `seg` (all its pages) and a directory listing them; returns the directory's gref. */
  async share(seg: Segment): Promise<number> {
    const first = this.fe.granter.share(seg);
    return this.directory(Array.from({ length: seg.pages }, (_, i) => first + i));
  }

  cookie(): bigint {
    return this.nextCookie++;
  }

  dbufCreate(cookie: bigint, width: number, height: number, grefDirectory: number, bufferSz = width * height * 4, flags = 0): Extract<Outgoing, { kind: 'dbufCreate' }> {
    return { kind: 'dbufCreate', operation: Op.DBUF_CREATE, dbufCookie: cookie, width, height, bpp: 32, bufferSz, flags, grefDirectory, dataOfs: 0 };
  }

  flip(fbCookie: bigint): Outgoing {
    return { kind: 'pgFlip', operation: Op.PG_FLIP, fbCookie };
  }

  /** A width × height XRGB8888 framebuffer shown on connector 0; returns its cookie for flips. */
  async show(width: number, height: number): Promise<bigint> {
    const dbuf = this.cookie();
    const fb = this.cookie();
    const dir = await this.share(Segment.create(this.fe.granter.segmentId(), 'raw-fb', width * height * 4));
    const statuses = [
      await this.call(this.dbufCreate(dbuf, width, height, dir)),
      await this.call({ kind: 'fbAttach', operation: Op.FB_ATTACH, dbufCookie: dbuf, fbCookie: fb, width, height, pixelFormat: XRGB8888.fourcc }),
      await this.call({ kind: 'setConfig', operation: Op.SET_CONFIG, fbCookie: fb, x: 0, y: 0, width, height, bpp: 32 }),
    ];
    if (statuses.some((s) => s !== 0)) throw new Error(`scanout setup failed: ${statuses.join(', ')}`);
    return fb;
  }
}
