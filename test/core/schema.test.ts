import { describe, expect, it } from 'vitest';
import { iterate, ParseError, scripted } from 'pauper';
import { parseOutput } from '../../src/core/schema.js';
import { z } from 'zod';

const schema = z.object({ answer: z.number() });

describe('structured output', () => {
  it('parses JSON, unwrapping a fenced block', async () => {
    await expect(parseOutput(schema, '```json\n{"answer": 4}\n```')).resolves.toEqual({ answer: 4 });
  });

  it('throws ParseError with the validator message on a mismatch', async () => {
    const error = await parseOutput(schema, '{"answer": "four"}').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ParseError);
    expect((error as ParseError).message).toMatch(/answer: .*number/i);
  });

  it('records a parse failure as a failed sample with the validator message, and scores the rest', async () => {
    const provider = scripted(['{"answer": 4}', 'four', '{"answer": "4"}']);
    const run = await iterate({ provider, tasks: ['2+2'], schema, reward: (sample) => (sample.output.answer === 4 ? 1 : 0), samples: 3, iterations: 0 });
    const [ok, notJson, wrongType] = run.trajectories;
    expect(ok).toMatchObject({ ok: true, output: { answer: 4 }, reward: 1 });
    expect(notJson).toMatchObject({ ok: false, failure: { stage: 'parse' } });
    expect(notJson?.ok === false && notJson.failure.message).toContain('not valid JSON');
    expect(wrongType?.ok === false && wrongType.failure.message).toMatch(/schema/);
  });

  it('uses a value the provider already parsed, and a provider parse error fails the sample', async () => {
    const provider = {
      ...scripted(['x']),
      async sample() {
        return {
          completions: [{ text: 'ignored', parsed: { answer: 7 } }, { text: '{', error: 'response_format: invalid JSON' }],
          usage: { requests: 1, inputTokens: 1, cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens: 1, reasoningTokens: 0 },
          costUsd: 0,
        };
      },
    };
    const run = await iterate({ provider, tasks: ['q'], schema, reward: (sample) => sample.output.answer, samples: 2, iterations: 0 });
    expect(run.trajectories[0]).toMatchObject({ ok: true, reward: 7 });
    expect(run.trajectories[1]).toMatchObject({ ok: false, failure: { stage: 'parse', message: 'response_format: invalid JSON' } });
  });
});
