import type { Middleware } from '@anthropic-ai/sdk';
import type { OpenAI } from 'openai';
import { ConfigError } from '../../core/errors.js';
import type { Pacing } from './pacing.js';
import { pacedFetch } from './response-headers.js';

// Every provider's credential handling: which secrets its errors must never show, and how
// the credentials each request really carried are recorded (they may exist nowhere else).

/** Request headers that carry credentials on the OpenAI, Azure OpenAI and Anthropic wires. */
const CREDENTIAL_HEADERS = ['authorization', 'x-api-key', 'api-key'] as const;

/** The secrets one provider's errors must never show, listed when an error is built; see `createSecrets`. */
export type Secrets = () => readonly string[];

/**
 * The secrets of a provider: the keys it was given and, for a client the user
 * built, the string credentials that client holds when an error is built
 * (`apiKey`, `authToken`). They are read late on purpose: an `apiKey` function
 * or an Azure AD token provider fills `client.apiKey` only at the first request.
 * What each request really sent is added per request (`requestCredentials`).
 */
export function createSecrets(known: readonly (string | undefined)[], client?: object): Secrets {
  const fixed = known.filter((key): key is string => typeof key === 'string' && key.trim() !== '');
  if (client === undefined) return () => fixed;
  return () => {
    const held = [(client as { apiKey?: unknown }).apiKey, (client as { authToken?: unknown }).authToken];
    return [...fixed, ...held.filter((value): value is string => typeof value === 'string' && value.trim() !== '')];
  };
}

/**
 * The error of a request made without an API key, naming what to pass or set. Raised at the
 * first request (before anything is sent), not when the provider is built: a provider without
 * a key still serves `estimate()`.
 */
export function missingKey(envKey: string | undefined): ConfigError {
  const where = envKey === undefined ? '' : `, set ${envKey}`;
  return new ConfigError('apiKey', undefined, `an API key: pass \`apiKey\`${where} or pass \`client\``);
}

/**
 * The credentials one request carries, gathered from its headers as it is sent (every
 * attempt): they are the surest secrets to scrub from that request's errors, and they
 * are forgotten with the request.
 */
export function requestCredentials(): { readonly values: string[]; readonly observe: (headers: unknown) => void } {
  const values: string[] = [];
  return {
    values,
    observe: (headers) => {
      for (const name of CREDENTIAL_HEADERS) {
        const value = headerValue(headers, name);
        if (value === undefined || values.includes(value)) continue;
        values.push(value);
        const bearer = /^bearer\s+(.+)$/i.exec(value.trim());
        if (bearer?.[1] !== undefined) values.push(bearer[1]);
      }
    },
  };
}

function headerValue(headers: unknown, name: string): string | undefined {
  if (typeof headers !== 'object' || headers === null) return undefined;
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name && typeof value === 'string') return value;
  }
  return undefined;
}

/** Per-request Anthropic SDK middleware that records the credential headers a request is sent with. */
export function recordCredentials(observe: (headers: unknown) => void): Middleware {
  return (request, next) => {
    observe(request.headers);
    return next(request);
  };
}

/** The credentials one request carried, gathered while it runs; `end` forgets them. */
export interface RequestTag {
  /** Request headers that let the client's fetch know the request (removed before sending). */
  readonly headers: Readonly<Record<string, string>>;
  readonly values: readonly string[];
  readonly end: () => void;
}

const requestTagHeader = 'x-pauper-request';

/**
 * A copy of a user's OpenAI SDK client (`withOptions`) whose fetch records the credentials
 * each request really carries: an `apiKey` function or an Azure AD token provider may
 * mint one per request, and the client holds only the latest, so a request still in
 * flight could echo one no longer there; with `pacing`, it also hands each response's headers
 * to it. `undefined` for an object that cannot be copied.
 */
export function recordingCopy(client: object, pacing?: Pacing): { sdk: OpenAI; tag: () => RequestTag } | undefined {
  const source = client as { withOptions?: unknown; fetch?: unknown };
  if (typeof source.withOptions !== 'function' || typeof source.fetch !== 'function') return undefined;
  // Only the plain OpenAI class copies faithfully: an AzureOpenAI copy loses its deployment.
  if (Object.getPrototypeOf(client)?.constructor?.name !== 'OpenAI') return undefined;
  // The copy's fetch also hands the response headers to the transport's pacing.
  const inner = pacing === undefined ? (source.fetch as typeof fetch) : pacedFetch(pacing, source.fetch as typeof fetch);
  const open = new Map<string, string[]>();
  const recordingFetch: typeof fetch = (input, init) => {
    const headers = new Headers(init?.headers);
    const id = headers.get(requestTagHeader);
    if (id === null) return inner(input, init);
    headers.delete(requestTagHeader);
    const sent = requestCredentials();
    sent.observe(headers);
    open.get(id)?.push(...sent.values);
    return inner(input, { ...init, headers });
  };
  let sdk: OpenAI;
  try {
    sdk = (source.withOptions as (options: object) => OpenAI).call(client, { fetch: recordingFetch });
  } catch {
    return undefined;
  }
  let next = 0;
  return {
    sdk,
    tag: () => {
      const id = String(++next);
      const values: string[] = [];
      open.set(id, values);
      return { headers: { [requestTagHeader]: id }, values, end: () => open.delete(id) };
    },
  };
}
