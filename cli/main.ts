#!/usr/bin/env -S node --min-semi-space-size=16 --single-threaded
// The `pvdisplay` command: one subcommand per role. Errors print as "pvdisplay: CODE: message" with exit code 1.
// The shebang's node flags are NODE_FLAGS (cli/node-flags.ts says why).
import { Command } from 'commander';
import { register as backend } from './commands/backend.js';
import { register as frontend } from './commands/frontend.js';
import { register as pattern } from './commands/pattern.js';
import { register as info } from './commands/info.js';
import { register as demo } from './commands/demo.js';
import { register as snapshot } from './commands/snapshot.js';
import { register as crc } from './commands/crc.js';
import { register as record } from './commands/record.js';
import { register as fault } from './commands/fault.js';
import { register as hotplug } from './commands/hotplug.js';
import { register as run } from './commands/run.js';

const program = new Command();
program
  .name('pvdisplay')
  .description('A para-virtual display pair (Xen displif): a backend that scans out, a frontend that serves a KMS-like device')
  .version('0.1.0')
  // Options after a subcommand belong to it (so `run` can pass a program's own options through untouched).
  .enablePositionalOptions();
for (const reg of [demo, backend, frontend, pattern, info, snapshot, crc, record, fault, hotplug, run]) reg(program);

program.parseAsync(process.argv).catch((e: unknown) => {
  process.stderr.write(`pvdisplay: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
