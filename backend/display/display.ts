// One frontend's display on the backend: its dbufs and framebuffers (shared by all its connectors) and the
// semantics of the seven displif operations, answered with Xen's statuses (0 or a negative errno).
import { DBUF_FLG_REQ_ALLOC, EDID_MAX_SIZE, Op } from '../../protocol/displif/constants.js';
import type { Request } from '../../protocol/displif/request.js';
import { isSetConfigReset } from '../../protocol/displif/request.js';
import type { Response } from '../../protocol/displif/response.js';
import { formatByFourcc } from '../../protocol/formats.js';
import { errnoOf, isErrnoLike } from '../../shared/errors.js';
import { pvError } from '../../shared/errors.js';
import type { GrantMap } from '../../shared/grants.js';
import { logger } from '../../shared/log.js';
import { Dbuf } from './dbuf.js';
import { Fb } from './framebuffer.js';
import { Pipeline } from './pipeline.js';
import { readDirectoryPages, writeThroughDirectory } from './directory.js';
import { fillPageDirectory } from '../../protocol/displif/page-directory.js';
import type { BackendAllocator, BackendBuffer } from './be-alloc.js';
import type { Budget } from '../../shared/budget.js';
import { LIMITS } from '../limits.js';
import { inPlace } from './dbuf.js';

const log = logger('display');

export class Display {
  readonly dbufs = new Map<bigint, Dbuf>();
  readonly fbs = new Map<bigint, Fb>();
  /** Buffers this backend allocated (be-alloc), freed with their dbuf. */
  private readonly owned = new Map<Dbuf, BackendBuffer>();

  constructor(
    readonly pipelines: readonly Pipeline[],
    private readonly grants: GrantMap,
    private readonly edidOf: (connector: number) => Uint8Array,
    /** Bounds the private copies of dbufs whose pages are scattered. */
    private readonly gathered: Budget,
    /** Present when be-alloc is on. */
    private readonly allocator?: BackendAllocator,
  ) {}

  /** Runs one request on connector `conn`'s ring; never throws: failures become a negative status. */
  handle(conn: number, req: Request): Response {
    const ok = (extra?: { edidSz: number }): Response =>
      extra ? { kind: 'getEdid', id: req.id, operation: Op.GET_EDID, status: 0, edidSz: extra.edidSz } : { kind: 'generic', id: req.id, operation: req.operation, status: 0 };
    try {
      switch (req.kind) {
        case 'dbufCreate':
          this.dbufCreate(req);
          return ok();
        case 'dbufDestroy':
          this.dbufDestroy(req.dbufCookie);
          return ok();
        case 'fbAttach':
          this.fbAttach(req.dbufCookie, req.fbCookie, req.width, req.height, req.pixelFormat);
          return ok();
        case 'fbDetach':
          this.fbDetach(req.fbCookie);
          return ok();
        case 'setConfig':
          this.setConfig(conn, req);
          return ok();
        case 'pgFlip':
          this.pgFlip(conn, req.fbCookie);
          return ok();
        case 'getEdid':
          return ok({ edidSz: this.getEdid(conn, req.bufferSz, req.grefDirectory) });
        case 'unknown':
          throw pvError('EINVAL', `unknown operation 0x${req.operation.toString(16)}`);
      }
    } catch (e) {
      const errno = isErrnoLike(e) ? e.errno : errnoOf('EIO');
      log.debug(`connector ${conn}: op 0x${req.operation.toString(16)} failed: ${(e as Error).message}`);
      return { kind: 'generic', id: req.id, operation: req.operation, status: -errno };
    }
  }

  private dbufCreate(req: Extract<Request, { kind: 'dbufCreate' }>): void {
    if (req.dbufCookie === 0n) throw pvError('EINVAL', 'dbuf cookie 0');
    if (this.dbufs.has(req.dbufCookie)) throw pvError('EINVAL', `dbuf cookie ${req.dbufCookie} is live`);
    if (req.flags & ~DBUF_FLG_REQ_ALLOC) throw pvError('EINVAL', `unknown flags 0x${req.flags.toString(16)}`);
    if (req.bufferSz === 0) throw pvError('EINVAL', 'empty buffer');
    if (this.dbufs.size >= LIMITS.dbufsPerPeer) throw pvError('ENOSPC', `more than ${LIMITS.dbufsPerPeer} dbufs`);
    if (req.flags & DBUF_FLG_REQ_ALLOC) return this.dbufAllocate(req);
    const pages = readDirectoryPages(this.grants, req.grefDirectory, req.bufferSz);
    const bytes = pages.length * 4096;
    const need = req.dataOfs + Math.ceil((req.width * req.bpp) / 8) * req.height;
    if (req.dataOfs >= bytes || need > bytes) throw pvError('EINVAL', `geometry needs ${need} bytes, buffer has ${bytes}`);
    if (!inPlace(pages)) this.gathered.take(pages.length);
    this.dbufs.set(req.dbufCookie, new Dbuf(req.dbufCookie, req.width, req.height, req.bpp, req.bufferSz, req.dataOfs, pages));
  }

