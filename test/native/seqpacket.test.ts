// SOCK_SEQPACKET sockets: message boundaries, fd passing, EOF, listen/connect/accept, truncation handling.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it, expect } from 'vitest';
import * as native from '../../shared/native/index.js';
import { isCloexec, isNonblocking, nativeErrorOf, openFdCount } from './helpers.js';

const page = native.PAGE_SIZE;
const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');

function withPair(fn: (a: number, b: number) => void): void {
  const [a, b] = native.socketPair();
  try {
    fn(a, b);
  } finally {
    native.close(a);
    native.close(b);
  }
}

describe('socketPair send/recv', () => {
  it('creates non-blocking close-on-exec sockets', () => {
    withPair((a, b) => {
      for (const fd of [a, b]) {
        expect(isCloexec(fd)).toBe(true);
        expect(isNonblocking(fd)).toBe(true);
      }
    });
  });

  it('preserves message boundaries and reports an empty queue as null', () => {
    withPair((a, b) => {
      expect(native.recv(b, 100)).toBeNull();
      expect(native.send(a, Buffer.from('one'), [])).toBe(true);
      expect(native.send(a, Buffer.from('two!'), [])).toBe(true);
      expect(native.send(a, new Uint8Array([0, 1, 2, 255, 0]), [])).toBe(true);
      const first = native.recv(b, 100);
      expect(first).not.toBeNull();
      expect(text(first!.data)).toBe('one');
      expect(first!.fds).toEqual([]);
      expect(text(native.recv(b, 100)!.data)).toBe('two!');
      expect([...native.recv(b, 100)!.data]).toEqual([0, 1, 2, 255, 0]);
      expect(native.recv(b, 100)).toBeNull();
    });
  });

  it('each message is its own copy: a later one never shows through an earlier one, whatever maxBytes each used', () => {
    withPair((a, b) => {
      const big = Buffer.alloc(100 * 1024, 0x33);
      native.send(a, Buffer.alloc(150 * 1024, 0x11), []);
      native.send(a, Buffer.from('second'), []);
      native.send(a, big, []);
      const first = native.recv(b, 256 * 1024)!.data;
      const second = native.recv(b, 256 * 1024)!.data;
      const third = native.recv(b, 512 * 1024)!.data;
      expect(first.length).toBe(150 * 1024);
      expect(first.every((v) => v === 0x11)).toBe(true);
      expect(text(second)).toBe('second');
      expect(third.equals(big)).toBe(true);
    });
  });

  it('sends a Uint8Array that views part of a larger buffer', () => {
    withPair((a, b) => {
      const whole = Buffer.from('xxhelloxx');
      native.send(a, whole.subarray(2, 7), []);
      expect(text(native.recv(b, 100)!.data)).toBe('hello');
    });
  });

  it('passes memfds with SCM_RIGHTS; the receiver maps them and sees the sender bytes', () => {
    withPair((a, b) => {
      const sent = [0, 1, 2].map((i) => {
        const fd = native.memfdCreate(`passed-${i}`, page, false);
        const buf = native.map(fd, 0, page, true);
        new Uint8Array(buf).fill(0x10 + i);
        native.unmap(buf);
        return fd;
      });
      expect(native.send(a, Buffer.from('fds'), sent)).toBe(true);
      sent.forEach((fd) => native.close(fd)); // the receiver's copies must stand on their own
      const got = native.recv(b, 100);
      expect(got).not.toBeNull();
      expect(text(got!.data)).toBe('fds');
      expect(got!.fds).toHaveLength(3);
      for (const fd of got!.fds) {
        expect(isCloexec(fd)).toBe(true);
        expect(native.isMemfd(fd)).toBe(true);
        expect(native.fileSize(fd)).toBe(page);
      }
      const view = native.map(got!.fds[1]!, 0, page, false);
      expect(new Uint8Array(view)[0]).toBe(0x11);
      expect(new Uint8Array(view)[page - 1]).toBe(0x11);
      native.unmap(view);
      got!.fds.forEach((fd) => native.close(fd));
    });
  });

  it('recvInto: the packet in the caller buffer, its fds appended; null when none is queued; EMSGSIZE closes the fds', () => {
    withPair((a, b) => {
      const into = Buffer.alloc(8);
      const fds: number[] = [-7];
      expect(native.recvInto(b, into, fds)).toBeNull();
      const memfd = native.memfdCreate('carried', page, false);
      expect(native.send(a, Buffer.from('four'), [memfd])).toBe(true);
      expect(native.recvInto(b, into, fds)).toBe(4);
      expect(text(into.subarray(0, 4))).toBe('four');
      expect(fds).toHaveLength(2);
      expect(fds[0]).toBe(-7);
      expect(native.isMemfd(fds[1]!)).toBe(true);
      native.close(fds[1]!);
      const before = openFdCount();
      expect(native.send(a, Buffer.from('nine bytes'), [memfd])).toBe(true);
      const none: number[] = [];
      expect(nativeErrorOf(() => native.recvInto(b, into, none))?.code).toBe('EMSGSIZE');
      expect(none).toEqual([]);
      expect(openFdCount()).toBe(before);
      native.close(memfd);
    });
  });

  it('reports EOF as a zero-length message once the peer has closed', () => {
    const [a, b] = native.socketPair();
    native.send(a, Buffer.from('last'), []);
    native.close(a);
    expect(text(native.recv(b, 100)!.data)).toBe('last');
    const eof = native.recv(b, 100);
    expect(eof).not.toBeNull();
    expect(eof!.data.length).toBe(0);
    expect(eof!.fds).toEqual([]);
    native.close(b);
  });

  it('sending to a closed peer throws EPIPE (and does not raise SIGPIPE)', () => {
    const [a, b] = native.socketPair();
    native.close(b);
    const err = nativeErrorOf(() => native.send(a, Buffer.from('x'), []));
    expect(err.code).toBe('EPIPE');
    expect(err.syscall).toBe('sendmsg');
    native.close(a);
  });

  it('returns false when the socket is full instead of blocking', () => {
    withPair((a, b) => {
      const chunk = Buffer.alloc(4096, 1);
      // A socket buffer holds far fewer than 100,000 packets: the loop ends because a send said false.
      let sent = 0;
      while (sent < 100_000 && native.send(a, chunk, [])) sent++;
      expect(native.send(a, chunk, [])).toBe(false);
      expect(sent).toBeGreaterThan(0);
      expect(native.recv(b, 8192)!.data.length).toBe(4096);
    });
  });

  it('rejects an empty message, more than 253 fds and non-fd values with EINVAL', () => {
    withPair((a, b) => {
      expect(nativeErrorOf(() => native.send(a, new Uint8Array(0), [])).code).toBe('EINVAL');
      const many = new Array<number>(254).fill(a);
      expect(nativeErrorOf(() => native.send(a, Buffer.from('x'), many)).code).toBe('EINVAL');
      expect(nativeErrorOf(() => native.send(a, Buffer.from('x'), [-1])).code).toBe('EINVAL');
      expect(nativeErrorOf(() => native.send(a, Buffer.from('x'), [1.5])).code).toBe('EINVAL');
      expect(nativeErrorOf(() => native.recv(b, 0)).code).toBe('EINVAL');
      expect(native.recv(b, 10)).toBeNull(); // nothing was sent by the failed calls
    });
  });

  it('253 fds fit in one message', () => {
    withPair((a, b) => {
      const fds = new Array<number>(253).fill(a);
      expect(native.send(a, Buffer.from('max'), fds)).toBe(true);
      const got = native.recv(b, 10)!;
      expect(got.fds).toHaveLength(253);
      got.fds.forEach((fd) => native.close(fd));
    });
  });

  it('a too small maxBytes throws EMSGSIZE and closes the fds that arrived', () => {
    withPair((a, b) => {
      const memfd = native.memfdCreate('truncated', page, false);
      native.send(a, Buffer.alloc(100, 7), [memfd, memfd]);
      const before = openFdCount();
      const err = nativeErrorOf(() => native.recv(b, 10));
      expect(err.code).toBe('EMSGSIZE');
      expect(err.syscall).toBe('recvmsg');
      expect(openFdCount()).toBe(before);
      expect(native.recv(b, 1000)).toBeNull(); // the truncated message is gone, not redelivered
      native.close(memfd);
    });
  });

  it('peerCred reports this process for a socket pair', () => {
    withPair((a) => {
      expect(native.peerCred(a)).toEqual({ pid: process.pid, uid: process.getuid!(), gid: process.getgid!() });
    });
  });
});

