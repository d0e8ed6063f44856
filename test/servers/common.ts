import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRng } from '../../src/core/random.js';

/**
 * A scripted misbehaviour for one request.
 * - `rate-limit`: 429 with `retry-after` (seconds), `retry-after-ms` and/or an HTTP-date `retry-after`.
 * - `status`: that HTTP status with a wire-format error body (500, 529, 400, ...) and any `headers` (`x-should-retry`).
 * - `reset`: the socket is destroyed before any response.
 * - `stall`: no response for `ms` milliseconds (default: until the client gives up), then a normal one.
 * - `malformed-json`: 200 with a truncated JSON body.
 * - `fewer-choices`: a normal response with only `choices` choices (OpenAI server only).
 * - `refusal`: a refusal carrying partial `text`: Anthropic `stop_reason: 'refusal'`;
 *   OpenAI `message.refusal` set to `reason` beside the content.
 * - `no-usage`: a normal response without its `usage` field (as some proxies send).
 */
export type Fault =
  | {
      readonly kind: 'rate-limit';
      readonly retryAfterSeconds?: number;
      readonly retryAfterMs?: number;
      readonly retryAfterDate?: Date;
    }
  | {
      readonly kind: 'status';
      readonly status: number;
      readonly message?: string;
      readonly headers?: Readonly<Record<string, string>>;
    }
  | { readonly kind: 'reset' }
  | { readonly kind: 'stall'; readonly ms?: number }
  | { readonly kind: 'malformed-json' }
  | { readonly kind: 'fewer-choices'; readonly choices: number }
  | { readonly kind: 'refusal'; readonly text: string; readonly reason?: string }
  | { readonly kind: 'no-usage' };

/** Faults drawn at random (seeded) for each request. */
export interface RandomFaults {
  /** Probability in [0, 1] that a request misbehaves. */
  readonly probability: number;
  readonly seed: number;
  /** Faults to pick from, uniformly. */
  readonly kinds: readonly Fault[];
}

/** A request the server received. */
export interface RecordedRequest {
  /** 1-based arrival number. */
  readonly number: number;
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** Parsed JSON body (or the raw text when it is not JSON). */
  readonly body: unknown;
  /** `performance.now()` at arrival. */
  readonly receivedAt: number;
  /** The fault applied to it, if any. */
  readonly fault?: Fault;
}

/** A plain chat turn, flattened from either wire format. */
export interface WireMessage {
  readonly role: string;
  readonly content: string;
}

/** What a responder sees for one completion. */
export interface ResponderContext {
  readonly requestNumber: number;
  /** Index of the completion within the response (OpenAI `choices[i].index`; 0 on Anthropic). */
  readonly choiceIndex: number;
  readonly messages: readonly WireMessage[];
  /** Content of the last user message, '' when there is none. */
  readonly lastUserMessage: string;
  /** The raw request body. */
  readonly body: Readonly<Record<string, unknown>>;
}

/** Produces the text of one completion. */
export type Responder = (context: ResponderContext) => string | Promise<string>;

/** Options shared by the OpenAI and Anthropic test servers. */
export interface ServerOptions {
  /** Completion text. @default echo of the last user message and the choice index: `echo: <text> #<index>` */
  readonly responder?: Responder;
  /** Faults by request number (1-based) or computed per request. @default none */
  readonly faults?: Readonly<Record<number, Fault>> | ((requestNumber: number, body: unknown) => Fault | undefined);
  /** Seeded random faults, applied when `faults` gives none. @default none */
  readonly randomFaults?: RandomFaults;
  /** Expected API key; any other key gets `wrongKeyStatus` with the received key echoed in the message. @default any key */
  readonly apiKey?: string;
  /** Status of the answer to a wrong API key (a retryable one exercises the retry path with the key echoed). @default 401 */
  readonly wrongKeyStatus?: number;
  /** Also echo a wrong key in a response header (`x-received-key`), as a careless proxy might. @default false */
  readonly echoKeyInHeader?: boolean;
  /** Delay before every response in ms. @default 0 */
  readonly latencyMs?: number;
  /** Endpoints besides the completion endpoint (files, batches, fine-tuning jobs), tried first. @default none */
  readonly routes?: readonly Route[];
  /**
   * Decides, as a completion request arrives (before `latencyMs`), whether it is served: headers to
   * add to its response, or a 429 with them (see `rate-limits.ts`). @default every request served
   */
  readonly admit?: (body: Readonly<Record<string, unknown>>) => Admission;
}

/** What `ServerOptions.admit` decides for one request. */
export interface Admission {
  /** Answer 429 now instead of serving the request. */
  readonly limited: boolean;
  /** Headers for the response (or the 429). */
  readonly headers: Readonly<Record<string, string>>;
}

