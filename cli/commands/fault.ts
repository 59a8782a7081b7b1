// `pvdisplay fault <kind>`: injects a fault into the running backend through the admin API and prints what was
// done. The kinds are what a guest display stack must survive; see the README's fault-injection table.
import type { Command } from 'commander';
import { FAULT_KINDS } from '../../backend/faults/spec.js';
import { pvError } from '../../shared/errors.js';
import { backendCall } from '../admin-client.js';
import { defaultRuntimeDir, parseIntOption } from '../runtime.js';

interface FaultOptions {
  runtimeDir: string;
  connector?: string;
  domid?: string;
  count?: string;
  ms?: string;
  op?: string;
  errno?: string;
  json?: boolean;
}

/** What the backend answered, as a line a person reads (`--json` gives the answer as it is). */
export function describeFault(kind: string, answer: Record<string, unknown>): string {
  if (typeof answer.description === 'string') return `fault ${String(answer.id)} armed: ${answer.description}`;
  const fields = Object.entries(answer).map(([k, v]) => `${k} ${String(v)}`);
  return `${kind}: ${fields.length ? fields.join(', ') : 'done'}`;
}

/** A name as given, or a number when it is one (decimal or 0x hex). */
function nameOrNumber(value: string): string | number {
  return /^(\d+|0x[0-9a-f]+)$/i.test(value) ? Number(value) : value;
}

export function register(program: Command): void {
  program
    .command('fault')
    .description('inject a fault into the running backend')
    .argument('<kind>', FAULT_KINDS.join(' | '))
    .option('--runtime-dir <dir>', 'where admin.sock is', defaultRuntimeDir())
    .option('--connector <n>', 'connector index (disconnect/connect: default 0; others: any connector)')
    .option('--domid <id>', 'frontend domain id (default: the latest frontend, or any for armed faults)')
    .option('--count <n>', 'how many times an armed fault acts (errno: 1; frame-done faults: until cleared)')
    .option('--ms <ms>', 'delay-frame-done: the delay; stall: how long (default: until resume or clear)')
    .option('--op <opcode>', 'errno: the request to fail, by name (DBUF_CREATE, FB_ATTACH, SET_CONFIG, PG_FLIP, …) or number')
    .option('--errno <errno>', 'errno: the error to answer with, by name (ENOMEM) or number')
    .option('--json', 'print the backend\'s answer as JSON')
    .addHelpText(
      'after',
      `
Kinds:
  drop-frame-done    frame-done events are never sent (the frontend's frame-done timer must release the flip)
  delay-frame-done   frame-done events are sent --ms late
  errno              the next --count requests --op are answered with --errno without being run
  disconnect         the connector stops scanning out; connect undoes it
  stall              the backend stops answering requests and control messages (--ms, or until resume)
  resume             ends a stall
  close              the backend closes the frontend cleanly (XenBus Closing, Closed)
  die                the backend kills itself with SIGKILL after answering
  clear              disarm every fault, resume stalls, reconnect connectors`,
    )
    .action(async (kind: string, o: FaultOptions) => {
      if (!(FAULT_KINDS as readonly string[]).includes(kind)) throw pvError('EINVAL', `unknown fault kind "${kind}"; known: ${FAULT_KINDS.join(', ')}`);
      if (kind === 'errno' && (o.op === undefined || o.errno === undefined)) {
        throw pvError('EINVAL', 'fault errno needs --op (the request to fail: DBUF_CREATE, FB_ATTACH, SET_CONFIG, PG_FLIP, … or its number) and --errno (ENOMEM, EIO, … or a number)');
      }
      const req: Record<string, unknown> = { cmd: 'fault', kind };
      if (o.connector !== undefined) req.connector = parseIntOption(o.connector, '--connector', 0, 255);
      if (o.domid !== undefined) req.domid = parseIntOption(o.domid, '--domid', 0, 0xffff);
      if (o.count !== undefined) req.count = parseIntOption(o.count, '--count', 1);
      if (o.ms !== undefined) req.ms = parseIntOption(o.ms, '--ms');
      if (o.op !== undefined) req.op = nameOrNumber(o.op);
      if (o.errno !== undefined) req.errno = nameOrNumber(o.errno);
      const answer = await backendCall<Record<string, unknown>>(o.runtimeDir, req);
      process.stdout.write((o.json ? JSON.stringify(answer) : describeFault(kind, answer)) + '\n');
    });
}
