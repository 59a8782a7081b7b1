// Levelled logging to stderr: quiet by default (warnings and errors), PVDISPLAY_LOG=debug|info|warn|error|silent.
const LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
type Level = (typeof LEVELS)[number];

function threshold(): number {
  const want = (process.env.PVDISPLAY_LOG ?? 'warn').toLowerCase();
  const i = LEVELS.indexOf(want as Level);
  return i < 0 ? LEVELS.indexOf('warn') : i;
}

export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
  enabled(level: Level): boolean;
}

export function logger(scope: string): Logger {
  const min = threshold();
  const at = (level: Level) => (msg: string) => {
    if (LEVELS.indexOf(level) >= min) process.stderr.write(`[${scope}] ${level}: ${msg}\n`);
  };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    enabled: (level) => LEVELS.indexOf(level) >= min,
  };
}