/** A request to a `Route`. */
export interface RouteRequest {
  readonly method: string;
  /** The path after the host, e.g. `/v1/files/file-1/content`. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  /** The body as received (multipart uploads included). */
  readonly raw: Buffer;
  /** The body parsed as JSON, or its text when it is not JSON. */
  readonly body: unknown;
  /** The number of this request (1-based) among all the server received. */
  readonly number: number;
}

/** What a route may use of its server: the completion endpoint's normal answer, as a batch runs it. */
export interface RouteServer {
  complete(body: Readonly<Record<string, unknown>>): Promise<HandlerResult>;
  /** An error body in the server's wire format. */
  errorBody(status: number, message: string): unknown;
}

/** An endpoint of a test server besides the completion endpoint. */
export interface Route {
  /** Whether this route answers the request (method and path). */
  matches(method: string, path: string): boolean;
  handle(request: RouteRequest, server: RouteServer): HandlerResult | Promise<HandlerResult>;
}

/** A running test server. */
export interface TestServer {
  /** Base URL to give the SDK client. */
  readonly url: string;
  /** Every request received, in arrival order. */
  readonly requests: readonly RecordedRequest[];
  /** Requests received so far. */
  readonly requestCount: number;
  /** Closes the server and every open connection. */
  close(): Promise<void>;
}

/** Default responder: `echo: <last user message> #<choice index>`. */
export const echoResponder: Responder = ({ lastUserMessage, choiceIndex }) => `echo: ${lastUserMessage} #${choiceIndex}`;

/** Deterministic token count used by both servers: one token per started 4 characters. */
export function countTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** Splits text into the servers' 4-character tokens. */
export function tokenize(text: string): string[] {
  const tokens: string[] = [];
  for (let i = 0; i < text.length; i += 4) tokens.push(text.slice(i, i + 4));
  return tokens;
}

