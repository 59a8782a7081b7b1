// `pvdisplay pattern`: a test-pattern client. Modesets a connector, then draws into two dumb buffers and flips
// between them, printing progress; `--image known:SEED` shows a deterministic image once and prints its CRC.
import type { Command } from 'commander';
import { Card } from '../../frontend/client/card.js';
import { findOutput } from '../../frontend/client/output.js';
import type { BufferMapping } from '../../frontend/client/mapping.js';
import { XRGB8888 } from '../../protocol/formats.js';
import { frameCrc } from '../../shared/pixels/crc.js';
import { drawKnownImage, drawPattern } from '../../shared/pixels/pattern.js';
import { pvError } from '../../shared/errors.js';
import { defaultRuntimeDir, onShutdown, parseIntOption } from '../runtime.js';
import { resolveCard } from '../live-card.js';

interface Buffer2 {
  fbId: number;
  map: BufferMapping;
  pitch: number;
}

export function register(program: Command): void {
  program
    .command('pattern')
    .description('a test-pattern client: modeset a connector and flip an animated pattern')
    .option('--runtime-dir <dir>', 'where dri/ is', defaultRuntimeDir())
    .option('--card <name>', 'device node in dri/ (default: the frontend\'s live card, the highest cardN that serves)')
    .option('--connector <n>', 'connector index', '0')
    .option('--frames <n>', 'frames to flip (0: until stopped)', '0')
    .option('--image <kind>', '"pattern" (animated) or "known:SEED" (one deterministic frame)', 'pattern')
    .option('--hold', 'after the last frame keep showing it until stopped (closing the device would turn the output off)')
    .option('--wait <ms>', 'how long to wait for the device node to appear', '5000')
    .action(async (o: { runtimeDir: string; card?: string; connector: string; frames: string; image: string; hold?: boolean; wait: string }) => {
      const path = await resolveCard(o.runtimeDir, o.card, parseIntOption(o.wait, '--wait'));
      const frames = parseIntOption(o.frames, '--frames');
      const known = /^known:(\d+)$/.exec(o.image);
      if (!known && o.image !== 'pattern') throw pvError('EINVAL', `--image must be "pattern" or "known:SEED"`);
      const card = Card.open(path);
      const out = await findOutput(card, parseIntOption(o.connector, '--connector', 0, 255));
      const { hdisplay: w, vdisplay: h } = out.mode;
      process.stdout.write(`connector ${out.connector.connector_id} (index ${o.connector}), mode ${out.mode.name} @ ${out.mode.vrefresh} Hz, CRTC ${out.crtcId}\n`);
      const bufs: Buffer2[] = [];
      for (let i = 0; i < 2; i++) {
        const d = await card.createDumb(w, h, 32);
        const map = await card.mapDumb(d.handle);
        bufs.push({ fbId: await card.addFb2(w, h, XRGB8888.fourcc, d.handle, d.pitch), map, pitch: d.pitch });
      }
      const draw = (b: Buffer2, frame: number): void => {
        const target = { data: b.map.bytes, pitch: b.pitch, width: w, height: h };
        if (known) drawKnownImage(target, Number(known[1]));
        else drawPattern(target, frame);
      };
      draw(bufs[0]!, 0);
      await card.setCrtc(out.crtcId, bufs[0]!.fbId, 0, 0, [out.connector.connector_id], out.mode);
      if (known) {
        const b = bufs[1]!;
        draw(b, 0);
        await card.pageFlip(out.crtcId, b.fbId, 1n);
        const ev = await card.nextEvent();
        const crc = frameCrc({ data: b.map.bytes, offset: 0, pitch: b.pitch, width: w, height: h, x: 0, y: 0, fourcc: XRGB8888.fourcc });
        process.stdout.write(`shown known image seed ${known[1]} at sequence ${ev.sequence}: crc 0x${crc.toString(16).padStart(8, '0')}\n`);
        if (o.hold) return onShutdown(() => card.close());
        card.close();
        return;
      }
      let stop = false;
      onShutdown(() => {
        stop = true;
        card.close();
      });
      const start = process.hrtime.bigint();
      let lastReport = start;
      let lastFrames = 0;
      for (let n = 1; !stop && (frames === 0 || n <= frames); n++) {
        const b = bufs[n % 2]!;
        draw(b, n);
        await card.pageFlip(out.crtcId, b.fbId, BigInt(n));
        const ev = await card.nextEvent();
        if (ev.userData !== BigInt(n)) throw pvError('EPROTO', `flip ${n} completed with user data ${ev.userData}`);
        const now = process.hrtime.bigint();
        if (now - lastReport >= 1_000_000_000n || n === frames) {
          const fps = ((n - lastFrames) * 1e9) / Number(now - lastReport);
          process.stdout.write(`frames ${n}${frames ? `/${frames}` : ''}, ${fps.toFixed(1)} fps, vblank sequence ${ev.sequence}\n`);
          lastReport = now;
          lastFrames = n;
        }
      }
      const secs = Number(process.hrtime.bigint() - start) / 1e9;
      process.stdout.write(`done: ${frames || 'all'} frames in ${secs.toFixed(2)} s\n`);
      if (!o.hold) card.close();
    });
}
