// The demo a new user runs: it exits 0 with a PNG of the mode's size showing the pattern, and Ctrl-C or SIGTERM in
// the middle leaves no process and no runtime directory behind.
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodePng } from '../../shared/pixels/png.js';
import { run } from '../../cli/processes.js';

function processesMentioning(text: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(text)) pids.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}

describe('pvdisplay demo', () => {
  it('runs the three processes, prints CRCs and fps, and writes a snapshot of the mode size', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pvd-demo-test-'));
    try {
      const out = join(dir, 'out.png');
      const demo = run(['demo', '--frames', '40', '--mode', '640x360', '--snapshot', out]);
      expect(await demo.exited()).toEqual({ code: 0, signal: null });
      const text = demo.lines.join('\n');
      expect(text).toMatch(/\[client\] connector \d+ \(index 0\), mode 640x360 @ 60 Hz/);
      expect(text).toMatch(/\[client\] frames 40\/40, [\d.]+ fps/);
      expect(text).toMatch(/\[backend\] crc 1\/0 40 0x[0-9a-f]{8}/);
      expect(text).toMatch(/\[backend\] viewer: http:\/\/127\.0\.0\.1:\d+\/\?token=\S+/);
      expect(text).toContain(`snapshot: ${out} (640x360 XR24`);
      const png = decodePng(readFileSync(out));
      expect([png.width, png.height]).toEqual([640, 360]);
      // Colour bars: the top row is not one flat colour.
      const firstRow = new Set<number>();
      for (let x = 0; x < 640; x += 8) firstRow.add(new DataView(png.rgba.buffer, png.rgba.byteOffset).getUint32(x * 4));
      expect(firstRow.size).toBeGreaterThan(4);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // A terminal's Ctrl-C sends SIGINT to the whole foreground process group; `timeout`, `docker stop` and systemd
  // send SIGTERM to the demo alone. Either way: the snapshot of what was shown, nothing left behind, 128 + signal.
  it.each([
    { how: 'Ctrl-C (SIGINT to the process group)', signal: 'SIGINT' as const, group: true, status: 130 },
    { how: 'SIGTERM to the demo', signal: 'SIGTERM' as const, group: false, status: 143 },
  ])('$how stops every process, writes the snapshot and removes its runtime dir', async ({ signal, group, status }) => {
    const dir = mkdtempSync(join(tmpdir(), 'pvd-demo-signal-'));
    const out = join(dir, 'last.png');
    const demo = run(['demo', '--frames', '1000000', '--quiet-crc', '--no-viewer', '--mode', '320x200', '--snapshot', out], {}, { detached: group });
    try {
      await demo.waitLine(/\[client\] frames \d+/);
      const runtimeDir = /runtime dir (\S+),/.exec(demo.lines[0]!)![1]!;
      expect(processesMentioning(runtimeDir).length).toBeGreaterThanOrEqual(3);
      expect(demo.lines.join('\n')).not.toMatch(/viewer:/);
      process.kill(group ? -demo.child.pid! : demo.child.pid!, signal);
      expect(await demo.exited()).toEqual({ code: status, signal: null });
      expect(demo.lines.join('\n')).not.toMatch(/demo failed/);
      expect(demo.lines.join('\n')).toMatch(/snapshot/);
      expect(decodePng(readFileSync(out))).toMatchObject({ width: 320, height: 200 });
      expect(processesMentioning(runtimeDir)).toEqual([]);
      expect(existsSync(runtimeDir)).toBe(false);
    } finally {
      await demo.stop('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a mode the backend refuses is refused at once with the backend\'s reason', async () => {
    const demo = run(['demo', '--mode', '0x0', '--no-viewer']);
    expect(await demo.exited()).toEqual({ code: 1, signal: null });
    expect(demo.lines.join('\n')).toMatch(/EINVAL: width must be an integer in \[1, 4095\], got "0"/);
    expect(demo.lines.join('\n')).not.toMatch(/ENOENT|admin\.sock/);
  });
});
