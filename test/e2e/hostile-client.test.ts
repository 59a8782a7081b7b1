// A hostile client of the device node against a real frontend process: whatever one connection sends or refuses
// to read costs that connection only; the frontend keeps serving every other client.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Card } from '../../frontend/client/card.js';
import { startPair, type Pair } from '../../cli/processes.js';
import { RawClient } from '../helpers/raw-client.js';

describe('hostile client', () => {
  let pair: Pair;
  beforeAll(async () => {
    pair = await startPair({ connectors: '64x48', unpaced: true });
  });
  afterAll(async () => {
    await pair?.stop();
  });

  async function honestClientServed(): Promise<void> {
    const card = Card.open(pair.card);
    try {
      expect((await card.call('VERSION', {})).name).toBe('pvdisplay');
      const d = await card.createDumb(64, 48, 32);
      await card.destroyDumb(d.handle);
    } finally {
      card.close();
    }
  }

  it('errors quoting huge arguments stay small; the frontend survives and serves another client', async () => {
    const raw = new RawClient(pair.card);
    try {
      const cases: [Record<string, unknown>, string][] = [
        [{ id: 1, op: 'MODE_CREATE_DUMB', args: { width: new Array(30_000).fill('\u0000'), height: 1, bpp: 32 } }, 'EINVAL'],
        [{ id: 2, op: 'X'.repeat(200_000), args: {} }, 'ENOTTY'],
        [{ id: 3, op: 'MODE_GETCRTC', args: { crtc_id: Buffer.alloc(100_000, 0x41) } }, 'EINVAL'],
      ];
      for (const [req, code] of cases) {
        expect(raw.send(req)).toBe(true);
        const r = await raw.reply(req.id as number);
        expect(r).not.toBeNull();
        const err = r!.msg.err as { code: string; message: string };
        expect(err.code).toBe(code);
        expect(err.message.length).toBeLessThan(1024);
      }
    } finally {
      raw.close();
    }
    expect(pair.frontend.child.exitCode).toBeNull();
    await honestClientServed();
  });
});