  /** REQ_ALLOC: this side makes and grants the pages, and fills the directory's gref[] before answering. */
  private dbufAllocate(req: Extract<Request, { kind: 'dbufCreate' }>): void {
    if (!this.allocator) throw pvError('EINVAL', 'backend allocation is not enabled (be-alloc is 0)');
    if (req.dataOfs !== 0) throw pvError('EINVAL', 'REQ_ALLOC with a data offset'); // as displ_be
    const need = Math.ceil((req.width * req.bpp) / 8) * req.height;
    if (need > req.bufferSz) throw pvError('EINVAL', `geometry needs ${need} bytes, buffer has ${req.bufferSz}`);
    const buf = this.allocator.allocate(req.bufferSz);
    try {
      fillPageDirectory((g) => this.grants.page(g), req.grefDirectory, Array.from({ length: buf.seg.pages }, (_, i) => buf.gref + i));
    } catch (e) {
      this.allocator.free(buf);
      throw e;
    }
    const pages = Array.from({ length: buf.seg.pages }, (_, page) => ({ seg: buf.seg, page }));
    const dbuf = new Dbuf(req.dbufCookie, req.width, req.height, req.bpp, req.bufferSz, 0, pages);
    this.dbufs.set(req.dbufCookie, dbuf);
    this.owned.set(dbuf, buf);
  }

  private dbufDestroy(cookie: bigint): void {
    const dbuf = this.dbufs.get(cookie);
    if (!dbuf) throw pvError('EINVAL', `no dbuf ${cookie}`);
    for (const fb of [...this.fbs.values()]) if (fb.dbuf === dbuf) this.fbDetach(fb.cookie);
    this.dbufs.delete(cookie);
    this.freeDbuf(dbuf);
  }

  private freeDbuf(dbuf: Dbuf): void {
    this.gathered.give(dbuf.gatheredPages);
    dbuf.release();
    const buf = this.owned.get(dbuf);
    if (buf) {
      this.owned.delete(dbuf);
      this.allocator?.free(buf);
    }
  }

  private fbAttach(dbufCookie: bigint, fbCookie: bigint, width: number, height: number, fourcc: number): void {
    const dbuf = this.dbufs.get(dbufCookie);
    if (!dbuf) throw pvError('EINVAL', `no dbuf ${dbufCookie}`);
    if (fbCookie === 0n) throw pvError('EINVAL', 'fb cookie 0');
    if (this.fbs.has(fbCookie)) throw pvError('EINVAL', `fb cookie ${fbCookie} is live`);
    if (this.fbs.size >= LIMITS.fbsPerPeer) throw pvError('ENOSPC', `more than ${LIMITS.fbsPerPeer} framebuffers`);
    const format = formatByFourcc(fourcc);
    if (!format) throw pvError('EINVAL', `unsupported pixel format 0x${fourcc.toString(16)}`);
    if (width === 0 || height === 0) throw pvError('EINVAL', 'empty framebuffer');
    const fb = new Fb(fbCookie, dbuf, width, height, format);
    if (dbuf.width > 0 && width * format.cpp > dbuf.pitch) throw pvError('EINVAL', `fb rows of ${width * format.cpp} bytes exceed the dbuf pitch ${dbuf.pitch}`);
    if (fb.extent > dbuf.bytes.length) throw pvError('EINVAL', `fb needs ${fb.extent} bytes, dbuf has ${dbuf.bytes.length}`);
    this.fbs.set(fbCookie, fb);
  }

  private fbDetach(cookie: bigint): void {
    const fb = this.fbs.get(cookie);
    if (!fb) throw pvError('EINVAL', `no fb ${cookie}`);
    for (const p of this.pipelines) p.forget(fb);
    this.fbs.delete(cookie);
  }

  private pipeline(conn: number): Pipeline {
    const p = this.pipelines[conn];
    if (!p) throw pvError('EINVAL', `no connector ${conn}`);
    return p;
  }

  private setConfig(conn: number, req: Extract<Request, { kind: 'setConfig' }>): void {
    const p = this.pipeline(conn);
    if (isSetConfigReset(req)) return p.reset();
    const fb = this.fbs.get(req.fbCookie);
    if (!fb) throw pvError('EINVAL', `no fb ${req.fbCookie}`);
    if (req.bpp !== fb.format.bpp) throw pvError('EINVAL', `bpp ${req.bpp} does not match the fb's ${fb.format.bpp}`);
    if (req.width === 0 || req.height === 0 || req.width > p.spec.width || req.height > p.spec.height || req.x > p.spec.width || req.y > p.spec.height) {
      throw pvError('EINVAL', `${req.width}x${req.height}+${req.x}+${req.y} exceeds the connector's ${p.spec.width}x${p.spec.height}`);
    }
    if (req.x >= fb.width || req.y >= fb.height) throw pvError('EINVAL', `origin ${req.x},${req.y} outside the fb`);
    p.configure(fb, { x: req.x, y: req.y, width: req.width, height: req.height });
  }

  private pgFlip(conn: number, cookie: bigint): void {
    const p = this.pipeline(conn);
    const fb = this.fbs.get(cookie);
    if (!fb) throw pvError('EINVAL', `no fb ${cookie}`);
    if (!p.configured) throw pvError('EINVAL', `connector ${conn} is not configured`);
    p.flip(fb);
  }

  private getEdid(conn: number, bufferSz: number, grefDirectory: number): number {
    this.pipeline(conn);
    const edid = this.edidOf(conn);
    if (bufferSz < edid.length || bufferSz > EDID_MAX_SIZE) throw pvError('EINVAL', `EDID buffer of ${bufferSz} bytes`);
    writeThroughDirectory(this.grants, grefDirectory, bufferSz, edid);
    return edid.length;
  }

  /** The frontend is gone: drop everything it had. */
  close(): void {
    for (const p of this.pipelines) p.close();
    for (const d of this.dbufs.values()) this.freeDbuf(d);
    this.dbufs.clear();
    this.fbs.clear();
  }
}
