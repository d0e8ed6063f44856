import { describe, expect, it } from 'vitest';
import { demoDefaults, learnerOptions, maxRequests, parseDemoArguments } from '../../examples/gold-coin-maze/config.js';
import {
  DEFAULT_ANTHROPIC_MODEL,
  DEFAULT_OPENAI_MODEL,
  providerFromEnv,
} from '../../examples/gold-coin-maze/provider-from-env.js';

// Building a provider makes no request (the SDK client is created on first use), so no network here.
const pick = (env: Record<string, string>) => providerFromEnv(env, learnerOptions('one-shot'));

describe('providerFromEnv', () => {
  it('falls back to the offline learner and says in one line that it is not an LLM', () => {
    const choice = pick({});
    expect(choice.kind).toBe('offline');
    expect(choice.provider.name).toBe('in-context-learner');
    expect(choice.description).not.toContain('\n');
    expect(choice.description.length).toBeLessThanOrEqual(80);
    expect(choice.description).toMatch(/n-gram stand-in, not an LLM; it learns only from prompt examples/);
  });

  it('uses OpenAI with OPENAI_API_KEY, gpt-4.1-mini unless PAUPER_MODEL says otherwise', () => {
    expect(pick({ OPENAI_API_KEY: 'sk-test' })).toMatchObject({ kind: 'openai', provider: { name: 'openai', model: DEFAULT_OPENAI_MODEL } });
    expect(DEFAULT_OPENAI_MODEL).toBe('gpt-4.1-mini');
    const choice = pick({ OPENAI_API_KEY: 'sk-test', PAUPER_MODEL: 'gpt-4.1' });
    expect(choice.provider.model).toBe('gpt-4.1');
    expect(choice.description).toBe('Model: OpenAI gpt-4.1');
  });

  it('uses Anthropic with ANTHROPIC_API_KEY', () => {
    expect(pick({ ANTHROPIC_API_KEY: 'sk-ant-test' })).toMatchObject({
      kind: 'anthropic',
      provider: { name: 'anthropic', model: DEFAULT_ANTHROPIC_MODEL },
    });
  });

  it('uses an OpenAI-compatible server with OPENAI_BASE_URL and PAUPER_MODEL, even when an OpenAI key is set', () => {
    const env = { OPENAI_BASE_URL: 'http://localhost:8000/v1', PAUPER_MODEL: 'Qwen/Qwen3-8B' };
    for (const choice of [pick(env), pick({ ...env, OPENAI_API_KEY: 'EMPTY', ANTHROPIC_API_KEY: 'sk-ant-test' })]) {
      expect(choice).toMatchObject({ kind: 'openai-compatible', provider: { name: 'openai-compatible', model: 'Qwen/Qwen3-8B' } });
      expect(choice.description).toBe('Model: Qwen/Qwen3-8B on the OpenAI-compatible server at http://localhost:8000/v1');
    }
  });

  it('says to set PAUPER_MODEL when OPENAI_BASE_URL comes without it', () => {
    expect(() => pick({ OPENAI_BASE_URL: 'http://localhost:11434/v1' })).toThrow(
      /OPENAI_BASE_URL is set \(http:\/\/localhost:11434\/v1\).*set PAUPER_MODEL to the model it serves/,
    );
  });

  it('prefers OpenAI over Anthropic when both keys are set, unless PAUPER_PROVIDER picks one', () => {
    const both = { OPENAI_API_KEY: 'sk-test', ANTHROPIC_API_KEY: 'sk-ant-test' };
    expect(pick(both).kind).toBe('openai');
    expect(pick({ ...both, PAUPER_PROVIDER: 'anthropic' }).kind).toBe('anthropic');
    expect(pick({ ...both, PAUPER_PROVIDER: 'offline' }).kind).toBe('offline');
  });

  it('rejects an unknown PAUPER_PROVIDER, or one whose key is missing', () => {
    expect(() => pick({ PAUPER_PROVIDER: 'gemini' })).toThrow(/PAUPER_PROVIDER must be openai, anthropic, openai-compatible or offline, got "gemini"/);
    expect(() => pick({ PAUPER_PROVIDER: 'anthropic' })).toThrow(/needs ANTHROPIC_API_KEY/);
  });

  it('treats empty variables as unset', () => {
    expect(pick({ OPENAI_API_KEY: '', OPENAI_BASE_URL: ' ', ANTHROPIC_API_KEY: '' }).kind).toBe('offline');
  });
});

