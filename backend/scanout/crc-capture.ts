// CRC capture of one connector, like IGT's pipe CRC: from start() on, every frame the connector scans out adds
// (sequence, CRC-32 of the visible area) to a bounded buffer that reads drain. CRCs come in a moment after their
// frame done (the pipeline computes them off the JS thread), so a read first waits for the one in flight. Holding the pipeline makes a paced
// connector scan out at every vblank, so the sequence numbers have no gaps; when the buffer fills before anyone
// reads it, the capture stops at that point (overflowed) instead of leaving a hole.
import type { Pipeline, ScannedFrame } from '../display/pipeline.js';

export interface CrcEntry {
  sequence: number;
  crc: number;
}

export interface CrcRead {
  entries: CrcEntry[];
  /** The buffer filled before it was read: nothing after the last entry was kept. */
  overflowed: boolean;
  /** The connector went away (frontend disconnected): no more entries will come. */
  ended: boolean;
}

/** About 18 minutes at 60 Hz; IGT's kernel buffer holds far less. */
export const MAX_PENDING = 65536;

export class CrcCapture {
  private pending: CrcEntry[] = [];
  private overflowed = false;
  private stopped = false;
  private readonly release: () => void;
  private readonly onFrame = (f: ScannedFrame): void => this.add(f);
  private readonly onClosed = (): void => this.stop();
  /** Frames up to this one were scanned out before the capture started (a CRC in flight then is not ours). */
  private readonly after: number;

  constructor(
    private readonly pipeline: Pipeline,
    private readonly capacity = MAX_PENDING,
  ) {
    this.after = pipeline.sequence;
    this.release = pipeline.hold({ crc: true });
    pipeline.on('frame', this.onFrame);
    pipeline.once('closed', this.onClosed);
  }

  /** The connector went away or stop() was called. */
  get ended(): boolean {
    return this.stopped;
  }

  /** Resolves once the CRC of every frame scanned out so far is in the buffer (or the capture ended). */
  settled(): Promise<void> {
    return this.pipeline.crcSettled();
  }

  /** Drains up to `max` entries, oldest first. */
  read(max = this.capacity): CrcRead {
    const entries = this.pending.splice(0, max);
    return { entries, overflowed: this.overflowed, ended: this.stopped };
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.release();
    this.pipeline.off('frame', this.onFrame);
    this.pipeline.off('closed', this.onClosed);
  }

  private add(f: ScannedFrame): void {
    if (this.overflowed || f.crc === undefined || f.sequence <= this.after) return;
    if (this.pending.length >= this.capacity) {
      this.overflowed = true;
      return;
    }
    this.pending.push({ sequence: f.sequence, crc: f.crc });
  }
}
