import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bestOfN, ConfigError, estimate, evaluate, fromFunction, iterate, loadRun, readJournal, type SampleRequest } from 'pauper';
import { summaryText } from '../../src/report/summary-text.js';
import { runPage } from '../../src/report/html.js';

// Two function providers that count their calls. The teacher always answers well; the student
// copies the last example's answer from its prompt and answers badly without one: it gains only
// what the teacher's trajectories show it.
function counted(name: string, answer: (request: SampleRequest) => string, costPerCall: number) {
  const calls: SampleRequest[] = [];
  const provider = fromFunction(
    (request) => {
      calls.push(request);
      return answer(request);
    },
    { name, model: `${name}-model`, costPerCall },
  );
  return { provider, calls };
}

const teacherAnswer = () => 'good';
/** The last assistant turn before the task (an example's answer), else a bad guess. */
const studentAnswer = (request: SampleRequest) => request.messages.filter((message) => message.role === 'assistant').at(-1)?.content ?? 'bad';
const reward = (sample: { text: string }) => (sample.text === 'good' ? 1 : 0);
const tasks = ['t1', 't2'];
const evalTasks = ['h1', 'h2', 'h3'];

describe('iterate({ teacher })', () => {
  let directory: string;
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'pauper-teacher-'));
  });
  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('samples the training tasks with the teacher and the held-out tasks with the student, whose curve rises', async () => {
    const teacher = counted('teacher', teacherAnswer, 0.01);
    const student = counted('student', studentAnswer, 0.001);
    const run = await iterate({ provider: student.provider, teacher: teacher.provider, tasks, evalTasks, reward, samples: 2, iterations: 2, keep: 1 });

    // 3 iterations × 2 tasks × 2 samples of training, 3 × 3 × 2 held out.
    expect(teacher.calls).toHaveLength(12);
    expect(student.calls).toHaveLength(18);
    expect(teacher.calls.every((request) => request.messages.at(-1)?.content.startsWith('t'))).toBe(true);
    expect(student.calls.every((request) => request.messages.at(-1)?.content.startsWith('h'))).toBe(true);
    for (const trajectory of run.trajectories) {
      expect(trajectory.sampledBy).toEqual(
        trajectory.split === 'train' ? { role: 'teacher', provider: 'teacher', model: 'teacher-model' } : { role: 'student', provider: 'student', model: 'student-model' },
      );
    }
    // The student's held-out curve: nothing to copy at the baseline, the teacher's answer after.
    expect(run.iterations.map((iteration) => iteration.eval?.mean)).toEqual([0, 1, 1]);
    expect(run.examples[0]?.sampledBy?.role).toBe('teacher');
    expect(run.byProvider).toEqual([
      { role: 'student', provider: 'student', model: 'student-model', samples: 18, usage: expect.objectContaining({ requests: 18 }), costUsd: 0.018 },
      { role: 'teacher', provider: 'teacher', model: 'teacher-model', samples: 12, usage: expect.objectContaining({ requests: 12 }), costUsd: 0.12 },
    ]);
    expect(run.costUsd).toBe(0.138);
    expect(run.iterations[0]?.byProvider.map((spend) => [spend.role, spend.samples])).toEqual([
      ['student', 6],
      ['teacher', 4],
    ]);
  });

  it('lets the student sample the training iterations not in teacherIterations', async () => {
    const teacher = counted('teacher', teacherAnswer, 0);
    const student = counted('student', studentAnswer, 0);
    const run = await iterate({ provider: student.provider, teacher: teacher.provider, teacherIterations: [0], tasks, reward, samples: 2, iterations: 2, keep: 1 });
    expect(teacher.calls).toHaveLength(4);
    expect(student.calls).toHaveLength(8);
    expect(run.trajectories.map((trajectory) => `${trajectory.iteration}:${trajectory.sampledBy?.role}`)).toEqual([
      ...Array(4).fill('0:teacher'),
      ...Array(4).fill('1:student'),
      ...Array(4).fill('2:student'),
    ]);
    // The student learned the teacher's answer from iteration 0's examples.
    expect(run.iterations.map((iteration) => iteration.train.mean)).toEqual([1, 1, 1]);
  });

  it('counts both providers against one budget, each at its own price', async () => {
    const teacher = counted('teacher', teacherAnswer, 0.01);
    const student = counted('student', studentAnswer, 0.001);
    // Iteration 0 costs 4 × $0.01 + 6 × $0.001 = $0.046; a second iteration would cross $0.07.
    const run = await iterate({ provider: student.provider, teacher: teacher.provider, tasks, evalTasks, reward, samples: 2, iterations: 3, keep: 1, concurrency: 1, budget: { maxCostUsd: 0.07 } });
    expect(run.stopped?.reason).toBe('maxCostUsd');
    expect(run.costUsd).not.toBeNull();
    expect(run.costUsd ?? 0).toBeLessThanOrEqual(0.07);
    // The teacher's requests were bounded at its price: had they been priced as the student's, two more would have fit.
    expect(teacher.calls.length).toBe(6);
    expect(run.costUsd).toBeCloseTo(teacher.calls.length * 0.01 + student.calls.length * 0.001, 10);
  });

  it('refuses a teacher whose price the budget needs and lacks, naming `teacher.prices`', async () => {
    const teacher = fromFunction(() => 'good', { name: 'teacher', model: 'unpriced-model' });
    const student = fromFunction(() => 'bad', { name: 'student', model: 'student-model', costPerCall: 0.001 });
    await expect(iterate({ provider: student, teacher, tasks, reward, maxOutputTokens: 8, budget: { maxCostUsd: 1 } })).rejects.toMatchObject({
      name: 'ConfigError',
      option: 'teacher.prices',
    });
  });

  it('journals which provider made each sample, and a stopped run resumes without asking either again', async () => {
    const journal = join(directory, 'teacher.jsonl');
    const options = { tasks, evalTasks, reward, samples: 2, iterations: 2, keep: 1, journal, seed: 3 };
    const whole = await iterate({ ...options, journal: join(directory, 'whole.jsonl'), provider: counted('student', studentAnswer, 0.001).provider, teacher: counted('teacher', teacherAnswer, 0.01).provider });

    const stop = new AbortController();
    const first = { teacher: counted('teacher', teacherAnswer, 0.01), student: counted('student', studentAnswer, 0.001) };
    const stopped = iterate({
      ...options,
      provider: first.student.provider,
      teacher: first.teacher.provider,
      signal: stop.signal,
      onEvent: (event) => {
        if (event.type === 'iteration-end' && event.iteration === 1) stop.abort(new Error('stopped by the test'));
      },
    });
    await expect(stopped).rejects.toThrow('stopped by the test');
    const lines = (await readFile(journal, 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    const samples = lines.filter((line) => line.type === 'sample');
    expect(samples.length).toBeGreaterThanOrEqual(20);
    expect(samples.every((line) => (line.split === 'train' ? line.sampledBy : line.sampledBy) !== undefined)).toBe(true);
    expect(samples.filter((line) => line.split === 'train').every((line) => (line.sampledBy as { role: string }).role === 'teacher')).toBe(true);

    const again = { teacher: counted('teacher', teacherAnswer, 0.01), student: counted('student', studentAnswer, 0.001) };
    const resumed = await iterate({ ...options, provider: again.student.provider, teacher: again.teacher.provider, resume: true });
    // Iterations 0 and 1 came from the journal: only iteration 2 was requested, from each its own share.
    expect(again.teacher.calls).toHaveLength(4);
    expect(again.student.calls).toHaveLength(6);
    expect(resumed.resumed?.restored).toBe(20);
    expect(resumed.trajectories.map((trajectory) => [trajectory.id, trajectory.reward, trajectory.sampledBy?.role])).toEqual(
      whole.trajectories.map((trajectory) => [trajectory.id, trajectory.reward, trajectory.sampledBy?.role]),
    );
    expect(resumed.byProvider).toEqual(whole.byProvider);
    const read = await readJournal(journal);
    expect(read.samples.get('train/0/0/0')?.sampledBy).toEqual({ role: 'teacher', provider: 'teacher', model: 'teacher-model' });
    expect(read.samples.get('eval/0/0/0')?.sampledBy).toEqual({ role: 'student', provider: 'student', model: 'student-model' });
  });

  it('refuses to resume a journal with another teacher', async () => {
    const journal = join(directory, 'other-teacher.jsonl');
    const options = { tasks, reward, samples: 1, iterations: 0, journal };
    await iterate({ ...options, provider: counted('student', studentAnswer, 0).provider, teacher: counted('teacher', teacherAnswer, 0).provider });
    await expect(
      iterate({ ...options, provider: counted('student', studentAnswer, 0).provider, teacher: counted('another', teacherAnswer, 0).provider, resume: true }),
    ).rejects.toThrow(/teacher: "teacher\/teacher-model" → "another\/another-model"/);
  });

  it('refuses a teacher that is no provider, and teacherIterations without a teacher', async () => {
    const provider = counted('student', studentAnswer, 0).provider;
    await expect(iterate({ provider, teacher: 'gpt-5' as never, tasks, reward })).rejects.toMatchObject({ option: 'teacher' });
    await expect(iterate({ provider, teacherIterations: [0], tasks, reward })).rejects.toMatchObject({ option: 'teacherIterations' });
    await expect(iterate({ provider, teacher: provider, teacherIterations: [-1], tasks, reward })).rejects.toMatchObject({ option: 'teacherIterations' });
  });

  it('estimate() refuses a teacher, saying how to estimate each share', () => {
    const provider = counted('student', studentAnswer, 0).provider;
    expect(() => estimate({ provider, teacher: counted('teacher', teacherAnswer, 0).provider, tasks, reward })).toThrow(/no `teacher` in estimate\(\), which prices one provider/);
  });

  it('evaluate() and bestOfN() refuse a teacher, saying why', async () => {
    const provider = counted('student', studentAnswer, 0).provider;
    const teacher = counted('teacher', teacherAnswer, 0).provider;
    const evaluated = evaluate({ provider, teacher, tasks, reward } as Parameters<typeof evaluate>[0]);
    await expect(evaluated).rejects.toBeInstanceOf(ConfigError);
    await expect(evaluated).rejects.toThrow(/no `teacher` in evaluate\(\): .*only iterate\(\) keeps examples/);
    await expect(bestOfN({ provider, teacher, task: 't', reward } as Parameters<typeof bestOfN>[0])).rejects.toThrow(/no `teacher` in bestOfN\(\)/);
  });
});

