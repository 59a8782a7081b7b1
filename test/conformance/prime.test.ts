// KMS.md 1.9 prime_self_import and 1.10 prime_mmap transposed to dumb buffers, and 2.9 PRIME handle ↔ fd rules:
// the same object comes back as the same handle per file, the import cache never hands out a stale handle, and
// exported fds map read-write in any process.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, openSync, closeSync } from 'node:fs';
import * as native from '../../shared/native/index.js';
import type { Card } from '../../frontend/client/card.js';
import { XRGB8888 } from '../../protocol/formats.js';
import { adminCall } from '../../cli/admin-client.js';
import type { PeerStatus } from '../../backend/server.js';
import { fails, rig, type Rig } from './fixture.js';
import { until } from '../helpers/until.js';

const RDWR = 0o2000002;
const CLOEXEC = 0o2000000;
const SIZE = 16 * 1024;

function fill(fd: number, value: number, size = SIZE): void {
  const m = native.map(fd, 0, size, true);
  new Uint32Array(m).fill(value);
  native.unmap(m);
}

function read(fd: number, size = SIZE): number {
  const m = native.map(fd, 0, size, false);
  const v = new Uint32Array(m)[size / 4 - 1]!;
  native.unmap(m);
  return v;
}

describe('PRIME self-import', () => {
  let r: Rig;
  let fd1: Card;
  let fd2: Card;
  beforeAll(async () => {
    r = await rig();
    fd1 = r.master;
    fd2 = r.open();
  });
  afterAll(async () => r?.stop());

  const bo = async (card: Card) => (await card.createDumb(64, SIZE / 256, 32)).handle;

  it('PSI-01..04 / K-PR-04/06/07/11: shared contents, the same handle per file, export fds name one file', async () => {
    const h1 = await bo(fd1);
    const dmabuf = await fd1.primeHandleToFd(h1, RDWR);
    const h2 = await fd2.primeFdToHandle(dmabuf);
    expect(await fd2.primeFdToHandle(dmabuf)).toBe(h2);
    expect(await fd1.primeFdToHandle(dmabuf)).toBe(h1);
    const again = await fd1.primeHandleToFd(h1, RDWR);
    expect(native.fileId(again)).toEqual(native.fileId(dmabuf));
    native.close(again);
    fill(dmabuf, 0x11111111);
    const m2 = await fd2.primeHandleToFd(h2, RDWR);
    expect(read(m2)).toBe(0x11111111);
    native.close(dmabuf);
    await fd1.call('GEM_CLOSE', { handle: h1 });
    fill(m2, 0x22222222);
    expect(read(m2)).toBe(0x22222222);
    native.close(m2);
    await fd2.call('GEM_CLOSE', { handle: h2 });
  });

  it('PSI-05 / K-PR-10: only an fd keeps the memory; both files import it again and share it', async () => {
    const h1 = await bo(fd1);
    const a = await fd1.primeHandleToFd(h1, RDWR);
    const h2 = await fd2.primeFdToHandle(a);
    native.close(a);
    await fd1.call('GEM_CLOSE', { handle: h1 });
    const b = await fd2.primeHandleToFd(h2, RDWR);
    await fd2.call('GEM_CLOSE', { handle: h2 });
    fill(b, 0x33333333);
    const i1 = await fd1.primeFdToHandle(b);
    const i2 = await fd2.primeFdToHandle(b);
    const e1 = await fd1.primeHandleToFd(i1, RDWR);
    expect(read(e1)).toBe(0x33333333);
    for (const fd of [b, e1]) native.close(fd);
    await fd1.call('GEM_CLOSE', { handle: i1 });
    await fd2.call('GEM_CLOSE', { handle: i2 });
  });

  it('PSI-06 / K-PR-12: the importer keeps its buffer when the exporter closes', async () => {
    const exporter = r.open();
    const h = await bo(exporter);
    const fd = await exporter.primeHandleToFd(h, RDWR);
    fill(fd, 0x44444444);
    const mine = await fd2.primeFdToHandle(fd);
    native.close(fd);
    exporter.close();
    await new Promise((res) => setTimeout(res, 50));
    const back = await fd2.primeHandleToFd(mine, RDWR);
    expect(read(back)).toBe(0x44444444);
    native.close(back);
    await fd2.call('GEM_CLOSE', { handle: mine });
  });

  it('PSI-08 / K-PR-17/18: a later export of another buffer never finds the stale cache entry', async () => {
    const bo1 = await bo(fd1);
    const bo2 = await bo(fd1);
    const d1 = await fd1.primeHandleToFd(bo1, RDWR);
    fill(d1, 0x55555555);
    const h = await fd2.primeFdToHandle(d1);
    native.close(d1);
    await fd1.call('GEM_CLOSE', { handle: bo1 });
    const d2 = await fd1.primeHandleToFd(bo2, RDWR);
    fill(d2, 0x66666666);
    const h2 = await fd2.primeFdToHandle(d2);
    expect(h2).not.toBe(h);
    const check = await fd2.primeHandleToFd(h2, RDWR);
    expect(read(check)).toBe(0x66666666);
    for (const fd of [d2, check]) native.close(fd);
    await fd2.call('GEM_CLOSE', { handle: h });
    await fd2.call('GEM_CLOSE', { handle: h2 });
    await fd1.call('GEM_CLOSE', { handle: bo2 });
  });

  it('PSI-09: import through a dup of the exported fd', async () => {
    const h = await bo(fd1);
    const fd = await fd1.primeHandleToFd(h, RDWR);
    await fd1.call('GEM_CLOSE', { handle: h });
    const dup = native.dup(fd);
    native.close(fd);
    const h2 = await fd2.primeFdToHandle(dup);
    native.close(dup);
    const back = await fd2.primeHandleToFd(h2, RDWR);
    expect(native.fileSize(back)).toBe(SIZE);
    native.close(back);
    await fd2.call('GEM_CLOSE', { handle: h2 });
  });

  it('PSI-12: an exported fd has the buffer size', async () => {
    for (let i = 0; i < 6; i++) {
      const d = await fd1.createDumb(1024, 1 << i, 32);
      const fd = await fd1.primeHandleToFd(d.handle, CLOEXEC);
      expect(native.fileSize(fd)).toBe(4096 << i);
      native.close(fd);
      await fd1.call('GEM_CLOSE', { handle: d.handle });
    }
  });

  it('PMM-08/09 / K-PR-01/02: bad flags EINVAL, unknown handle ENOENT', async () => {
    const h = await bo(fd1);
    for (const flags of [CLOEXEC - 1, CLOEXEC + 1, 2 - 1 + 4, 2 + 1 + 4]) await fails(fd1.primeHandleToFd(h, flags), 'EINVAL');
    await fd1.call('GEM_CLOSE', { handle: h });
    await fails(fd1.primeHandleToFd(h, RDWR), 'ENOENT');
  });

  it('PMM-01..07 / PMM-15: maps of the dma-buf see the pattern; refcounting, dup, read-only exports refuse shared writes', async () => {
    const d = await fd1.createDumb(64, 64, 32);
    const gem = await fd1.mapDumb(d.handle);
    gem.words.fill(0x77777777);
    const ro = await fd1.primeHandleToFd(d.handle, CLOEXEC);
    expect(read(ro, 16384)).toBe(0x77777777);
    expect(() => native.map(ro, 0, 16384, true)).toThrow(expect.objectContaining({ code: 'EACCES' }));
    const rw = await fd1.primeHandleToFd(d.handle, RDWR);
    await fd1.call('GEM_CLOSE', { handle: d.handle });
    const dup = native.dup(rw);
    native.close(rw);
    fill(dup, 0x88888888, 16384);
    expect(gem.words[0]).toBe(0x88888888);
    // A child process maps an inherited fd and sees the pattern.
    const child = spawnSync(process.execPath, ['-e', `const fs=require('fs');const b=Buffer.alloc(4);fs.readSync(3,b,0,4,0);process.stdout.write(b.readUInt32LE(0).toString(16))`], { stdio: ['ignore', 'pipe', 'inherit', dup] });
    expect(child.stdout.toString()).toBe('88888888');
    for (const fd of [ro, dup]) native.close(fd);
    gem.unmap();
  });

  it('K-PR-08: an fd that is not a memfd is EINVAL; no fd at all EBADF', async () => {
    const f = openSync('/proc/self/status', 'r');
    await fails(fd1.primeFdToHandle(f), 'EINVAL');
    closeSync(f);
    await fails(fd1.call('PRIME_FD_TO_HANDLE', {}), 'EBADF');
  });

  it('K-PR-07 / PMM-06: an open dma-buf keeps its object: imported again after every handle closed it is the same buffer with MAP_DUMB; it goes when the fd closes', async () => {
    const bePid = r.pair.backend.child.pid!;
    const d = await fd1.createDumb(64, 64, 32);
    const gem = await fd1.mapDumb(d.handle);
    gem.words.fill(0x12345678);
    gem.unmap();
    const dmabuf = await fd1.primeHandleToFd(d.handle, RDWR);
    // The backend's mappings of this buffer's memfd, by inode (other tests' buffers may come and go meanwhile).
    const { ino } = native.fileId(dmabuf);
    const backendMaps = () => readFileSync(`/proc/${bePid}/maps`, 'utf8').split('\n').filter((l) => l.includes('/memfd:') && l.split(/\s+/)[4] === String(ino)).length;
    expect(backendMaps()).toBe(1);
    await fd1.call('GEM_CLOSE', { handle: d.handle });
    for (const card of [fd2, fd1]) {
      const h = await card.primeFdToHandle(dmabuf);
      const m = await card.mapDumbFd(h);
      expect(m.size).toBe(d.size);
      expect(native.fileId(m.fd)).toEqual(native.fileId(dmabuf));
      expect(read(m.fd, d.size)).toBe(0x12345678);
      native.close(m.fd);
      await card.call('GEM_CLOSE', { handle: h });
    }
    expect(backendMaps()).toBe(1);
    native.close(dmabuf);
    // The frontend hears of the close asynchronously; the backend then lets go of the buffer's pages.
    await until(() => backendMaps() === 0);
  });

  it('K-DUMB-13: MAP_DUMB of an imported buffer is EINVAL', async () => {
    const memfd = native.memfdCreate('foreign', 8192, true);
    const h = await fd1.primeFdToHandle(memfd);
    native.close(memfd);
    await fails(fd1.call('MODE_MAP_DUMB', { handle: h }), 'EINVAL');
    await fd1.call('GEM_CLOSE', { handle: h });
  });
});

