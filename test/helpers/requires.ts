// Tests that need a program from Debian (chromium, ffmpeg, the DRM tools): they run wherever it is installed, are
// required where PVDISPLAY_REQUIRE_<NAME>=1 says so (.ci/run installs them and sets it), and otherwise skip with a
// line in the test output that says what is missing and how to get it, so a skip is never silent.
import { existsSync } from 'node:fs';

export interface Requirement {
  /** What the tests need, as a person names it ("ffmpeg", "Debian's chromium"). */
  what: string;
  /** Files whose presence means it is installed. */
  files: string[];
  /** The env switch that makes its absence a failure (PVDISPLAY_REQUIRE_FFMPEG). */
  requireEnv: string;
  /** How to install it. */
  install: string;
}

/** True when the tests should run; false (after saying why on stderr) when they are skipped. */
export function wanted(r: Requirement, tests: string): boolean {
  if (r.files.every((f) => existsSync(f)) || process.env[r.requireEnv] === '1') return true;
  process.stderr.write(`skipped: ${tests}: ${r.what} is not installed (${r.install}; ${r.requireEnv}=1 makes this a failure, as in CI)\n`);
  return false;
}

export const FFMPEG: Requirement = { what: 'ffmpeg', files: ['/usr/bin/ffmpeg'], requireEnv: 'PVDISPLAY_REQUIRE_FFMPEG', install: 'apt-get install ffmpeg' };
export const CHROMIUM: Requirement = { what: "Debian's chromium", files: ['/usr/bin/chromium'], requireEnv: 'PVDISPLAY_REQUIRE_BROWSER', install: 'apt-get install chromium' };
export const VNCSNAPSHOT: Requirement = { what: "Debian's vncsnapshot", files: ['/usr/bin/vncsnapshot'], requireEnv: 'PVDISPLAY_REQUIRE_VNC', install: 'apt-get install vncsnapshot' };