describe('pauper summary of a taught run', () => {
  it('names the teacher and splits usage and cost by provider', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'pauper-teacher-summary-'));
    try {
      const journal = join(directory, 'run.jsonl');
      const run = await iterate({
        provider: counted('student', studentAnswer, 0.001).provider,
        teacher: counted('teacher', teacherAnswer, 0.01).provider,
        tasks,
        evalTasks,
        reward,
        samples: 2,
        iterations: 1,
        keep: 1,
        journal,
      });
      const summary = await loadRun(journal);
      expect(summary.byProvider).toEqual(run.byProvider);
      expect(summary.costUsd).toBe(run.costUsd);
      const text = summaryText(summary);
      expect(text).toContain('iterate with student/student-model taught by teacher/teacher-model');
      expect(text).toMatch(/student\s+student\/student-model\s+12\s+12\s+.*\$0\.012/);
      expect(text).toMatch(/teacher\s+teacher\/teacher-model\s+8\s+8\s+.*\$0\.08/);
      const page = runPage(summary);
      expect(page.facts[0]).toBe('iterate() with student / student-model, taught by teacher/teacher-model');
      expect(page.tables.find((table) => table.title === 'Providers')?.rows.map((row) => [row[0], row[3], row.at(-1)])).toEqual([
        ['student', '12', '$0.0120'],
        ['teacher', '8', '$0.0800'],
      ]);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});
