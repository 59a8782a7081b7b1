// What a foreign fd must be before it becomes a buffer (PRIME_FD_TO_HANDLE): a memfd the backend can map shared and
// writable, for as long as the buffer lives. A read-only open, a write seal or a size that is not whole pages would
// only fail later, in the backend's mmap, where the failure would cost every client of the device.
import { constants, readFileSync } from 'node:fs';
import { pvError } from '../../shared/errors.js';
import * as native from '../../shared/native/index.js';
import { PAGE } from '../../shared/shm.js';

/** Linux's mask of the access-mode bits in the file status flags (Node's fs.constants has no O_ACCMODE). */
const O_ACCMODE = 0o3;

/** The open file's access mode (O_RDONLY / O_WRONLY / O_RDWR), as fcntl(F_GETFL) gives it, from procfs. */
function accessMode(fd: number): number {
  const m = /^flags:\s*([0-7]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
  if (!m) throw pvError('EIO', `no flags in /proc/self/fdinfo/${fd}`);
  return parseInt(m[1]!, 8) & O_ACCMODE;
}

/** Checks an fd to import; returns its size in bytes. EINVAL for what is no buffer, EACCES for what is not writable. */
export function checkImport(fd: number): number {
  if (!native.isMemfd(fd)) throw pvError('EINVAL', 'only memfds can be imported');
  if (accessMode(fd) !== constants.O_RDWR) throw pvError('EACCES', 'the memfd was opened read-only (or write-only): a buffer must be readable and writable');
  const seals = native.getSeals(fd);
  if (seals & (native.SEAL.WRITE | native.SEAL.FUTURE_WRITE)) throw pvError('EACCES', 'the memfd is sealed against writing');
  const size = native.fileSize(fd);
  if (size === 0 || size % PAGE !== 0) throw pvError('EINVAL', `a buffer of ${size} bytes is not a whole number of pages`);
  return size;
}
