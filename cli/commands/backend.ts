// `pvdisplay backend`: serve displays to frontends until stopped; optionally the live viewer on HTTP.
import type { Command } from 'commander';
import { join } from 'node:path';
import { AdminServer, answerAdmin } from '../../backend/admin.js';
import { AdminCommands } from '../../backend/admin-commands.js';
import { BackendServer } from '../../backend/server.js';
import type { ConnectorSpec } from '../../backend/display/pipeline.js';
import { ViewerServer, parseListen } from '../../backend/scanout/viewer/server.js';
import { vncOptions, vncScreenLine } from '../../backend/scanout/vnc/vnc-options.js';
import { VncHub } from '../../backend/scanout/vnc/vnc-hub.js';
import { assertProtocolVersion } from '../../protocol/version.js';
import { parseVersions } from '../../protocol/bus/store-keys.js';
import { pvError } from '../../shared/errors.js';
import { reclaimStale } from '../../shared/channel.js';
import { defaultRuntimeDir, ensureRuntimeDir, onShutdown, parseIntOption } from '../runtime.js';
import { holdOnlyLiveMemory } from '../../shared/memory-policy.js';

/** "1920x1080", "1280x720@30", comma-separated. */
export function parseConnectors(list: string): ConnectorSpec[] {
  return list.split(',').map((item, i) => {
    const m = /^(\d+)x(\d+)(?:@(\d+))?$/.exec(item.trim());
    if (!m) throw pvError('EINVAL', `connector "${item}" is not WxH or WxH@Hz`);
    const width = parseIntOption(m[1]!, 'width', 1, 4095);
    const height = parseIntOption(m[2]!, 'height', 1, 2047);
    const refreshHz = m[3] ? parseIntOption(m[3], 'refresh', 1, 240) : 60;
    return { width, height, refreshHz, uniqueId: `pvdisplay-${i}` };
  });
}

interface BackendOptions {
  runtimeDir: string;
  connectors: string;
  unpaced?: boolean;
  versions: string;
  crc: boolean;
  crcLog?: boolean;
  viewer?: string;
  viewerAdmin?: boolean;
  beAlloc?: boolean;
  vnc?: string;
  vncPasswordFile?: string;
  listen?: string;
  tlsCert?: string;
  tlsKey?: string;
  token?: string;
  insecure?: boolean;
}

