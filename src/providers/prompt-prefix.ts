import type { Message } from '../core/messages.js';

/**
 * A value computed from a prompt's cached prefix (its first `cachePrefixLength` messages, all of
 * them if it has fewer; see `SampleRequest.cachePrefixLength`), remembered per messages array and
 * for the last prefix computed: the requests of one prompt share its array, and with the default
 * folder (`fewShotMessages`) the prompts of an iteration share their examples' message objects, so
 * one computation serves them all. Hashing a 6 KB prefix takes about 40 µs; with a request per
 * sample it was paid on every request. Prefixes are compared message by message, by identity: an
 * array changed since is computed again.
 */
export function prefixMemo<T>(compute: (prefix: readonly Message[]) => T): (messages: readonly Message[], cachePrefixLength: number) => T {
  interface Known {
    readonly prefix: readonly Message[];
    readonly value: T;
  }
  const byPrompt = new WeakMap<readonly Message[], Known>();
  let last: Known | undefined;
  return (messages, cachePrefixLength) => {
    // A prefix longer than the prompt is the whole prompt.
    const length = Math.min(cachePrefixLength, messages.length);
    const known = byPrompt.get(messages);
    if (known !== undefined && startsWith(messages, known.prefix, length)) return known.value;
    if (last === undefined || !startsWith(messages, last.prefix, length)) {
      const prefix = messages.slice(0, length);
      last = { prefix, value: compute(prefix) };
    }
    byPrompt.set(messages, last);
    return last.value;
  };
}

/** Whether `messages` (at least `length` long) begins with the same `length` message objects as `prefix`, which has that length. */
function startsWith(messages: readonly Message[], prefix: readonly Message[], length: number): boolean {
  if (prefix.length !== length) return false;
  for (let i = 0; i < length; i++) if (messages[i] !== prefix[i]) return false;
  return true;
}
