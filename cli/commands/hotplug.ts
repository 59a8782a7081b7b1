// `pvdisplay hotplug` and `pvdisplay unplug`: the lifecycle levers on a running backend. hotplug plugs or unplugs a
// connector (optionally with a new EDID, whose preferred mode the connector takes); unplug takes the backend away
// from its frontends — cleanly through XenBus, or with --kill abruptly (SIGKILL), as a crash would.
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { pvError } from '../../shared/errors.js';
import { backendCall } from '../admin-client.js';
import { defaultRuntimeDir, parseIntOption } from '../runtime.js';

export function register(program: Command): void {
  program
    .command('hotplug')
    .description('plug or unplug a connector of the running backend; frontends get a hotplug uevent')
    .option('--runtime-dir <dir>', 'where admin.sock is', defaultRuntimeDir())
    .requiredOption('--connector <n>', 'connector index')
    .option('--on', 'plug the connector in')
    .option('--off', 'unplug the connector')
    .option('--edid <file>', 'a new EDID (binary, 128 bytes or more); its preferred mode becomes the connector\'s')
    .option('--domid <id>', 'only this frontend (default: all)')
    .action(async (o: { runtimeDir: string; connector: string; on?: boolean; off?: boolean; edid?: string; domid?: string }) => {
      if (Boolean(o.on) === Boolean(o.off)) throw pvError('EINVAL', 'give exactly one of --on and --off');
      const req: Record<string, unknown> = { cmd: 'hotplug', connector: parseIntOption(o.connector, '--connector', 0, 255), connected: Boolean(o.on) };
      if (o.edid !== undefined) req.edid = readFileSync(o.edid).toString('base64');
      if (o.domid !== undefined) req.domid = parseIntOption(o.domid, '--domid', 0, 0xffff);
      process.stdout.write(JSON.stringify(await backendCall(o.runtimeDir, req)) + '\n');
    });
  program
    .command('unplug')
    .description('take the backend away from its frontends: cleanly (XenBus Closing, Closed), or --kill it abruptly')
    .option('--runtime-dir <dir>', 'where admin.sock is', defaultRuntimeDir())
    .option('--kill', 'kill the backend process with SIGKILL instead (a crash)')
    .option('--domid <id>', 'clean close of this frontend only (default: the latest)')
    .action(async (o: { runtimeDir: string; kill?: boolean; domid?: string }) => {
      const req: Record<string, unknown> = { cmd: 'fault', kind: o.kill ? 'die' : 'close' };
      if (o.domid !== undefined) req.domid = parseIntOption(o.domid, '--domid', 0, 0xffff);
      process.stdout.write(JSON.stringify(await backendCall(o.runtimeDir, req)) + '\n');
    });
}
