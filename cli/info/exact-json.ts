// JSON text in which bigints are written as their exact digits: drm_info prints u64 values (a raw_value of -1 is
// 18446744073709551615, a modifier may pass 2^53) as integers, which JSON.stringify can neither take nor round-trip.
export type ExactJson = null | boolean | number | bigint | string | ExactJson[] | { [key: string]: ExactJson };

export function exactJson(value: ExactJson, indent = '  ', at = ''): string {
  if (typeof value === 'bigint') return value.toString();
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  const inner = at + indent;
  const items = Array.isArray(value) ? value.map((v) => exactJson(v, indent, inner)) : Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}: ${exactJson(v, indent, inner)}`);
  const [open, close] = Array.isArray(value) ? ['[', ']'] : ['{', '}'];
  return items.length === 0 ? open + close : `${open}\n${inner}${items.join(`,\n${inner}`)}\n${at}${close}`;
}
