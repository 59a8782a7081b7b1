// `npm run fuzz -- --seconds N [--seed S]`: the long fuzz run over the attack surfaces; prints the seed, a
// progress line every few seconds and a summary; exits 1 on any crash, hang or leak. SIGINT / SIGTERM end the
// run early with the summary so far.
import { Command } from 'commander';
import { formatReport, runFuzz } from './runner.js';

const opts = new Command()
  .option('--seconds <n>', 'how long to fuzz', '60')
  .option('--seed <n>', 'PRNG seed (printed; the same seed replays the same inputs)')
  .parse()
  .opts<{ seconds: string; seed?: string }>();

const seed = opts.seed !== undefined ? Number(opts.seed) >>> 0 : (Date.now() ^ (process.pid << 16)) >>> 0;
const ac = new AbortController();
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => ac.abort());
console.log(`fuzz: seed ${seed}, ${opts.seconds} s (reproduce with --seed ${seed})`);
const report = await runFuzz({ seed, seconds: Number(opts.seconds), log: (l) => console.log(l), signal: ac.signal });
console.log(formatReport(report));
process.exit(report.clean ? 0 : 1);
