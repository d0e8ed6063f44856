import { createHash } from 'node:crypto';

/**
 * JSON with object keys sorted at every level, so equal values give equal
 * text whatever order their keys were written in. `undefined` fields are left
 * out, as `JSON.stringify` does.
 */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, field: unknown) => {
    if (typeof field !== 'object' || field === null || Array.isArray(field)) return field;
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(field).sort()) sorted[key] = (field as Record<string, unknown>)[key];
    return sorted;
  });
}

/** A short content hash (the first 16 hex digits of SHA-256) of a value's stable JSON. */
export function contentHash(value: unknown): string {
  return createHash('sha256')
    .update(stableJson(value) ?? 'undefined')
    .digest('hex')
    .slice(0, 16);
}
