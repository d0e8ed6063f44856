import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { fineTuningRecords, iterate, scripted, writeFineTuningJsonl, writeTrajectoriesJsonl } from 'pauper';

let directory: string;
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'pauper-export-'));
});

/** Validates a chat fine-tuning file line by line, as OpenAI's format checker would. */
async function validFineTuningFile(path: string): Promise<{ role: string; content: string }[][]> {
  const text = await readFile(path, 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  return text
    .slice(0, -1)
    .split('\n')
    .map((line, index) => {
      const record = JSON.parse(line) as { messages?: unknown };
      expect(Object.keys(record), `line ${index + 1}`).toEqual(['messages']);
      const messages = record.messages as { role: string; content: string }[];
      expect(Array.isArray(messages)).toBe(true);
      for (const message of messages) {
        expect(Object.keys(message).sort()).toEqual(['content', 'role']);
        expect(['system', 'user', 'assistant']).toContain(message.role);
        expect(typeof message.content).toBe('string');
      }
      const conversation = messages[0]?.role === 'system' ? messages.slice(1) : messages;
      expect(conversation.some((message) => message.role === 'system')).toBe(false);
      // Strictly user, assistant, user, assistant, ... ending with the assistant.
      conversation.forEach((message, position) => expect(message.role).toBe(position % 2 === 0 ? 'user' : 'assistant'));
      expect(conversation.at(-1)?.role).toBe('assistant');
      return messages;
    });
}

describe('export', () => {
  it('writes kept trajectories as chat fine-tuning JSONL without the folded few-shot examples', async () => {
    const provider = scripted((request) => `answer ${request.messages.length}`);
    const run = await iterate({
      provider,
      tasks: ['one', 'two', 'three'],
      system: 'Be brief.',
      // Longer prompts (more examples folded in) score higher.
      reward: (sample) => Number(sample.text.split(' ')[1]),
      samples: 2,
      iterations: 2,
      keep: 3,
    });
    // The final kept set came from prompts with examples folded in.
    expect(run.examples.some((example) => example.prompt.length > 2)).toBe(true);
    const path = join(directory, 'nested', 'train.jsonl');
    const summary = await writeFineTuningJsonl(path, run.examples);
    expect(summary).toEqual({ path, records: 3, skipped: 0 });
    const records = await validFineTuningFile(path);
    expect(records).toHaveLength(3);
    for (const [position, messages] of records.entries()) {
      const example = run.examples[position]!;
      expect(messages).toEqual([{ role: 'system', content: 'Be brief.' }, ...example.turns]);
    }
  });

  it('keeps every turn of a multi-turn episode, and skips failed trajectories', async () => {
    let calls = 0;
    const provider = scripted(() => `move ${calls++}`);
    const run = await iterate({
      provider,
      tasks: ['maze'],
      rollout: async ({ act, index }) => {
        await act('start');
        await act('next');
        if (index === 1) throw new Error('environment crashed');
        return 1;
      },
      samples: 2,
      iterations: 0,
    });
    const path = join(directory, 'episodes.jsonl');
    const summary = await writeFineTuningJsonl(path, run.trajectories);
    expect(summary).toMatchObject({ records: 1, skipped: 1 });
    const [messages] = await validFineTuningFile(path);
    expect(messages?.map((message) => message.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
    expect(messages?.[2]?.content).toBe('next');
  });

  it('replaces or drops the system message on request', async () => {
    const run = await iterate({ provider: scripted(['ok']), tasks: ['t'], system: 'Long prompt.', reward: () => 1, samples: 1, iterations: 0 });
    expect(fineTuningRecords(run.trajectories, { system: 'Short.' })[0]?.messages[0]).toEqual({ role: 'system', content: 'Short.' });
    expect(fineTuningRecords(run.trajectories, { system: null })[0]?.messages.map((message) => message.role)).toEqual(['user', 'assistant']);
    expect(() => fineTuningRecords(run.trajectories, { system: 3 as unknown as string })).toThrow(/system/);
  });

  it('writes plain JSONL of every trajectory, failures as stage and message', async () => {
    const provider = scripted(['good', new Error('boom')], { capabilities: { nativeN: false } });
    const run = await iterate({ provider, tasks: ['t'], reward: () => 1, samples: 2, iterations: 0 });
    const path = join(directory, 'all.jsonl');
    await writeTrajectoriesJsonl(path, run.trajectories);
    const lines = (await readFile(path, 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toHaveLength(2);
    expect(lines.map((line) => line.id)).toEqual(run.trajectories.map((trajectory) => trajectory.id));
    expect(lines.find((line) => line.ok === false)?.failure).toEqual({ stage: 'request', message: 'boom' });
    expect(lines.find((line) => line.ok === true)).toMatchObject({ text: 'good', reward: 1, task: 't' });
  });
});
