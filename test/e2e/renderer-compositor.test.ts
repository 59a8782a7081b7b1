// A renderer process draws into buffers it imported while a compositor (this test) flips them with fences: the
// compositor commits each frame with IN_FENCE_FD before the renderer has finished it, and hands the renderer the
// release fence of the buffer it stops showing. No frame the backend scanned out may be half drawn: every CRC it
// logged must be the CRC of one whole frame.
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import * as native from '../../shared/native/index.js';
import { ATOMIC_FLAGS } from '../../protocol/kms/constants.js';
import { XRGB8888 } from '../../protocol/formats.js';
import { rig } from '../conformance/fixture.js';
import { ROOT } from '../../cli/processes.js';
import { until } from '../helpers/until.js';

const W = 256;
const H = 128;
const FRAMES = 40;

function frameCrc(n: number): number {
  return crc32(new Uint8Array(new Uint32Array(W * H).fill((0xff000000 | (n * 0x030507)) >>> 0).buffer));
}

describe('renderer and compositor in two processes', () => {
  it('with fences, the backend never scans out a half-drawn frame', async () => {
    const r = await rig({ connectors: `${W}x${H}`, crcLog: true });
    try {
      const lit = await r.light();
      // Fresh buffers shared with the renderer through PRIME.
      const handles: number[] = [];
      const fbs: number[] = [];
      const dmabufs: number[] = [];
      for (let i = 0; i < 2; i++) {
        const d = await r.master.createDumb(W, H, 32);
        handles.push(d.handle);
        fbs.push(await r.master.addFb2(W, H, XRGB8888.fourcc, d.handle, d.pitch));
        dmabufs.push(await r.master.primeHandleToFd(d.handle, 0o2000002));
      }
      const [mine, theirs] = native.socketPair();
      const renderer = spawn(process.execPath, [join(ROOT, 'test/e2e/fixtures/renderer.mjs'), String(W), String(H), String(FRAMES)], {
        stdio: ['ignore', 'inherit', 'inherit', dmabufs[0]!, dmabufs[1]!, theirs],
      });
      const exited = once(renderer, 'exit');
      native.close(theirs);
      for (const fd of dmabufs) native.close(fd);
      const req = () => lit.req();
      let shown = -1;
      for (let n = 1; n <= FRAMES; n++) {
        let msg = native.recv(mine, 64);
        while (!msg) {
          await new Promise((res) => setTimeout(res, 1));
          msg = native.recv(mine, 64);
        }
        const [b, frame] = [msg.data[0]!, msg.data[1]!];
        expect(frame).toBe(n);
        const fence = msg.fds[0]!;
        const u = new Uint8Array(8);
        u[0] = n;
        await r.master.callWithFds('MODE_ATOMIC', { flags: ATOMIC_FLAGS.PAGE_FLIP_EVENT | ATOMIC_FLAGS.NONBLOCK, ...req().set(lit.planeId, 'IN_FENCE_FD', 0).set(lit.planeId, 'FB_ID', fbs[b]!).flatten(), user_data: u }, [fence]);
        native.close(fence);
        // The buffer shown until now is the renderer's next target: hand over its release fence.
        if (shown >= 0) {
          const rel = await r.master.callWithFds('PRIME_EXPORT_FENCE', { handle: handles[shown]! });
          native.send(mine, Uint8Array.from([shown]), rel.fds);
          native.close(rel.fds[0]!);
        }
        shown = b;
        expect((await r.master.nextEvent(5000)).userData).toBe(BigInt(n));
      }
      expect((await exited)[0]).toBe(0);
      native.close(mine);
      const valid = new Set(Array.from({ length: FRAMES + 1 }, (_, n) => frameCrc(n)));
      valid.add(crc32(new Uint8Array(W * H * 4))); // the light() fb before the first frame (zeros)
      const crcLines = () => r.pair.backend.lines.filter((l) => l.startsWith('crc '));
      // A frame's CRC is logged a moment after its frame done (it is computed off the critical path): wait for it.
      await until(() => crcLines().length >= FRAMES);
      const logged = crcLines().map((l) => Number(l.split(' ')[3]));
      expect(logged.length).toBeGreaterThanOrEqual(FRAMES);
      const torn = logged.filter((c) => !valid.has(c));
      expect(torn).toEqual([]);
    } finally {
      await r.stop();
    }
  }, 60_000);
});