describe('foreign memfd imports', () => {
  it('a client memfd imports as a new buffer, becomes a framebuffer and is scanned out', async () => {
    const r = await rig({ connectors: '64x32', unpaced: true });
    try {
      const lit = await r.light();
      const memfd = native.memfdCreate('client-buffer', 64 * 32 * 4, true);
      fill(memfd, 0xff00ff00, 64 * 32 * 4);
      const h = await r.master.primeFdToHandle(memfd);
      native.close(memfd);
      await fails(r.master.addFb2(64, 32, XRGB8888.fourcc, h, 512), 'EINVAL');
      const fb = await r.master.addFb2(64, 32, XRGB8888.fourcc, h, 256);
      await r.master.pageFlip(lit.out.crtcId, fb, 1n);
      await r.master.nextEvent(3000);
      const status = await adminCall<PeerStatus[]>(r.pair.admin, { cmd: 'status' });
      const expected = (await import('node:zlib')).crc32(new Uint8Array(64 * 32 * 4).fill(0).map((_, i) => [0x00, 0xff, 0x00, 0xff][i % 4]!));
      expect(status[0]!.connectors[0]!.lastCrc).toBe(expected);
      const bad = native.memfdCreate('odd', 5000, true);
      await fails(r.master.primeFdToHandle(bad), 'EINVAL');
      native.close(bad);
    } finally {
      await r.stop();
    }
  });
});

