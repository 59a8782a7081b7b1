// A child process's output, line by line. 'exit' (even 'close') can come before readline has handed over the
// pipes' last lines (on a loaded machine it often does): what the child printed is all in once both readers closed.
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

/** Calls `onLine` for each line of the child's piped stdout and stderr; resolves once both are read to their end. */
export async function readLines(child: ChildProcess, onLine: (line: string, fromStdout: boolean) => void): Promise<void> {
  const readers = [child.stdout, child.stderr].flatMap((s) => (s ? [createInterface({ input: s }).on('line', (l) => onLine(l, s === child.stdout))] : []));
  await Promise.all(readers.map((r) => once(r, 'close')));
}