export function register(program: Command): void {
  program
    .command('backend')
    .description('serve displays (the host side): frontends connect to backend.sock; frames go to the CRC sink, snapshots, recorders and the viewer')
    .option('--runtime-dir <dir>', 'where backend.sock and admin.sock live', defaultRuntimeDir())
    .option('--connectors <list>', 'connectors as WxH[@Hz], comma-separated', '1920x1080')
    .option('--unpaced', 'report frame done at once instead of at the next vblank')
    .option('--versions <list>', 'protocol versions to offer', '1,2')
    .option('--no-crc', 'do not compute a CRC of each scanned-out frame (CRC captures still do)')
    .option('--crc-log', 'print "crc <connector> <sequence> <crc>" for every scanned-out frame')
    .option('--be-alloc', 'tell frontends (be-alloc = 1) that this backend allocates display buffers')
    .option('--viewer <[host:]port>', 'serve the live viewer on HTTP, host 127.0.0.1 unless given; port 0 picks one')
    .option('--viewer-admin', 'also serve the admin API on the viewer (POST /api), with a token of its own, printed on start')
    .option('--vnc <[host:]port>', 'serve every screen over VNC (RFB 3.8), one port each from this one; host 127.0.0.1 unless given; port 0 picks free ones')
    .option('--vnc-password-file <path>', 'VNC authentication with the first line of this file (off loopback a random password is printed without it)')
    .option('--listen <url>', 'also serve frontends on other hosts: ws://HOST:PORT (loopback) or wss://HOST:PORT with --tls-cert/--tls-key; prints the token they need')
    .option('--tls-cert <file>', 'PEM certificate for a wss:// --listen')
    .option('--tls-key <file>', 'PEM private key for a wss:// --listen')
    .option('--token <token>', 'the token remote frontends must present (default: PVDISPLAY_TOKEN, else a random one)')
    .option('--insecure', 'allow plain ws:// --listen on an address other than loopback')
    .action(async (o: BackendOptions) => {
      holdOnlyLiveMemory();
      if (o.viewerAdmin && o.viewer === undefined) throw pvError('EINVAL', '--viewer-admin needs --viewer');
      const dir = ensureRuntimeDir(o.runtimeDir);
      const listen = o.viewer === undefined ? undefined : parseListen(o.viewer);
      const vncListen = o.vnc === undefined ? undefined : vncOptions(o.vnc, o.vncPasswordFile);
      const server = new BackendServer(dir, {
        connectors: parseConnectors(o.connectors),
        versions: parseVersions(o.versions).map(assertProtocolVersion),
        beAlloc: Boolean(o.beAlloc),
        paced: !o.unpaced,
        crc: o.crc || Boolean(o.crcLog),
      });
      const commands = new AdminCommands(server);
      const admin = new AdminServer(dir, commands);
      const viewer = listen && new ViewerServer({ ...listen, source: server, admin: o.viewerAdmin ? (body) => answerAdmin(commands, body) : undefined });
      const vnc = vncListen && new VncHub(server, vncListen.options);
      vnc?.on('screen', (screen) => process.stdout.write(vncScreenLine(screen)));
      // A backend already serving this dir first: its admin.sock must not be replaced. Then the viewer's and VNC's
      // ports (a port in use or a bad host is the likeliest failure), the sockets last, and on any failure nothing
      // is left behind: a frontend must never find a backend.sock that nobody serves.
      reclaimStale(server.socketPath);
      try {
        await viewer?.listen().catch((e: unknown) => {
          const err = e as NodeJS.ErrnoException;
          throw pvError(err.code ?? 'EINVAL', `--viewer ${o.viewer ?? ''}: cannot listen there (${err.code === 'ENOTFOUND' ? 'unknown host' : err.message})`);
        });
        await vnc?.listen().catch((e: unknown) => {
          const err = e as NodeJS.ErrnoException;
          throw pvError(err.code ?? 'EINVAL', `--vnc ${o.vnc ?? ''}: cannot listen there (${err.message})`);
        });
        await admin.listen();
        server.start();
        if (o.listen !== undefined) {
          const remote = await server.listenRemote({ url: o.listen, token: o.token ?? process.env.PVDISPLAY_TOKEN, tlsCert: o.tlsCert, tlsKey: o.tlsKey, insecure: Boolean(o.insecure) });
          process.stdout.write(`remote frontends: ${remote.url}\ntoken: ${remote.token}\n`);
        }
      } catch (e) {
        vnc?.close();
        viewer?.close();
        admin.close();
        server.close();
        throw e;
      }
      if (viewer) {
        const hub = viewer.hub;
        commands.viewerStats = () => hub.stats();
      }
      if (vnc) {
        commands.vncStats = () => vnc.stats();
        server.on('peer', () => vnc.reconcile());
        if (vncListen.generated) process.stdout.write(`vnc password: ${vncListen.options.password ?? ''}\n`);
      }
      if (o.crcLog) {
        server.on('frame', (f, domid) => {
          process.stdout.write(`crc ${domid}/${f.connector} ${f.sequence} 0x${(f.crc ?? 0).toString(16).padStart(8, '0')}\n`);
        });
      }
      server.on('peer', (domid) => process.stdout.write(`frontend connected as domain ${domid}\n`));
      process.stdout.write(`backend listening on ${join(dir, 'backend.sock')} (admin ${admin.path}; ${o.unpaced ? 'unpaced' : 'paced'})\n`);
      if (viewer) process.stdout.write(`viewer: ${viewer.url}\n`);
      if (viewer?.adminUrl) process.stdout.write(`viewer admin: POST ${viewer.adminUrl}\n`);
      onShutdown(async () => {
        viewer?.close();
        vnc?.close();
        await commands.close();
        admin.close();
        server.close();
      });
    });
}
