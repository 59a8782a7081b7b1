// The KMS device's view of the backend over displif: dumb buffers are shared (fd + grants + page directory) and
// created with DBUF_CREATE on connector 0's ring; framebuffer ops also go there; SET_CONFIG, PG_FLIP and GET_EDID
// go on the ring of the connector they concern, as Linux does.
import { DBUF_FLG_REQ_ALLOC, EDID_MAX_SIZE, Op, type ProtocolVersion } from '../protocol/displif/constants.js';
import { directoryPagesFor, pagesForSize, readPageDirectory, writeDirectoryChain, writePageDirectory } from '../protocol/displif/page-directory.js';
import { Segment } from '../shared/shm.js';
import type { Granter, Mapper } from '../shared/sharing.js';
import { pvError } from '../shared/errors.js';
import type { ConnectorConfig, DbufSpec, DisplayBackend, ScanoutConfig } from './kms/backend.js';
import type { Outgoing, RingChannel } from './ring-channel.js';
import type { Rect } from '../protocol/kms/blobs.js';
import type { DamageHints } from '../shared/message-channel.js';

function dbufCreate(spec: DbufSpec, grefDirectory: number, flags: number): Outgoing {
  return {
    kind: 'dbufCreate',
    operation: Op.DBUF_CREATE,
    dbufCookie: spec.cookie,
    width: spec.width,
    height: spec.height,
    bpp: spec.bpp,
    bufferSz: spec.size,
    flags,
    grefDirectory,
    dataOfs: 0,
  };
}

export class BackendLink implements DisplayBackend {
  private readonly grefs = new Map<Segment, number>();
  private readonly frameDoneListeners: ((connector: number, fbCookie: bigint) => void)[] = [];
  connectors: ConnectorConfig[] = [];

  constructor(
    readonly version: ProtocolVersion,
    private readonly granter: Granter,
    private readonly channels: readonly RingChannel[],
    /** With be-alloc: what the backend granted us, where its buffers' pages are found. */
    private readonly backendMemory?: Mapper,
    /** Where damage hints go (a transport that copies bytes); shared memory needs none. */
    private readonly hints?: DamageHints,
  ) {}

  adoptSegment(fd: number, size: number): Segment {
    return Segment.wrap(this.granter.segmentId(), fd, size);
  }

  /** Called by the ring channels. */
  frameDone(connector: number, fbCookie: bigint): void {
    for (const l of this.frameDoneListeners) l(connector, fbCookie);
  }

  onFrameDone(listener: (connector: number, fbCookie: bigint) => void): void {
    this.frameDoneListeners.push(listener);
  }

  private ring(connector: number): RingChannel {
    return this.channels[connector]!;
  }

  /**
   * Shares `seg` and a temporary directory listing its pages, waits until the backend has seen both, runs `use`
   * with the directory's first gref, then withdraws the directory.
   */
  private async withDirectory<T>(seg: Segment, use: (dirGref: number) => Promise<T>): Promise<T> {
    const first = this.granter.share(seg);
    this.grefs.set(seg, first);
    const grefs = Array.from({ length: seg.pages }, (_, i) => first + i);
    const dirPages = directoryPagesFor(grefs.length);
    const dir = Segment.createFixed(this.granter.segmentId(), 'pvdisplay-pgdir', dirPages * 4096);
    try {
      const dirFirst = this.granter.share(dir);
      const dirGrefs = Array.from({ length: dirPages }, (_, i) => dirFirst + i);
      writePageDirectory(
        dirGrefs.map((_, i) => dir.page(i)),
        dirGrefs,
        grefs,
      );
      await this.granter.sync();
      try {
        return await use(dirFirst);
      } finally {
        this.granter.unshare(dir, dirFirst);
      }
    } finally {
      dir.release();
    }
  }

  private unshare(seg: Segment): void {
    const gref = this.grefs.get(seg);
    if (gref === undefined) return;
    this.grefs.delete(seg);
    this.granter.unshare(seg, gref);
  }

  async createDbuf(spec: DbufSpec): Promise<Segment> {
    if (this.backendMemory && !spec.seg) return this.createBackendDbuf(spec, this.backendMemory);
    const seg = spec.seg ?? Segment.create(this.granter.segmentId(), `pvdisplay-dumb-${spec.cookie}`, spec.size, false);
    try {
      await this.withDirectory(seg, (grefDirectory) => this.ring(0).call(dbufCreate(spec, grefDirectory, 0)));
    } catch (e) {
      this.unshare(seg);
      if (!spec.seg) seg.release();
      throw e;
    }
    return seg;
  }

