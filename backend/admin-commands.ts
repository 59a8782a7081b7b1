// The admin API's commands, whatever carries them (admin.sock lines, the viewer's POST /api): status, snapshots,
// CRC captures, recordings, fault injection. Requests are untrusted JSON maps; every field is checked and every
// failure is an errno-style error. The captures and recordings live here, one per connector at a time.
import { isAbsolute } from 'node:path';
import { type Fields, bool, maybeUint, optUint, str } from '../protocol/fields.js';
import { pvError } from '../shared/errors.js';
import { parseEdid } from '../protocol/edid.js';
import { FAULT_KINDS, parseFault } from './faults/spec.js';
import { injectFault } from './faults/injector.js';
import { CrcCapture } from './scanout/crc-capture.js';
import { FfmpegWriter } from './scanout/recorder/ffmpeg-writer.js';
import { RawWriter } from './scanout/recorder/raw-writer.js';
import { Recorder } from './scanout/recorder/recorder.js';
import { checkOutput } from './scanout/recorder/output-path.js';
import type { BackendServer } from './server.js';

/** An answer, and what to do once it has been sent (a `die` fault kills the process only after replying). */
export interface AdminReply {
  ok: unknown;
  afterReply?: () => void;
}

const COMMANDS = ['status', 'snapshot', 'crc-start', 'crc-read', 'crc-stop', 'record-start', 'record-stop', 'record-status', 'fault', 'hotplug', 'faults', 'viewer', 'vnc'] as const;

interface Keyed<T> {
  domid: number;
  connector: number;
  value: T;
}

export class AdminCommands {
  private readonly captures: Keyed<CrcCapture>[] = [];
  private readonly recorders: Keyed<Recorder>[] = [];
  /** Set by a running viewer: its per-browser statistics. */
  viewerStats: (() => unknown) | undefined;
  /** Set by a running VNC server: its screens, their ports and clients. */
  vncStats: (() => unknown) | undefined;

  constructor(private readonly backend: BackendServer) {}

  async run(req: Fields): Promise<AdminReply> {
    const connector = optUint(req, 'connector', 0, 255);
    const domid = maybeUint(req, 'domid', 0xffff);
    switch (req.cmd) {
      case 'status':
        // The CRC of the last frame is computed after its frame done: a client that saw the event sees that CRC.
        await this.backend.framesSettled();
        return { ok: this.backend.status() };
      case 'snapshot':
        return { ok: await this.backend.snapshot(connector, absolutePath(req), domid) };
      case 'crc-start':
        return { ok: this.crcStart(connector, domid) };
      case 'crc-read': {
        const entry = this.find(this.captures, connector, domid, 'CRC capture (crc-start first)');
        await entry.value.settled();
        const read = entry.value.read(maybeUint(req, 'max', Number.MAX_SAFE_INTEGER));
        return { ok: { domid: entry.domid, connector, ...read } };
      }
      case 'crc-stop': {
        const entry = this.take(this.captures, connector, domid, 'CRC capture');
        await entry.value.settled();
        entry.value.stop();
        return { ok: { domid: entry.domid, connector, ...entry.value.read() } };
      }
      case 'record-start':
        return { ok: await this.recordStart(connector, domid, req) };
      case 'record-stop': {
        const entry = this.take(this.recorders, connector, domid, 'recording');
        return { ok: { domid: entry.domid, ...(await entry.value.stop()) } };
      }
      case 'record-status':
        return { ok: this.recorders.map((r) => ({ domid: r.domid, ...r.value.stats() })) };
      case 'fault':
        return injectFault(this.backend, parseFault(req));
      case 'hotplug':
        return { ok: this.hotplug(req) };
      case 'faults':
        return { ok: { armed: this.backend.faults.list(), stalled: this.backend.peers().filter((p) => p.stalled).map((p) => p.domid) } };
      case 'viewer':
        if (!this.viewerStats) throw pvError('ENODEV', 'no viewer is running (start the backend with --viewer)');
        return { ok: this.viewerStats() };
      case 'vnc':
        if (!this.vncStats) throw pvError('ENODEV', 'no VNC server is running (start the backend with --vnc)');
        return { ok: this.vncStats() };
      default:
        throw pvError('EINVAL', `unknown command ${JSON.stringify(req.cmd)}; known: ${COMMANDS.join(', ')} (fault kinds: ${FAULT_KINDS.join(', ')})`);
    }
  }

