import { vi } from 'vitest';

/** An error shaped like the SDKs' `APIError`: numeric status and a `Headers`. */
export function httpError(status: number, headers: Record<string, string> = {}, message = `${status} scripted`): Error {
  return Object.assign(new Error(message), { status, headers: new Headers(headers) });
}

/** An attempt that fails with the given errors in turn, then resolves with 'ok'. */
export function failing(...errors: unknown[]) {
  const calls: number[] = [];
  const attempt = vi.fn(async () => {
    calls.push(Date.now());
    const error = errors[calls.length - 1];
    if (error !== undefined) throw error;
    return 'ok';
  });
  return { attempt, calls };
}