  /**
   * be-alloc (Linux backend_map): only the directory chain is ours; after the response, a sync makes sure the
   * backend's grants (sent before it answered) are known, then the directory's refs must name one whole segment,
   * whose fd becomes the buffer's. Anything else is ENXIO, and the dbuf is destroyed again.
   */
  private async createBackendDbuf(spec: DbufSpec, memory: Mapper): Promise<Segment> {
    const pages = pagesForSize(spec.size);
    const dirPages = directoryPagesFor(pages);
    const dir = Segment.createFixed(this.granter.segmentId(), 'pvdisplay-pgdir', dirPages * 4096);
    const dirFirst = this.granter.share(dir);
    try {
      const dirGrefs = Array.from({ length: dirPages }, (_, i) => dirFirst + i);
      writeDirectoryChain(dirGrefs.map((_, i) => dir.page(i)), dirGrefs);
      await this.granter.sync();
      await this.ring(0).call(dbufCreate(spec, dirFirst, DBUF_FLG_REQ_ALLOC));
      await this.granter.sync();
      const grefs = readPageDirectory((g) => (g >= dirFirst && g < dirFirst + dirPages ? dir.page(g - dirFirst) : undefined), dirFirst, pages);
      const refs = grefs.map((g) => memory.grants.resolve(g));
      const seg = refs[0]?.seg;
      if (!seg || seg.pages !== pages || refs.some((r, i) => r?.seg !== seg || r.page !== i)) {
        await this.ring(0).call({ kind: 'dbufDestroy', operation: Op.DBUF_DESTROY, dbufCookie: spec.cookie }).catch(() => undefined);
        throw pvError('ENXIO', 'the backend granted pages that are not one whole buffer');
      }
      return seg.retain();
    } finally {
      this.granter.unshare(dir, dirFirst);
      dir.release();
    }
  }

  /**
   * Frontend-allocated buffers are let go after the response, whatever it said; backend-allocated ones before the
   * request, so that the backend can free them (as Linux does).
   */
  async destroyDbuf(cookie: bigint, seg: Segment): Promise<void> {
    const ours = this.grefs.has(seg);
    if (!ours) seg.release();
    try {
      await this.ring(0).call({ kind: 'dbufDestroy', operation: Op.DBUF_DESTROY, dbufCookie: cookie });
    } finally {
      if (ours) {
        this.unshare(seg);
        seg.release();
      }
    }
  }

  async attachFb(dbufCookie: bigint, fbCookie: bigint, width: number, height: number, fourcc: number): Promise<void> {
    await this.ring(0).call({ kind: 'fbAttach', operation: Op.FB_ATTACH, dbufCookie, fbCookie, width, height, pixelFormat: fourcc });
  }

  async detachFb(fbCookie: bigint): Promise<void> {
    await this.ring(0).call({ kind: 'fbDetach', operation: Op.FB_DETACH, fbCookie });
  }

  async setConfig(connector: number, c: ScanoutConfig | null): Promise<void> {
    const cfg = c ?? { fbCookie: 0n, x: 0, y: 0, width: 0, height: 0, bpp: 0 };
    await this.ring(connector).call({ kind: 'setConfig', operation: Op.SET_CONFIG, ...cfg });
  }

  async pageFlip(connector: number, fbCookie: bigint, damage?: readonly Rect[]): Promise<void> {
    this.hints?.damage(fbCookie, damage ?? null, true);
    await this.ring(connector).call({ kind: 'pgFlip', operation: Op.PG_FLIP, fbCookie });
  }

  dirtyFb(fbCookie: bigint, clips: readonly Rect[] | null): void {
    this.hints?.damage(fbCookie, clips, false);
  }

  /** v2 only: the connector's EDID, read through a shared buffer of XENDISPL_EDID_MAX_SIZE bytes. */
  async getEdid(connector: number): Promise<Uint8Array> {
    const buf = Segment.createFixed(this.granter.segmentId(), 'pvdisplay-edid', EDID_MAX_SIZE);
    try {
      const rsp = await this.withDirectory(buf, (grefDirectory) =>
        this.ring(connector).call({ kind: 'getEdid', operation: Op.GET_EDID, bufferSz: EDID_MAX_SIZE, grefDirectory }),
      );
      const size = rsp.kind === 'getEdid' ? Math.min(rsp.edidSz, EDID_MAX_SIZE) : 0;
      return buf.bytes.slice(0, size);
    } finally {
      this.unshare(buf);
      buf.release();
    }
  }
}