describe('export / import / close races', () => {
  it('PSI-10/11: 10,000 export / import / close cycles in two clients leave fds and mappings where they were', async () => {
    const r = await rig();
    try {
      const a = r.master;
      const b = r.open();
      const fePid = r.pair.frontend.child.pid!;
      const bePid = r.pair.backend.child.pid!;
      const count = (pid: number) => [readdirSync(`/proc/${pid}/fd`).length, readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n').filter((l) => l.includes('/memfd:')).length];
      const own = () => readdirSync('/proc/self/fd').length;
      const h = (await a.createDumb(64, 64, 32)).handle;
      const cycle = async () => {
        const fd = await a.primeHandleToFd(h, RDWR);
        const hb = await b.primeFdToHandle(fd);
        const ha = await a.primeFdToHandle(fd);
        if (ha !== h) throw new Error(`self-import gave ${ha}, not ${h}`);
        native.close(fd);
        await b.call('GEM_CLOSE', { handle: hb });
      };
      for (let i = 0; i < 50; i++) await cycle();
      const before = [count(fePid), count(bePid), own()];
      for (let i = 0; i < 10_000; i++) await cycle();
      expect([count(fePid), count(bePid), own()]).toEqual(before);
    } finally {
      await r.stop();
    }
  }, 120_000);
});