describe('parseDemoArguments', () => {
  it('defaults to one-shot and leaves the numbers to the mode and model', () => {
    expect(parseDemoArguments([], {})).toStrictEqual({ mode: 'one-shot', help: false });
  });

  it('reads flags, which win over PAUPER_* variables', () => {
    const env = { PAUPER_MODE: 'turn-by-turn', PAUPER_SAMPLES: '3', PAUPER_SEED: '9' };
    expect(parseDemoArguments(['--samples', '5', '--iterations=2'], env)).toStrictEqual({
      mode: 'turn-by-turn',
      iterations: 2,
      samples: 5,
      seed: 9,
      help: false,
    });
    expect(parseDemoArguments(['--mode', 'one-shot'], env).mode).toBe('one-shot');
  });

  it('rejects a bad mode, a bad count and an unknown flag with a clear message', () => {
    expect(() => parseDemoArguments(['--mode', 'oneshot'], {})).toThrow('--mode must be one-shot or turn-by-turn, got "oneshot".');
    expect(() => parseDemoArguments(['--samples', '0'], {})).toThrow('--samples must be an integer of at least 1, got "0".');
    expect(() => parseDemoArguments(['--sample', '3'], {})).toThrow(/--sample/);
  });

  it('names the variable a bad value came from, or the flag when the flag gave it', () => {
    expect(() => parseDemoArguments([], { PAUPER_MODE: 'turnbyturn' })).toThrow(
      'PAUPER_MODE (--mode) must be one-shot or turn-by-turn, got "turnbyturn".',
    );
    expect(() => parseDemoArguments([], { PAUPER_ITERATIONS: 'many' })).toThrow(
      'PAUPER_ITERATIONS (--iterations) must be an integer of at least 0, got "many".',
    );
    expect(() => parseDemoArguments([], { PAUPER_SAMPLES: '0' })).toThrow(/^PAUPER_SAMPLES \(--samples\) must be/);
    expect(() => parseDemoArguments([], { PAUPER_SEED: '-1' })).toThrow(/^PAUPER_SEED \(--seed\) must be/);
    // The flag wins, so a bad flag is blamed even when the variable is fine, and a bad variable is ignored under a good flag.
    expect(() => parseDemoArguments(['--mode', 'x'], { PAUPER_MODE: 'one-shot' })).toThrow(/^--mode must be/);
    expect(parseDemoArguments(['--seed', '4'], { PAUPER_SEED: 'many' }).seed).toBe(4);
  });

  it('bounds the requests of a run: one per maze with native n, else one per sample or turn', () => {
    const settings = { mode: 'one-shot', iterations: 2, samples: 5, seed: 1 } as const;
    expect(maxRequests(settings, true)).toBe(6 * 3);
    expect(maxRequests(settings, false)).toBe(6 * 3 * 5);
    expect(maxRequests({ ...settings, mode: 'turn-by-turn' }, true)).toBe(6 * 3 * 5 * 12);
  });

  it('gives a real model fewer samples than the free offline learner', () => {
    expect(demoDefaults('one-shot', true).samples).toBeGreaterThan(demoDefaults('one-shot', false).samples);
    expect(demoDefaults('turn-by-turn', false).samples).toBeLessThanOrEqual(demoDefaults('one-shot', false).samples);
  });
});
