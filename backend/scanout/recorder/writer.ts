// What a recorder hands its writers: one scanned-out frame, packed, with what the index needs; and the interface
// both writers (raw + index, ffmpeg) implement.

export interface RecordedFrame {
  sequence: number;
  /** Milliseconds since the recording started. */
  timeMs: number;
  crc: number;
  width: number;
  height: number;
  fourcc: number;
  /** The visible area in the buffer's own format, rows packed without padding. */
  bytes: Uint8Array;
}

export interface FrameWriter {
  /** Where the recording goes (a directory for raw, a file for video). */
  readonly path: string;
  /** Resolves when the frame is handed to the OS (or skipped); the recorder reuses `frame.bytes` afterwards. */
  write(frame: RecordedFrame): Promise<void>;
  /** Finishes the recording; the bytes it takes on disk. */
  close(): Promise<number>;
}
