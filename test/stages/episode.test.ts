import { describe, expect, it } from 'vitest';
import { fewShotMessages, inlineBlock, iterate, scripted } from 'pauper';

describe('multi-turn episodes', () => {
  it('accumulates the conversation across act() calls and records the transcript and steps', async () => {
    const provider = scripted((request) => `reply to ${request.messages.at(-1)?.content} after ${request.messages.length - 1}`, {
      capabilities: { nativeN: false },
    });
    const run = await iterate({
      provider,
      tasks: ['t'],
      system: 'You play a game.',
      rollout: async ({ act }) => {
        const first = await act('turn 1', { position: 0 });
        const second = await act('turn 2', { position: 1 });
        return { score: first.length + second.length, info: { turns: 2 } };
      },
      samples: 2,
      iterations: 0,
    });
    const trajectory = run.trajectories[0]!;
    expect(trajectory.ok).toBe(true);
    expect(trajectory.steps).toEqual([
      { message: 'turn 1', reply: 'reply to turn 1 after 1', info: { position: 0 } },
      { message: 'turn 2', reply: 'reply to turn 2 after 3', info: { position: 1 } },
    ]);
    expect(trajectory.turns.map((turn) => turn.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
    expect(trajectory.text).toBe('reply to turn 2 after 3');
    expect(trajectory.usage.requests).toBe(2);
    // Each act() is one request with the conversation so far: 2 episodes x 2 turns.
    expect(provider.calls).toHaveLength(4);
    const secondTurns = provider.calls.filter((call) => call.request.messages.length > 2);
    expect(secondTurns).toHaveLength(2);
    expect(secondTurns[0]?.request.messages.map((message) => message.role)).toEqual(['system', 'user', 'assistant', 'user']);
  });

  it('folds kept episodes as whole prior conversations or as transcripts', async () => {
    for (const [fold, expectTranscript] of [[fewShotMessages(), false], [inlineBlock(), true]] as const) {
      const provider = scripted(['R'], { capabilities: { nativeN: false } });
      await iterate({
        provider,
        tasks: ['maze'],
        fold,
        rollout: async ({ act }) => {
          await act('view A');
          await act('view B');
          return 1;
        },
        samples: 1,
        iterations: 1,
        keep: 1,
      });
      const later = provider.calls.at(-2)!.request;
      if (expectTranscript) {
        expect(later.messages[0]?.content).toContain('User: view A\nAssistant: R\nUser: view B\nAssistant: R');
      } else {
        expect(later.messages.slice(0, 4).map((message) => message.content)).toEqual(['view A', 'R', 'view B', 'R']);
      }
    }
  });

  it('records a rollout that throws and a request that fails inside act()', async () => {
    let calls = 0;
    const provider = scripted(() => (++calls === 1 ? new Error('503 overloaded') : 'ok'), { capabilities: { nativeN: false } });
    const run = await iterate({
      provider,
      tasks: ['t'],
      rollout: async ({ act, index }) => {
        if (index === 1) throw new Error('environment crashed');
        await act('go');
        return 1;
      },
      samples: 2,
      iterations: 0,
      concurrency: 1,
    });
    expect(run.trajectories[0]).toMatchObject({ ok: false, failure: { stage: 'request', message: '503 overloaded' } });
    expect(run.trajectories[1]).toMatchObject({ ok: false, failure: { stage: 'rollout', message: 'environment crashed' } });
  });

  it('counts an episode that recovers from a failed turn as no failure, and one that rethrows it as one', async () => {
    let calls = 0;
    const provider = scripted(() => (++calls === 1 ? new Error('503 overloaded') : 'R'), { capabilities: { nativeN: false } });
    const recovered = await iterate({
      provider,
      tasks: ['maze'],
      rollout: async ({ act }) => {
        const reply = await act('move?').catch(() => act('move? (again)'));
        return reply === 'R' ? 1 : 0;
      },
      samples: 1,
      iterations: 0,
      maxErrors: 0,
    });
    expect(recovered.trajectories[0]).toMatchObject({ ok: true, reward: 1 });

    calls = 0;
    const rethrown = iterate({
      provider,
      tasks: ['maze'],
      rollout: async ({ act }) => {
        await act('move?').catch((error: unknown) => {
          throw new Error('episode aborted', { cause: error });
        });
        return 1;
      },
      samples: 2,
      iterations: 0,
      concurrency: 1,
      maxErrors: 1,
    });
    const result = await rethrown;
    expect(result.trajectories.map((trajectory) => trajectory.ok)).toEqual([false, true]);
    expect(result.trajectories[0]).toMatchObject({ failure: { stage: 'rollout', message: 'episode aborted' } });
  });

  it('gives each episode its own seeded RNG, the same on every run', async () => {
    const draws = async () => {
      const seen: number[] = [];
      await iterate({ provider: scripted(['x']), tasks: ['t'], rollout: ({ rng }) => (seen.push(rng()), 1), samples: 3, iterations: 0, seed: 4 });
      return seen;
    };
    const first = await draws();
    expect(new Set(first).size).toBe(3);
    expect(await draws()).toEqual(first);
  });
});
