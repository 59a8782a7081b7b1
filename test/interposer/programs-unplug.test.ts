// A program under `pvdisplay run` while the backend is killed: modetest, flipping, gets ENODEV (its clean-up
// calls say so) and keeps waiting for events (as on an unplugged kernel device) until a key press ends it; the frontend stays up
// and serves the next backend; nothing hangs or crashes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { run, startPair, type Pair } from '../../cli/processes.js';
import { Card } from '../../frontend/client/card.js';
import { findOutput } from '../../frontend/client/output.js';
import { drmProgramsWanted, runUnder, killLeftovers } from '../helpers/drm-programs.js';

describe.skipIf(!drmProgramsWanted)('backend killed under a program', () => {
  let pair: Pair;
  beforeAll(async () => (pair = await startPair({ connectors: '320x240' })));
  afterAll(async () => {
    killLeftovers();
    await pair?.stop();
  });

  it('modetest -v: the flip after the kill is ENODEV, modetest waits on, a key ends it; the frontend lives on', async () => {
    const card = Card.open(pair.card);
    const out = await findOutput(card, 0);
    // modetest must be master: it is when no file is as it opens. A close is heard some turns later, but the
    // answer to DROP_MASTER says that this file is no longer master (it stays open to the end).
    await card.call('DROP_MASTER', {});
    const p = runUnder(pair, ['modetest', '-M', 'pvdisplay', '-s', `${out.connector.connector_id}@${out.crtcId}:320x240`, '-v']);
    await p.waitFor(/freq: [\d.]+Hz/);
    pair.backend.child.kill('SIGKILL');
    await pair.frontend.waitLine(/backend lost/);
    // The last flip's event came with the unplug; modetest's next flip (unchecked) fails and it waits on.
    await p.waitFor(/select timed out/);
    expect(p.child.exitCode).toBe(null);
    p.press();
    const exit = await p.exited;
    expect(exit.signal).toBe(null);
    expect(exit.code).toBe(0);
    // Its clean-up calls got ENODEV.
    expect(p.stderr).toContain('failed to destroy dumb buffer: No such device');
    // The frontend is alive and serves the next backend as card1.
    expect(pair.frontend.child.exitCode).toBe(null);
    card.close();
    const again = run(['backend', '--runtime-dir', pair.dir, '--connectors', '320x240']);
    try {
      // Its ready line, not its path: the socket file exists a moment before it listens.
      await pair.frontend.waitLine(/^frontend ready: \S*\/dri\/card1 /, 30_000);
      const fresh = Card.open(join(pair.dir, 'dri', 'card1'));
      expect((await fresh.call('VERSION', {})).name).toBe('pvdisplay');
      fresh.close();
    } finally {
      await again.stop();
    }
  });
});
