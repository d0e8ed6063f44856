/**
 * Picks the demo's model from environment variables. The environment is a
 * parameter, so the choice is testable without touching `process.env`.
 */
import {
  anthropic,
  inContextLearner,
  openai,
  openaiCompatible,
  type InContextLearnerOptions,
  type Provider,
} from 'pauper';
import { pointToDemo } from './run-directly.js';

/** The model the demo will use, and one line saying what it is. */
export interface ProviderChoice {
  readonly provider: Provider;
  readonly kind: ProviderKind;
  /** One line, under 80 columns for the offline learner. */
  readonly description: string;
}

/** Which provider the environment picked. */
export type ProviderKind = 'openai' | 'anthropic' | 'openai-compatible' | 'offline';

/** Models used when `PAUPER_MODEL` is unset: small, cheap and good enough for the maze. */
export const DEFAULT_OPENAI_MODEL = 'gpt-4.1-mini';
export const DEFAULT_ANTHROPIC_MODEL = 'claude-haiku-4-5';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * `PAUPER_PROVIDER` if set, else the first of: `OPENAI_BASE_URL` (a local
 * server, so it wins over a key that may be a placeholder), `OPENAI_API_KEY`,
 * `ANTHROPIC_API_KEY`; with none, the offline in-context learner.
 * `PAUPER_MODEL` names the model. Throws an `Error` saying what to set.
 */
export function providerFromEnv(env: Env, offline: InContextLearnerOptions): ProviderChoice {
  const kind = pickKind(env);
  const model = nonEmpty(env.PAUPER_MODEL);
  const openaiKey = nonEmpty(env.OPENAI_API_KEY);
  switch (kind) {
    case 'openai-compatible': {
      const baseURL = nonEmpty(env.OPENAI_BASE_URL);
      if (baseURL === undefined) throw new Error('PAUPER_PROVIDER=openai-compatible needs OPENAI_BASE_URL, e.g. http://localhost:8000/v1.');
      if (model === undefined) {
        throw new Error(
          `OPENAI_BASE_URL is set (${baseURL}), so the demo talks to an OpenAI-compatible server; ` +
            'set PAUPER_MODEL to the model it serves, e.g. PAUPER_MODEL=Qwen/Qwen3-8B.',
        );
      }
      return {
        kind,
        provider: openaiCompatible({ baseURL, model, ...(openaiKey === undefined ? {} : { apiKey: openaiKey }) }),
        description: `Model: ${model} on the OpenAI-compatible server at ${baseURL}`,
      };
    }
    case 'openai': {
      if (openaiKey === undefined) throw new Error('PAUPER_PROVIDER=openai needs OPENAI_API_KEY.');
      const name = model ?? DEFAULT_OPENAI_MODEL;
      return { kind, provider: openai({ model: name, apiKey: openaiKey }), description: `Model: OpenAI ${name}` };
    }
    case 'anthropic': {
      const apiKey = nonEmpty(env.ANTHROPIC_API_KEY);
      if (apiKey === undefined) throw new Error('PAUPER_PROVIDER=anthropic needs ANTHROPIC_API_KEY.');
      const name = model ?? DEFAULT_ANTHROPIC_MODEL;
      return { kind, provider: anthropic({ model: name, apiKey }), description: `Model: Anthropic ${name}` };
    }
    case 'offline':
      return {
        kind,
        provider: inContextLearner(offline),
        description: 'No API key: an n-gram stand-in, not an LLM; it learns only from prompt examples',
      };
  }
}

function pickKind(env: Env): ProviderKind {
  const forced = nonEmpty(env.PAUPER_PROVIDER);
  if (forced !== undefined) {
    if (forced === 'openai' || forced === 'anthropic' || forced === 'openai-compatible' || forced === 'offline') return forced;
    throw new Error(`PAUPER_PROVIDER must be openai, anthropic, openai-compatible or offline, got ${JSON.stringify(forced)}.`);
  }
  if (nonEmpty(env.OPENAI_BASE_URL) !== undefined) return 'openai-compatible';
  if (nonEmpty(env.OPENAI_API_KEY) !== undefined) return 'openai';
  if (nonEmpty(env.ANTHROPIC_API_KEY) !== undefined) return 'anthropic';
  return 'offline';
}

/** An unset or blank variable is absent. */
function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

pointToDemo(import.meta.url, "provider-from-env.ts picks the demo's model from environment variables.");
