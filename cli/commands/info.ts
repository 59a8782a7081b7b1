// `pvdisplay info`: the whole device state as modetest and drm_info show it (cli/info/); --json as drm_info -j.
import type { Command } from 'commander';
import { Card } from '../../frontend/client/card.js';
import { gather } from '../info/gather.js';
import { infoText } from '../info/text.js';
import { drmInfoJson } from '../info/drm-info-json.js';
import { exactJson } from '../info/exact-json.js';
import { defaultRuntimeDir, parseIntOption } from '../runtime.js';
import { resolveCard } from '../live-card.js';

export function register(program: Command): void {
  program
    .command('info')
    .description("print the whole device state like drm_info: objects, properties and values, modes, formats")
    .option('--runtime-dir <dir>', 'where dri/ is', defaultRuntimeDir())
    .option('--card <name>', 'device node in dri/ (default: the frontend\'s live card, the highest cardN that serves)')
    .option('--json', "print JSON in drm_info -j's schema (pvdisplay's own figures under \"pvdisplay\" keys)")
    .option('--wait <ms>', 'how long to wait for the device node to appear', '0')
    .action(async (o: { runtimeDir: string; card?: string; json?: boolean; wait: string }) => {
      const path = await resolveCard(o.runtimeDir, o.card, parseIntOption(o.wait, '--wait'));
      const card = Card.open(path);
      try {
        const info = await gather(card);
        if (o.json) process.stdout.write(exactJson(drmInfoJson(path, info)) + '\n');
        else process.stdout.write(infoText(path, info));
      } finally {
        card.close();
      }
    });
}