  /**
   * Connector hotplug on every frontend (or one domid): plug or unplug it, optionally with a new EDID (base64) whose
   * preferred mode becomes the connector's.
   */
  private hotplug(req: Fields): { connector: number; connected: boolean; domids: number[] } {
    const connector = optUint(req, 'connector', 0, 255);
    if (typeof req.connected !== 'boolean') throw pvError('EINVAL', "field 'connected' must be true or false");
    let edid: Uint8Array | undefined;
    if (req.edid !== undefined) {
      edid = new Uint8Array(Buffer.from(str(req, 'edid', 65536), 'base64'));
      parseEdid(edid); // EINVAL before anything changes
    }
    const domid = maybeUint(req, 'domid', 0xffff);
    const peers = domid === undefined ? this.backend.peers() : [this.backend.peer(domid)];
    for (const p of peers) p.setConnector(connector, req.connected, edid);
    return { connector, connected: req.connected, domids: peers.map((p) => p.domid) };
  }

  /** Ends every capture and recording (the backend is stopping). */
  async close(): Promise<void> {
    for (const c of this.captures.splice(0)) c.value.stop();
    await Promise.all(this.recorders.splice(0).map((r) => r.value.stop()));
  }

  private crcStart(connector: number, domid: number | undefined): { domid: number; connector: number; sequence: number } {
    const pipe = this.backend.pipeline(connector, domid);
    const peer = this.backend.peer(domid);
    if (this.captures.some((c) => c.domid === peer.domid && c.connector === connector && !c.value.ended)) {
      throw pvError('EBUSY', `connector ${connector} of domain ${peer.domid} already has a CRC capture (crc-stop it first)`);
    }
    forget(this.captures, peer.domid, connector);
    this.captures.push({ domid: peer.domid, connector, value: new CrcCapture(pipe) });
    return { domid: peer.domid, connector, sequence: pipe.sequence };
  }

  private async recordStart(connector: number, domid: number | undefined, req: Fields): Promise<unknown> {
    const pipe = this.backend.pipeline(connector, domid);
    const peer = this.backend.peer(domid);
    if (this.recorders.some((r) => r.domid === peer.domid && r.connector === connector && r.value.stats().recording)) {
      throw pvError('EBUSY', `connector ${connector} of domain ${peer.domid} is already being recorded (record-stop it first)`);
    }
    const path = absolutePath(req);
    const format = req.format === undefined ? 'raw' : str(req, 'format', 8);
    if (format !== 'raw' && format !== 'video') throw pvError('EINVAL', `field 'format' must be "raw" or "video", got ${JSON.stringify(format)}`);
    const maxFrames = maybeUint(req, 'frames');
    checkOutput(path, format, bool(req, 'overwrite', false));
    const writer = format === 'raw' ? await RawWriter.open(path) : FfmpegWriter.create(path);
    const recorder = new Recorder(pipe, writer, { maxFrames: maxFrames || undefined });
    forget(this.recorders, peer.domid, connector);
    this.recorders.push({ domid: peer.domid, connector, value: recorder });
    return { domid: peer.domid, format, ...recorder.stats() };
  }

  /** The entry for (domid, connector); without a domid the newest one for that connector. */
  private find<T>(list: Keyed<T>[], connector: number, domid: number | undefined, what: string): Keyed<T> {
    const matches = list.filter((e) => e.connector === connector && (domid === undefined || e.domid === domid));
    const entry = matches[matches.length - 1];
    if (!entry) throw pvError('ENOENT', `no ${what} on connector ${connector}${domid === undefined ? '' : ` of domain ${domid}`}`);
    return entry;
  }

  private take<T>(list: Keyed<T>[], connector: number, domid: number | undefined, what: string): Keyed<T> {
    const entry = this.find(list, connector, domid, what);
    list.splice(list.indexOf(entry), 1);
    return entry;
  }
}

/** A finished capture or recording that nobody stopped gives way to a new one on its connector. */
function forget<T>(list: Keyed<T>[], domid: number, connector: number): void {
  const i = list.findIndex((e) => e.domid === domid && e.connector === connector);
  if (i >= 0) list.splice(i, 1);
}

function absolutePath(req: Fields): string {
  const path = str(req, 'path');
  if (!isAbsolute(path)) throw pvError('EINVAL', `field 'path' must be an absolute path (the backend's working directory is not yours), got ${JSON.stringify(path)}`);
  return path;
}
