// VNC off loopback: the backend prints a random password and offers only VNC authentication; a client choosing
// None is refused with a reason (3.8), a wrong password is refused at 3.3, 3.7 and 3.8 and the right one is let
// in, also for Debian's vncsnapshot with a vncpasswd file (with -allowblank: this screen has no frame yet, so it
// is black, and vncsnapshot would wait for another). On loopback a password file turns authentication on.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { vncResponse } from '../../backend/scanout/vnc/vnc-auth.js';
import { VNCSNAPSHOT, wanted } from '../helpers/requires.js';
import { RfbClient } from '../helpers/rfb-client.js';
import { startVncPair, type VncPair } from '../helpers/vnc-pair.js';

const exec = promisify(execFile);

/** A vncpasswd file: the password DES-encrypted under the fixed key every VNC viewer knows. */
function vncpasswdFile(path: string, password: string): void {
  const fixed = String.fromCharCode(23, 82, 107, 6, 35, 78, 88, 7);
  const block = Buffer.alloc(8);
  block.write(password, 'latin1');
  writeFileSync(path, vncResponse(fixed, block));
}

describe('VNC off loopback', () => {
  let v: VncPair;
  let password: string;
  beforeAll(async () => {
    v = await startVncPair('64x64', '0.0.0.0:0');
    password = /^vnc password: (\S+)$/.exec(await v.pair.backend.waitLine(/^vnc password: /))![1]!;
  });
  afterAll(async () => v?.pair.stop());

  it('prints a random 8-character password and offers VNC authentication alone', async () => {
    expect(password).toMatch(/^[A-Za-z0-9_-]{8}$/);
    expect(v.lines[1]).toMatch(/^vnc: domain 1 connector 0 on 0\.0\.0\.0:\d+ \(security vnc\)$/);
    const c = await RfbClient.open(v.port);
    expect(await c.handshake({ security: 1 })).toEqual({ offered: [2], result: 1, reason: 'this screen needs VNC authentication (None is offered on loopback only)' });
    await c.closed();
  });

  it('a wrong password is refused at every version; the right one opens the screen', async () => {
    for (const version of ['3.3', '3.7', '3.8'] as const) {
      const bad = await RfbClient.open(v.port);
      const r = await bad.handshake({ version, password: 'wrong' });
      expect(r).toMatchObject({ offered: [2], result: 1 });
      if (version === '3.8') expect(r.reason).toBe('authentication failed');
      await bad.closed();
      const good = await RfbClient.connect(v.port, { version, password });
      expect([good.width, good.height]).toEqual([64, 64]);
      good.request(false);
      expect((await good.update()).rects).toHaveLength(1);
      good.close();
    }
  });

  it.runIf(wanted(VNCSNAPSHOT, 'vncsnapshot with a password'))('vncsnapshot authenticates with a vncpasswd file, and fails with a wrong one', async () => {
    const good = join(v.pair.dir, 'good.passwd');
    const bad = join(v.pair.dir, 'bad.passwd');
    vncpasswdFile(good, password);
    vncpasswdFile(bad, 'nope');
    await exec('vncsnapshot', ['-quiet', '-allowblank', '-passwd', good, `127.0.0.1::${v.port}`, join(v.pair.dir, 'shot.jpg')]);
    await expect(exec('vncsnapshot', ['-quiet', '-allowblank', '-passwd', bad, `127.0.0.1::${v.port}`, join(v.pair.dir, 'no.jpg')])).rejects.toThrow();
  });
});

describe('VNC on loopback with a password file', () => {
  it('uses VNC authentication with the first line of the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pvd-vnc-'));
    const file = join(dir, 'password');
    writeFileSync(file, 'sesame\nrest is ignored\n');
    const v = await startVncPair('64x64', '127.0.0.1:0', ['--vnc-password-file', file]);
    try {
      expect(v.lines[1]).toMatch(/\(security vnc\)$/);
      expect(v.pair.backend.lines.some((l) => l.startsWith('vnc password'))).toBe(false);
      await expect(RfbClient.connect(v.port, { password: 'sesam' })).rejects.toThrow(/authentication failed/);
      (await RfbClient.connect(v.port, { password: 'sesame' })).close();
    } finally {
      await v.pair.stop();
      rmSync(dir, { recursive: true });
    }
  });
});