describe('listen/connect/accept', () => {
  let dir = '';
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pvd-sock-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('accepts a connection and exchanges messages both ways', () => {
    const path = join(dir, 'display.sock');
    const server = native.listen(path, 4);
    expect(existsSync(path)).toBe(true);
    expect(isCloexec(server)).toBe(true);
    expect(native.accept(server)).toBeNull();
    const client = native.connect(path);
    const conn = native.accept(server);
    expect(conn).not.toBeNull();
    try {
      expect(isCloexec(conn!)).toBe(true);
      expect(isNonblocking(conn!)).toBe(true);
      expect(isNonblocking(client)).toBe(true);
      expect(native.send(client, Buffer.from('hello'), [])).toBe(true);
      expect(text(native.recv(conn!, 64)!.data)).toBe('hello');
      expect(native.send(conn!, Buffer.from('welcome'), [])).toBe(true);
      expect(text(native.recv(client, 64)!.data)).toBe('welcome');
      expect(native.peerCred(conn!).pid).toBe(process.pid);
      expect(native.accept(server)).toBeNull();
    } finally {
      native.close(client);
      native.close(conn!);
      native.close(server);
    }
  });

  it('listen on an existing path is EADDRINUSE', () => {
    const path = join(dir, 'taken');
    writeFileSync(path, '');
    const err = nativeErrorOf(() => native.listen(path, 1));
    expect(err.code).toBe('EADDRINUSE');
    expect(err.syscall).toBe('bind');
    const sock = join(dir, 'sock');
    const server = native.listen(sock, 1);
    expect(nativeErrorOf(() => native.listen(sock, 1)).code).toBe('EADDRINUSE');
    native.close(server);
  });

  it('connect reports ENOENT for a missing path and ECONNREFUSED when nobody listens', () => {
    const missing = nativeErrorOf(() => native.connect(join(dir, 'missing')));
    expect(missing.code).toBe('ENOENT');
    expect(missing.syscall).toBe('connect');
    const path = join(dir, 'stale');
    native.close(native.listen(path, 1)); // leaves the socket file without a listener
    expect(nativeErrorOf(() => native.connect(path)).code).toBe('ECONNREFUSED');
  });

  it('rejects a path that does not fit in sun_path', () => {
    expect(nativeErrorOf(() => native.listen(join(dir, 'x'.repeat(200)), 1)).code).toBe('ENAMETOOLONG');
  });
});
