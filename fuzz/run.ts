// `npm run fuzz -- --seconds N [--seed S] [--only SURFACE,...]`: the long fuzz run over the attack surfaces; prints the seed, a
// progress line every few seconds and a summary; exits 1 on any crash, hang, leak, or RSS of the product's processes over 5% above its baseline. SIGINT / SIGTERM end the
// run early with the summary so far.
import { Command } from 'commander';
import { SURFACES, formatReport, runFuzz, type SurfaceName } from './runner.js';
import { holdOnlyLiveMemory } from '../shared/memory-policy.js';

const opts = new Command()
  .option('--seconds <n>', 'how long to fuzz', '60')
  .option('--seed <n>', 'PRNG seed (printed; the same seed replays the same inputs)')
  .option('--only <surfaces>', `attack only these surfaces, comma-separated (${SURFACES.join(', ')})`)
  .parse()
  .opts<{ seconds: string; seed?: string; only?: string }>();

const only = opts.only?.split(',').map((s) => s.trim());
const unknown = only?.filter((s) => !(SURFACES as readonly string[]).includes(s));
if (unknown?.length) {
  console.error(`fuzz: no surface ${unknown.join(', ')} (there are ${SURFACES.join(', ')})`);
  process.exit(2);
}

// The fuzzer's own RSS is judged too, and its inputs are big.
holdOnlyLiveMemory();
const seed = opts.seed !== undefined ? Number(opts.seed) >>> 0 : (Date.now() ^ (process.pid << 16)) >>> 0;
const ac = new AbortController();
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => ac.abort());
console.log(`fuzz: seed ${seed}, ${opts.seconds} s (reproduce with --seed ${seed})`);
const report = await runFuzz({ seed, seconds: Number(opts.seconds), only: only as SurfaceName[] | undefined, log: (l) => console.log(l), signal: ac.signal });
console.log(formatReport(report));
process.exit(report.clean ? 0 : 1);
