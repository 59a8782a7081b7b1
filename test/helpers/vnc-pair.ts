// A backend serving its screens over VNC with a frontend, the port of each screen as the backend printed it, and
// the backend's own view of a screen (its PNG snapshot) to compare what VNC clients receive with.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { adminCall } from '../../cli/admin-client.js';
import { startPair, type Pair } from '../../cli/processes.js';
import type { SnapshotResult } from '../../backend/server.js';
import { decodePng, type DecodedPng } from '../../shared/pixels/png.js';

export interface VncPair {
  pair: Pair;
  /** The port of connector 0 of domain 1. */
  port: number;
  /** What the backend printed for each screen. */
  lines: string[];
}

export async function startVncPair(connectors: string, vnc = '127.0.0.1:0', extra: string[] = []): Promise<VncPair> {
  const pair = await startPair({ connectors, backendArgs: ['--vnc', vnc, ...extra] });
  const line = await pair.backend.waitLine(/^vnc: domain 1 connector 0 on /);
  const port = Number(/:(\d+) \(security/.exec(line)![1]);
  return { pair, port, lines: pair.backend.lines.filter((l) => l.startsWith('vnc: ')) };
}

/** The backend's PNG snapshot of connector 0, decoded. */
export async function backendSnapshot(pair: Pair, name = 'snap.png'): Promise<DecodedPng & SnapshotResult> {
  const path = join(pair.dir, name);
  const r = await adminCall<SnapshotResult>(pair.admin, { cmd: 'snapshot', connector: 0, path });
  return { ...r, ...decodePng(readFileSync(path)) };
}
