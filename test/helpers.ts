import type { Example } from 'pauper';
import { zeroUsage } from 'pauper';

/** A scored trajectory with only the fields a test cares about set. */
export function example(
  fields: Partial<Example<string, string, unknown>> & { reward: number },
): Example<string, string, unknown> {
  const iteration = fields.iteration ?? 0;
  const taskIndex = fields.taskIndex ?? 0;
  const index = fields.index ?? 0;
  const text = fields.text ?? `answer ${fields.reward}`;
  const task = fields.task ?? `task ${taskIndex}`;
  return {
    id: `train/${iteration}/${taskIndex}/${index}`,
    split: 'train',
    iteration,
    taskIndex,
    taskId: fields.taskId ?? `train/${taskIndex}`,
    index,
    task,
    prompt: [],
    turns: fields.turns ?? [
      { role: 'user', content: task },
      { role: 'assistant', content: text },
    ],
    text,
    steps: [],
    usage: zeroUsage,
    costUsd: 0,
    latencyMs: 0,
    seed: 0,
    ok: true,
    output: text,
    info: undefined,
    ...fields,
  };
}
