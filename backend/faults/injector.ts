// Carries out a fault an admin client asked for: counted faults are armed in the backend's plan (the rings
// consult it); the others act at once on a frontend: unplug or replug a connector (a hotplug the frontend hears of
// when it negotiated feature-hotplug), stall or resume its channels, close it cleanly through XenBus, or kill the
// whole backend with SIGKILL once the reply is out.
import type { AdminReply } from '../admin-commands.js';
import type { BackendServer } from '../server.js';
import type { FaultSpec } from './spec.js';

export function injectFault(backend: BackendServer, spec: FaultSpec): AdminReply {
  switch (spec.kind) {
    case 'drop-frame-done':
    case 'delay-frame-done':
    case 'errno':
      return { ok: backend.faults.arm(spec) };
    case 'disconnect':
    case 'connect': {
      const peer = backend.peer(spec.domid);
      backend.pipeline(spec.connector, peer.domid);
      peer.setConnector(spec.connector, spec.kind === 'connect');
      return { ok: { domid: peer.domid, connector: spec.connector, connected: spec.kind === 'connect' } };
    }
    case 'stall': {
      const peer = backend.peer(spec.domid);
      peer.stall(spec.ms);
      return { ok: { domid: peer.domid, stalled: true, ms: spec.ms ?? null } };
    }
    case 'resume': {
      const peer = backend.peer(spec.domid);
      peer.resume();
      return { ok: { domid: peer.domid, stalled: false } };
    }
    case 'close': {
      const peer = backend.peer(spec.domid);
      peer.closeCleanly();
      return { ok: { domid: peer.domid, closed: true } };
    }
    case 'die':
      return { ok: { pid: process.pid, dying: true }, afterReply: () => process.kill(process.pid, 'SIGKILL') };
    case 'clear': {
      const disarmed = backend.faults.clear();
      for (const peer of backend.peers()) {
        peer.resume();
        peer.pipelines.forEach((pipe, i) => {
          if (!pipe.connected) peer.setConnector(i, true);
        });
      }
      return { ok: { disarmed } };
    }
  }
}
