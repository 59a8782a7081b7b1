// Bounded descriptions of values a peer sent, for error messages: an error that quotes a peer's argument must stay
// small whatever the argument, or the reply carrying it could outgrow the packet limit (a 60 KB array for `width`).

/** Longest quote of a value in an error message, in characters. */
export const MAX_QUOTE = 64;
/** Longest error message sent to a peer, in characters. */
export const MAX_MESSAGE = 512;

/** A short prefix of `s`, marked when something was cut. */
export function clip(s: string, max = MAX_MESSAGE): string {
  return s.length <= max ? s : `${s.slice(0, max)}… (${s.length} characters)`;
}

/** A value as JSON, at most about MAX_QUOTE characters; binary and long containers are described by their size. */
export function quote(v: unknown): string {
  if (v instanceof Uint8Array) return `<${v.length} bytes of binary>`;
  if (Array.isArray(v) && v.length > MAX_QUOTE) return `<an array of ${v.length} elements>`;
  if (typeof v === 'string') return clip(JSON.stringify(v.slice(0, MAX_QUOTE + 1)), MAX_QUOTE);
  let s: string | undefined;
  try {
    s = JSON.stringify(v, (_k, x: unknown) => (x instanceof Uint8Array ? `<${x.length} bytes>` : typeof x === 'bigint' ? String(x) : x));
  } catch {
    s = undefined; // a cycle cannot come off the wire; anything else unprintable is named by its type
  }
  return clip(s ?? typeof v, MAX_QUOTE);
}