/** What a wire-specific handler returns for a well-behaved request. */
export interface HandlerResult {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Wire-specific parts of a server. */
export interface WireFormat {
  /** Whether a path is the completion endpoint. */
  matches(path: string): boolean;
  /** The API key the client sent, from its headers. */
  apiKeyOf(headers: IncomingHttpHeaders): string | undefined;
  /** An error body in the wire format. */
  errorBody(status: number, message: string): unknown;
  /**
   * The normal response. `fault` is passed for wire-specific faults (fewer choices,
   * refusal, no usage). A 4xx result stands for the API rejecting the request.
   * `receivedAt` is when the request arrived (`performance.now()`), before any latency.
   */
  respond(
    body: Readonly<Record<string, unknown>>,
    requestNumber: number,
    fault: Fault | undefined,
    receivedAt: number,
  ): Promise<HandlerResult>;
}

/** Starts a server on 127.0.0.1 with a random port that speaks `wire` and misbehaves as scripted. */
export async function startServer(options: ServerOptions, wire: WireFormat, basePath: string): Promise<TestServer> {
  const requests: RecordedRequest[] = [];
  const rng = options.randomFaults === undefined ? undefined : createRng(options.randomFaults.seed);
  const stalls = new Set<NodeJS.Timeout>();

  const faultFor = (number: number, body: unknown): Fault | undefined => {
    const scripted = typeof options.faults === 'function' ? options.faults(number, body) : options.faults?.[number];
    if (scripted !== undefined) return scripted;
    if (options.randomFaults === undefined || rng === undefined) return undefined;
    const { probability, kinds } = options.randomFaults;
    if (rng() >= probability || kinds.length === 0) return undefined;
    return kinds[Math.floor(rng() * kinds.length)];
  };

  const send = (response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    response.writeHead(status, { 'content-type': 'application/json', ...headers });
    response.end(text);
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const receivedAt = performance.now();
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    let body: unknown = raw;
    try {
      body = JSON.parse(raw);
    } catch {
      // Recorded as text.
    }
    const number = requests.length + 1;
    const [path = '/', search = ''] = (request.url ?? '/').split('?');
    const method = request.method ?? 'GET';
    const route = options.routes?.find((candidate) => candidate.matches(method, path));
    const fault = route === undefined && wire.matches(path) ? faultFor(number, body) : undefined;
    requests.push({
      number,
      method,
      path,
      headers: request.headers,
      body,
      receivedAt: performance.now(),
      ...(fault === undefined ? {} : { fault }),
    });

    if (route === undefined && (!wire.matches(path) || method !== 'POST')) {
      send(response, 404, wire.errorBody(404, `No route ${method} ${path}`));
      return;
    }
    if (options.apiKey !== undefined) {
      const received = wire.apiKeyOf(request.headers);
      if (received !== options.apiKey) {
        // Real APIs echo (part of) the key; the library must scrub it.
        const status = options.wrongKeyStatus ?? 401;
        const echoed = options.echoKeyInHeader === true && received !== undefined ? { 'x-received-key': received } : undefined;
        send(response, status, wire.errorBody(status, `Incorrect API key provided: ${received ?? '(none)'}.`), echoed);
        return;
      }
    }
    if (route !== undefined) {
      const routeServer: RouteServer = {
        complete: (completionBody) => wire.respond(completionBody, number, undefined, performance.now()),
        errorBody: (status, message) => wire.errorBody(status, message),
      };
      const raw = Buffer.concat(chunks);
      const query = new URLSearchParams(search);
      const result = await route.handle({ method, path, query, headers: request.headers, raw, body, number }, routeServer);
      if (!response.destroyed) send(response, result.status, result.body, { ...result.headers });
      return;
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      send(response, 400, wire.errorBody(400, 'The body must be a JSON object.'));
      return;
    }
    const admission = options.admit?.(body as Record<string, unknown>);
    if (admission?.limited === true) {
      send(response, 429, wire.errorBody(429, 'Rate limit reached. Please try again later.'), { ...admission.headers });
      return;
    }
    if (options.latencyMs !== undefined && options.latencyMs > 0) await delay(options.latencyMs, stalls);

    switch (fault?.kind) {
      case 'rate-limit': {
        const headers: Record<string, string> = {};
        if (fault.retryAfterSeconds !== undefined) headers['retry-after'] = String(fault.retryAfterSeconds);
        if (fault.retryAfterDate !== undefined) headers['retry-after'] = fault.retryAfterDate.toUTCString();
        if (fault.retryAfterMs !== undefined) headers['retry-after-ms'] = String(fault.retryAfterMs);
        send(response, 429, wire.errorBody(429, 'Rate limit reached. Please try again later.'), headers);
        return;
      }
      case 'status':
        send(response, fault.status, wire.errorBody(fault.status, fault.message ?? `Scripted HTTP ${fault.status}.`), {
          ...fault.headers,
        });
        return;
      case 'reset':
        request.socket.destroy();
        return;
      case 'stall':
        if (fault.ms === undefined) {
          await new Promise<void>((resolve) => response.on('close', resolve));
          return;
        }
        await delay(fault.ms, stalls);
        if (response.destroyed || response.writableEnded) return;
        break;
      case 'malformed-json':
        send(response, 200, '{"id": "broken", "choices": [');
        return;
      default:
        break;
    }
    const result = await wire.respond(body as Record<string, unknown>, number, fault, receivedAt);
    if (!response.destroyed) send(response, result.status, result.body, { ...result.headers, ...admission?.headers });
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent && !response.destroyed) {
        send(response, 500, wire.errorBody(500, `Test server failure: ${String(error)}`));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}${basePath}`,
    requests,
    get requestCount() {
      return requests.length;
    },
    close: async () => {
      for (const handle of stalls) clearTimeout(handle);
      stalls.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

function delay(ms: number, handles: Set<NodeJS.Timeout>): Promise<void> {
  return new Promise((resolve) => {
    const handle = setTimeout(() => {
      handles.delete(handle);
      resolve();
    }, ms);
    handles.add(handle);
  });
}

/** A prompt cache keyed by exact prefixes: reports how many tokens of a prefix were seen before. */
export function createPrefixCache() {
  const seen = new Set<string>();
  return {
    /** Whether `key` was stored before; stores it. */
    lookup(key: string): boolean {
      const hit = seen.has(key);
      seen.add(key);
      return hit;
    },
  };
}

/**
 * A prompt cache like Anthropic's: an entry becomes readable only once the response
 * that wrote it is sent, so requests that arrived before then each write it again.
 */
export function createTimedPrefixCache() {
  const readableFrom = new Map<string, number>();
  return {
    /** Whether a request that arrived at `receivedAt` reads `key` from the cache. */
    hit(key: string, receivedAt: number): boolean {
      const from = readableFrom.get(key);
      return from !== undefined && from <= receivedAt;
    },
    /** Records that a response writing `key` is being sent now. */
    written(key: string): void {
      if (!readableFrom.has(key)) readableFrom.set(key, performance.now());
    },
  };
}

/** Starts servers for a test file and closes them all after each test: `afterEach(servers.closeAll)`. */
export function serverPool<Options>(start: (options: Options) => Promise<TestServer>): {
  readonly start: (options: Options) => Promise<TestServer>;
  readonly closeAll: () => Promise<void>;
} {
  const running: TestServer[] = [];
  return {
    start: async (options) => {
      const started = await start(options);
      running.push(started);
      return started;
    },
    closeAll: async () => {
      await Promise.all(running.splice(0).map((server) => server.close()));
    },
  };
}
