// Counts taken at a loopback test server (test/servers/): requests, prompt tokens as the server
// bills them, and the most requests it held at once.
import { countTokens, type RecordedRequest, type Responder } from '../../test/servers/common.js';

/** What a server saw of one run. */
export interface ServerCounts {
  readonly requests: number;
  /** Prompt tokens summed over requests, by the servers' own count (one token per started 4 characters, +1 per message). */
  readonly promptTokens: number;
  /** The most requests the server was answering at one time. */
  readonly maxInFlight: number;
}

/**
 * Wraps a responder so the time each request's answer is produced is known: a request is in
 * flight at the server from its arrival until then (the servers send the answer right after).
 */
export function trackAnswers(inner: Responder): { readonly responder: Responder; readonly answeredAt: Map<number, number> } {
  const answeredAt = new Map<number, number>();
  return {
    answeredAt,
    responder: (context) => {
      answeredAt.set(context.requestNumber, performance.now());
      return inner(context);
    },
  };
}

/** Counts of the requests a server recorded from `from` (an index into `requests`) on. */
export function countRequests(requests: readonly RecordedRequest[], answeredAt: ReadonlyMap<number, number>, from = 0): ServerCounts {
  const slice = requests.slice(from);
  const events: [number, number][] = [];
  let promptTokens = 0;
  for (const request of slice) {
    events.push([request.receivedAt, 1], [answeredAt.get(request.number) ?? request.receivedAt, -1]);
    promptTokens += promptTokensOf(request.body);
  }
  // Ends before starts at the same instant: a request answered as another arrives is not overlap.
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let inFlight = 0;
  let maxInFlight = 0;
  for (const [, change] of events) {
    inFlight += change;
    maxInFlight = Math.max(maxInFlight, inFlight);
  }
  return { requests: slice.length, promptTokens, maxInFlight };
}

/** Prompt tokens of a Chat Completions body as the loopback OpenAI server counts them. */
export function promptTokensOf(body: unknown): number {
  const messages = (body as { messages?: unknown } | null)?.messages;
  if (!Array.isArray(messages)) return 0;
  let tokens = 0;
  for (const message of messages as { content?: unknown }[]) {
    const content = message.content;
    const text =
      typeof content === 'string'
        ? content
        : Array.isArray(content)
          ? (content as { text?: unknown }[]).map((part) => (typeof part.text === 'string' ? part.text : '')).join('')
          : '';
    tokens += countTokens(text) + 1;
  }
  return tokens;
}
