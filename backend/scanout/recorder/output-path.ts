// Where a recording may go: checked before anything is written, so that a user learns at once that a directory is
// missing or that a recording would be overwritten (instead of a broken pipe from ffmpeg, or a silent truncate).
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pvError } from '../../../shared/errors.js';

export function checkOutput(path: string, format: 'raw' | 'video', overwrite: boolean): void {
  const parent = dirname(path);
  if (!existsSync(parent) || !statSync(parent).isDirectory()) throw pvError('ENOENT', `directory ${parent} does not exist`);
  // A raw recording is a directory: what would be overwritten is its frames file.
  const target = format === 'raw' ? join(path, 'frames.raw') : path;
  if (!overwrite && existsSync(target)) throw pvError('EEXIST', `${target} exists: pass overwrite (--overwrite) to replace it`);
}
