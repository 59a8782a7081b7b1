// What /proc says about a process: CPU time used, resident memory, open fds. For bench rows that compare a
// process with itself before and after a run.
import { readFileSync, readdirSync } from 'node:fs';

/** USER_HZ: /proc/PID/stat counts CPU time in these ticks (100 on every Linux ABI Node runs on). */
const TICKS_PER_SECOND = 100;

/** User + system CPU time of process `pid`, µs (10 ms resolution). */
export function cpuUs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces and parentheses: count fields from the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / TICKS_PER_SECOND;
}

/** Resident set size of process `pid`, bytes (VmRSS). */
export function rssBytes(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

/** Open fds of process `pid`. */
export function fdCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}
