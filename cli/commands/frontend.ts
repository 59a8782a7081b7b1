// `pvdisplay frontend`: connect to a backend and serve the KMS device node dri/card0 until stopped.
import type { Command } from 'commander';
import { join } from 'node:path';
import { Frontend } from '../../frontend/frontend.js';
import { parseVersions } from '../../protocol/bus/store-keys.js';
import { assertProtocolVersion } from '../../protocol/version.js';
import { defaultRuntimeDir, ensureRuntimeDir, onShutdown, parseIntOption, waitForPath } from '../runtime.js';
import { UNPLUG_POLICIES, type UnplugPolicy } from '../../frontend/kms/unplug.js';
import { pvError } from '../../shared/errors.js';
import { DEFAULT_LIMITS, type Limits } from '../../frontend/kms/budget.js';
import { checkRemoteBackend } from '../../frontend/remote/connect.js';
import { holdOnlyLiveMemory } from '../../shared/memory-policy.js';

function parsePolicy(v: string): UnplugPolicy {
  if (!(UNPLUG_POLICIES as readonly string[]).includes(v)) throw pvError('EINVAL', `--unplug-policy must be one of ${UNPLUG_POLICIES.join(', ')}`);
  return v as UnplugPolicy;
}

/** `--limit name=value`, repeatable: overrides one of the device's budgets (frontend/kms/budget.ts). */
function addLimit(v: string, limits: Limits): Limits {
  const m = /^(\w+)=([0-9]+)$/.exec(v);
  if (!m || !Object.hasOwn(DEFAULT_LIMITS, m[1]!)) throw pvError('EINVAL', `--limit must be NAME=COUNT with NAME one of ${Object.keys(DEFAULT_LIMITS).join(', ')}`);
  return { ...limits, [m[1]!]: Number(m[2]) };
}

interface RemoteOptions {
  backend?: string;
  token?: string;
  tlsCa?: string;
  insecure?: boolean;
}

export function register(program: Command): void {
  program
    .command('frontend')
    .description('connect to the backend and serve the device node dri/cardN (the guest side)')
    .option('--runtime-dir <dir>', 'where backend.sock is and dri/ goes', defaultRuntimeDir())
    .option('--versions <list>', 'protocol versions this frontend speaks', '1,2')
    .option('--response-timeout <ms>', 'deadline for each backend response', '3000')
    .option('--frame-done-timeout <ms>', 'how long a flip waits for frame done before its event is sent anyway', '3100')
    .option('--fence-timeout <ms>', 'how long a commit waits for its in-fences before it is dropped', '5000')
    .option('--unplug-policy <policy>', 'what clients that still touch a buffer of an unplugged device see: sigbus, zero-page or keep', 'sigbus')
    .option('--limit <name=value>', `a budget of what clients may make the device hold, repeatable (defaults: ${Object.entries(DEFAULT_LIMITS).map(([k, v]) => `${k}=${v}`).join(', ')})`, addLimit, DEFAULT_LIMITS)
    .option('--wait <ms>', 'how long to wait for the backend socket to appear', '5000')
    .option('--backend <url>', 'a backend on another host: ws://HOST:PORT (loopback) or wss://HOST:PORT, instead of backend.sock')
    .option('--token <token>', 'the token the remote backend printed (or PVDISPLAY_TOKEN, which other users cannot see in ps)')
    .option('--tls-ca <file>', 'PEM certificate (or its CA) a wss:// backend must present, e.g. its self-signed one')
    .option('--insecure', 'allow plain ws:// to an address other than loopback')
    .action(async (o: { runtimeDir: string; versions: string; responseTimeout: string; frameDoneTimeout: string; fenceTimeout: string; unplugPolicy: string; limit: Limits; wait: string } & RemoteOptions) => {
      holdOnlyLiveMemory();
      const dir = ensureRuntimeDir(o.runtimeDir);
      const remote = o.backend === undefined ? undefined : { url: o.backend, token: o.token ?? process.env.PVDISPLAY_TOKEN ?? '', tlsCa: o.tlsCa, insecure: Boolean(o.insecure) };
      if (remote) checkRemoteBackend(remote);
      else await waitForPath(join(dir, 'backend.sock'), parseIntOption(o.wait, '--wait'), 'backend');
      const fe = new Frontend({
        runtimeDir: dir,
        versions: parseVersions(o.versions).map(assertProtocolVersion),
        responseTimeoutMs: parseIntOption(o.responseTimeout, '--response-timeout', 1),
        frameDoneTimeoutMs: parseIntOption(o.frameDoneTimeout, '--frame-done-timeout', 1),
        fenceTimeoutMs: parseIntOption(o.fenceTimeout, '--fence-timeout', 1),
        unplugPolicy: parsePolicy(o.unplugPolicy),
        limits: o.limit,
        remote,
      });
      let stopping = false;
      fe.on('ready', (node) => process.stdout.write(`frontend ready: ${node.path} (displif v${fe.protocolVersion})\n`));
      fe.on('lost', (err, zombie) => {
        if (stopping) return;
        process.stdout.write(`frontend: backend lost (${err.message})${zombie ? `; ${zombie.name} unplugged (${o.unplugPolicy}), a zombie until its clients close` : ''}; waiting for the backend\n`);
      });
      fe.on('freed', (name) => process.stdout.write(`frontend: ${name} freed\n`));
      fe.on('waiting', (reason) => process.stdout.write(`frontend: waiting for the backend at ${o.backend ?? join(dir, 'backend.sock')}: ${reason}\n`));
      fe.on('failed', (err) => {
        process.stderr.write(`pvdisplay: ${err.message}\n`);
        fe.close();
        process.exit(1);
      });
      fe.start();
      onShutdown(() => {
        stopping = true;
        fe.close();
      });
    });
}
