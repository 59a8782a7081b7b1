// The demo a new user runs: it exits 0 with a PNG of the mode's size showing the pattern, and Ctrl-C in the middle
// leaves no process and no runtime directory behind.
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

  it('Ctrl-C stops every process it started and removes its runtime dir', async () => {
    const demo = run(['demo', '--frames', '1000000', '--quiet-crc', '--no-viewer']);
    await demo.waitLine(/\[client\] frames \d+/);
    const runtimeDir = /runtime dir (\S+),/.exec(demo.lines[0]!)![1]!;
    expect(processesMentioning(runtimeDir).length).toBeGreaterThanOrEqual(3);
    expect(demo.lines.join('\n')).not.toMatch(/viewer:/);
    expect(await demo.stop('SIGINT')).toMatchObject({ code: 130 });
    expect(processesMentioning(runtimeDir)).toEqual([]);
    expect(existsSync(runtimeDir)).toBe(false);
  });
});
