// The VNC rows of `npm run bench`: bytes the backend sends a VNC client per update while a 64x64 square moves on a
// static 1920x1080 screen, over Raw and over Tight, beside the reference of one full frame over Raw measured in
// the same run. The client pipelines its whole handshake (None security on loopback) and reads nothing back but
// what the backend's admin API counts for it, so only the server's bytes are measured.
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { adminCall } from '../cli/admin-client.js';
import { startPair } from '../cli/processes.js';
import type { VncScreenStats } from '../backend/scanout/vnc/vnc-screen.js';
import { SpriteClient } from './sprite-client.js';

export interface VncBytes {
  fullFrameRaw: number;
  spriteRaw: number;
  spriteTight: number;
}

/** FramebufferUpdateRequest for the whole 1920x1080 screen. */
function request(incremental: boolean): Buffer {
  return Buffer.from([3, incremental ? 1 : 0, 0, 0, 0, 0, 0x07, 0x80, 0x04, 0x38]);
}

/** A client that asks for `encoding` and drains whatever comes. */
function open(port: number, encoding: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => {
      const encodings = Buffer.from([2, 0, 0, 1, 0, 0, 0, encoding]);
      s.write(Buffer.concat([Buffer.from('RFB 003.008\n'), Buffer.from([1, 1]), encodings, request(false)]));
      resolve(s);
    });
    s.on('data', () => undefined);
    s.once('error', reject);
  });
}

export async function vncBytes(steps: number): Promise<VncBytes> {
  const pair = await startPair({ connectors: '1920x1080', unpaced: true, backendArgs: ['--vnc', '127.0.0.1:0'] });
  const port = Number(/:(\d+) \(security/.exec(await pair.backend.waitLine(/^vnc: domain 1 connector 0 on /))![1]);
  const sprite = await SpriteClient.open(pair.card, 9);
  const clients = await Promise.all([open(port, 0), open(port, 7)]);
  const stats = async () => (await adminCall<{ screens: VncScreenStats[] }>(pair.admin, { cmd: 'vnc' })).screens[0]!.clients;
  const settled = async (updates: number) => {
    for (;;) {
      const c = await stats();
      if (c.length === 2 && c.every((x) => x.updates === updates && x.buffered === 0)) return c;
      await sleep(2);
    }
  };
  try {
    const [raw0, tight0] = await settled(1);
    for (let i = 0; i < steps; i++) {
      for (const c of clients) c.write(request(true));
      await sprite.step();
      await settled(i + 2);
    }
    const [raw1, tight1] = await stats();
    return { fullFrameRaw: raw0!.bytes, spriteRaw: (raw1!.bytes - raw0!.bytes) / steps, spriteTight: (tight1!.bytes - tight0!.bytes) / steps };
  } finally {
    for (const c of clients) c.destroy();
    sprite.close();
    await pair.stop();
  }
}
