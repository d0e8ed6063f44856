// bench/RESULTS.md from the benches' results files: which benches feed it (`benches`), reading
// their files without failing on a missing or broken one (`readResults`), and the page itself
// (`renderResults`, pure, so test/bench/results-md.test.ts can check it on fixtures).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The sections of RESULTS.md, in order, each fed by one bench. */
export type BenchKey = 'overhead' | 'ideal' | 'ax' | 'tokens' | 'scale' | 'pacing';

/** One bench that feeds RESULTS.md. Paths are relative to the repository root. */
export interface BenchSpec {
  readonly key: BenchKey;
  readonly title: string;
  /** The script `npm run bench` runs, in a fresh process. */
  readonly script: string;
  /** The results file it writes (committed). */
  readonly file: string;
  /** The exact command that reruns this bench alone, from the repository root. */
  readonly command: string;
  /** Under `--quick`: run the script with `--quick`, or read its committed results (a slow bench). */
  readonly quick: 'run' | 'read';
  /** A path that must exist to run the script, and what to do when it does not. */
  readonly requires?: { readonly path: string; readonly hint: string };
  /** Where a figure misses its target: why, with the evidence (kept here, so a rerun does not lose it). */
  readonly missed?: readonly string[];
  /** Where the targets are met: which, with the figures and what met them (kept here too). */
  readonly met?: readonly string[];
}

/** The benches of RESULTS.md. */
export const benches: readonly BenchSpec[] = [
  {
    key: 'overhead',
    title: '1. pauper against the hand-written loop',
    script: 'bench/overhead.ts',
    file: 'bench/overhead-results.json',
    command: 'npm run bench:overhead',
    quick: 'read',
    missed: [
      'Target: 1.05× on both shapes. Measured on 2026-12-03 (evening): native `n` 1.09× and 1.11× in the two passes after ' +
        'the fourth round of work on it (1.11× to 1.15× in the four passes before, 1.21× to 1.31× earlier that day), one request per ' +
        'sample 1.06× and 1.07×. The third column answers how much of that is the result pauper returns: the same hand-written loop ' +
        'keeping what pauper\'s result holds (each trajectory, its turns, the reward\'s sample and context) costs 0.4% to 6% more than ' +
        'the one that keeps nothing, and pauper is 1.05× and 1.08× it for native `n`, 1.03× and 1.07× for one request per sample. ' +
        'Where the rest goes, from a `fetch` that marks each request and response (four probes of 21 runs a side): 0.06 to 0.21 ' +
        'ms more of scoring per 64-sample response (1% to 4% of a native-`n` run, the largest item); per round 0.2 to 0.4 ms ' +
        'more from the first request handed to the provider to the first `fetch` call, and 0.4 to 0.5 ms more from a round\'s ' +
        'last response to the next round\'s first request. Marked inside a copy of `dist/` in the same loop with an in-process ' +
        '`fetch` (no server), that boundary is statistics 67 µs, selection 37 µs, the iteration\'s result 37 µs and the next ' +
        'prompts and request plans 160 µs. A CPU profile of that loop (200 runs): pauper\'s own code 6.4 ms a run against about ' +
        '1.7 ms for the hand loop, over some forty functions (the largest, `splitStats`, 0.5 ms, of which V8\'s sort of 512 ' +
        'rewards is 20 µs a call), and 1 ms more of garbage collection. Per request, pauper\'s provider and transport add 21 µs ' +
        'to the SDK\'s own work, 7 µs of it before the request goes out (2,000 rounds of 8 requests of 64 choices through an ' +
        'in-process `fetch`). Sequential requests over HTTP show more: 200 µs at `n` = 64 (11 µs at `n` = 1) in this pass\'s ' +
        'probe, 100 to 170 µs in earlier ones; what the difference is, I have not found. `npm run bench:per-sample`: the hand loop 1.19 µs of CPU and 437 bytes allocated ' +
        'a sample, keeping what pauper\'s result holds 1.86 µs and 886 bytes, pauper 2.61 µs and 1,171 bytes. The forced GC ' +
        'before each run costs pauper 2% to 5% more than the hand loop (probes without it: 1.04× to 1.10×). Fixed in this round: ' +
        'the optional SDK was imported once per provider (0.4 ms a run under tsx\'s loader, up to 5 ms), now once per process; ' +
        'the prompt-cache key of a prefix was hashed once per prompt (Anthropic: once per request), now once per prefix.',
    ],
  },
  {
    key: 'ideal',
    title: '2. Overhead against the latency-bound ideal',
    script: 'bench/ideal.ts',
    file: 'bench/ideal-results.json',
    command: 'npm run bench:ideal',
    quick: 'run',
    missed: [
      'Target: 1.05× of the ideal in process. One request per sample meets it (1.04×; the bare loop 1.02× to 1.03×). For native `n` ' +
        'the target is below what this machine allows: the bare p-limit + `setTimeout` loop, with no library at all, is 1.07× ' +
        'to 1.09× the ideal in every pass (a timer fires late on a busy 2-core machine, and each round waits for its slowest ' +
        'request). Against that floor pauper is 1.06× in the pass above and 1.06× to 1.12× over the four passes before it; probes of ' +
        'the same loop give 1.08× to 1.12× with a forced GC before each run, as here, and 1.05× to 1.08× without (earlier the same ' +
        'day pauper was 1.22× to 1.29× of the ideal against the floor\'s 1.06× to 1.08×). In process every round\'s 8 answers of 64 ' +
        'come back on one timer tick and are scored one after another before the next round starts, so the round waits for ' +
        'pauper\'s CPU per sample, which section 1 breaks down. Over HTTP the floor is plain `fetch` to a server in the same ' +
        'process, far above the ideal: that floor, not the ideal, is what this machine allows; pauper is 1.19× to 1.33× it over the ' +
        'passes of that day, both shapes (1.20× and 1.21× in the pass above).',
    ],
  },
  {
    key: 'ax',
    title: "3. Beside Ax's AxBootstrapFewShot",
    script: 'bench/peers/ax.ts',
    file: 'bench/peers/ax-results.json',
    command: 'npm run bench:ax',
    quick: 'run',
    requires: { path: 'bench/peers/node_modules/@ax-llm/ax', hint: 'install the peers once: cd bench/peers && npm ci' },
  },
  { key: 'tokens', title: '4. Requests and prompt tokens per sample; the prompt cache', script: 'bench/tokens.ts', file: 'bench/tokens-results.json', command: 'npm run bench:tokens', quick: 'run' },
  {
    key: 'scale',
    title: '5. Scale',
    script: 'bench/scale.ts',
    file: 'bench/scale-results.json',
    command: 'npm run bench:scale',
    quick: 'read',
    met: [
      'one iteration of 1,000,000 samples with selection and the journal under 2 GB of peak RSS (1,122 MB with the trajectories ' +
        "kept and a journal, 227 MB with `trajectories: 'journal'`), under 1 KB of RSS per sample without a journal (676 B), and the " +
        'resume of that 1,000,000-sample journal, 254 MB of peak RSS; the pass before on the same day gave 1,058 MB, 225 MB, 699 B ' +
        'and 255 MB. The resume peaked at 2,641 MB when it parsed the whole journal into memory (about 1.2 KB of heap a sample); it ' +
        "now indexes where each task's records lie in one pass (a few bytes a sample) and reads a task's records by byte offset when " +
        'the task starts. Journaling costs 36 to 42 µs a sample at 1M over the two passes (it was 68): records are built as one ' +
        'literal each instead of spreads.',
    ],
  },
  { key: 'pacing', title: 'Pacing from rate-limit headers', script: 'bench/pacing.ts', file: 'bench/pacing-results.json', command: 'npm run bench:pacing', quick: 'read' },
];

/** What became of a bench in this pass. */
export type BenchStatus =
  | { readonly kind: 'ran' }
  | { readonly kind: 'read'; readonly why: string }
  | { readonly kind: 'failed'; readonly why: string };

/** A bench's results as RESULTS.md sees them: the parsed file, or why there is none. */
export interface LoadedResults {
  readonly spec: BenchSpec;
  readonly status: BenchStatus;
  /** The parsed results file; `undefined` when it is missing or not JSON (`problem` says which). */
  readonly data: unknown;
  readonly problem?: string;
}

/** Reads each bench's results file under `root`; a missing or unreadable file becomes a `problem`, never a throw. */
export function readResults(root: string, statuses: ReadonlyMap<BenchKey, BenchStatus>, specs: readonly BenchSpec[] = benches): LoadedResults[] {
  return specs.map((spec) => {
    const status = statuses.get(spec.key) ?? { kind: 'read', why: 'not run in this pass' };
    let text: string;
    try {
      text = readFileSync(join(root, spec.file), 'utf8');
    } catch {
      return { spec, status, data: undefined, problem: `\`${spec.file}\` does not exist: run \`${spec.command}\`.` };
    }
    try {
      return { spec, status, data: JSON.parse(text) as unknown };
    } catch (error) {
      return { spec, status, data: undefined, problem: `\`${spec.file}\` is not JSON (${(error as Error).message}): run \`${spec.command}\` again.` };
    }
  });
}

/** The machine a pass ran on. */
export interface Machine {
  readonly cpuModel: string;
  readonly cpus: number;
  readonly memoryGb: number;
  readonly freeMemoryGb: number;
  readonly node: string;
  readonly platform: string;
}

/** Everything RESULTS.md says. */
export interface ResultsInput {
  /** ISO date of the pass. */
  readonly date: string;
  /** The command that made this pass. */
  readonly command: string;
  readonly quick: boolean;
  readonly machine: Machine;
  /** `os.loadavg()` before the first bench and after the last. */
  /** `undefined` when nothing ran (`--render`): each section says when its figures were measured. */
  readonly loadBefore: readonly number[] | undefined;
  readonly loadAfter: readonly number[] | undefined;
  readonly results: readonly LoadedResults[];
}

/** A timed quantity as the benches write it (bench/lib/figures.ts). */
interface Figure {
  readonly medianMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  readonly runsMs: readonly number[];
}

type Data = Readonly<Record<string, unknown>>;

/** RESULTS.md for one pass. */
export function renderResults(input: ResultsInput): string {
  const { machine } = input;
  const lines: string[] = [
    '# Benchmark results',
    '',
    'Written by `npm run bench` (`bench/run.ts`); do not edit by hand. Rerun everything with `npm run bench`',
    '(a fast pass: `npm run bench -- --quick`, which reruns the quick benches and reads the slow ones\' committed',
    "results). Section 3 needs the peer package once: `cd bench/peers && npm ci`. Each figure is the median of its",
    'runs with min–max and n; a shared machine under load moves absolute times, so read the ratios.',
    '',
    `- date: ${input.date}${input.quick ? ' (quick pass)' : ''}`,
    `- command: \`${input.command}\``,
    `- machine: ${machine.cpus} × ${machine.cpuModel}, ${fixed(machine.memoryGb, 1)} GB memory (${fixed(machine.freeMemoryGb, 1)} GB free at the start), ${machine.platform}, Node ${machine.node}`,
    input.loadBefore === undefined || input.loadAfter === undefined
      ? '- load: not measured in this pass (rendered from the results files; each section says when it was measured)'
      : `- load (\`os.loadavg()\`, 1/5/15 min): ${loads(input.loadBefore)} before, ${loads(input.loadAfter)} after`,
    '',
  ];
  for (const loaded of input.results) lines.push(...section(loaded), '');
  return `${lines.join('\n').trimEnd()}\n`;
}

function section(loaded: LoadedResults): string[] {
  const { spec } = loaded;
  const lines = [`## ${spec.title}`, '', provenance(loaded), ''];
  if (loaded.data === undefined || typeof loaded.data !== 'object' || loaded.data === null) {
    lines.push(`No results: ${loaded.problem ?? `\`${spec.file}\` holds no object.`}`);
    return lines;
  }
  const data = loaded.data as Data;
  const body = renderers[spec.key](data);
  lines.push(...body);
  const notes = data.notes;
  for (const note of typeof notes === 'string' ? [notes] : Array.isArray(notes) ? notes : []) lines.push('', String(note));
  for (const why of spec.missed ?? []) lines.push('', `Where a target is missed: ${why}`);
  for (const how of spec.met ?? []) lines.push('', `Targets met: ${how}`);
  return lines;
}

function provenance({ spec, status, data }: LoadedResults): string {
  const file = (data ?? {}) as Data;
  const when = data === undefined ? 'no results' : typeof file.date === 'string' ? `measured ${file.date}` : 'the file records no date';
  const nodeVersion = typeof file.node === 'string' ? `, Node ${file.node}` : '';
  const what =
    status.kind === 'ran' ? 'Ran in this pass' : status.kind === 'failed' ? `**Failed in this pass** (${status.why}); shown from the file` : `Read from the file (${status.why})`;
  return `${what}: \`${spec.file}\`, ${when}${nodeVersion}. Rerun: \`${spec.command}\`.`;
}

const renderers: Record<BenchKey, (data: Data) => string[]> = {
  overhead(data) {
    const rows: string[][] = [];
    for (const [key, label] of [
      ['nativeN', 'native `n`'],
      ['perSample', 'one request per sample'],
    ] as const) {
      const shape = data[key] as Data | undefined;
      if (!isObject(shape)) continue;
      const { pauper, hand, handKeeping } = shape;
      const ratio = isFigure(pauper) && isFigure(hand) ? pauper.medianMs / hand.medianMs : undefined;
      const keeping = isFigure(pauper) && isFigure(handKeeping) ? `${fixed(pauper.medianMs / handKeeping.medianMs, 2)}×` : '–';
      rows.push([label, figure(pauper), figure(hand), figure(handKeeping), ratio === undefined ? '–' : `${fixed(ratio, 2)}×`, keeping, target(ratio, 1.05)]);
    }
    return [
      ...(typeof data.shape === 'string' ? [`Shape: ${data.shape}.`] : []),
      ...runsLine(data),
      'The third side is the same hand-written loop keeping, per answer, what pauper\'s result holds (each trajectory, its turns,',
      'the reward\'s sample and context): the difference between the two hand-written loops is what holding the result costs.',
      '',
      ...table(
        ['shape', 'pauper', 'hand-written (p-limit + openai SDK)', 'hand-written, keeping what pauper\'s result holds', 'pauper / hand', 'pauper / hand keeping', 'target ≤ 1.05×'],
        rows,
      ),
      ...others(data, ['nativeN', 'perSample', 'plan']),
    ];
  },
  ideal(data) {
    const lines = [
      ...(typeof data.shape === 'string' ? [`Shape: ${data.shape}.`] : []),
      ...runsLine(data),
      'The ideal is the latency alone: each round, every request waits once, as many at a time as the concurrency.',
      'The floors run the same sample → score → top-4 → fold loop without pauper: in process a bare p-limit + `setTimeout` loop,',
      'over HTTP a loop of plain `fetch` calls. The loopback server runs in the bench\'s own process, so over HTTP every side',
      'also pays for the server: the `fetch` floor, not the ideal, is what this machine allows pauper over HTTP.',
      '',
    ];
    for (const [key, label] of [
      ['nativeN', 'Native `n`'],
      ['perSample', 'One request per sample'],
    ] as const) {
      const shape = data[key];
      if (!isObject(shape)) continue;
      const ideal = num(shape.idealMs);
      const inProcess = (shape.inProcess ?? {}) as Data;
      const http = (shape.http ?? {}) as Data;
      const over = (value: unknown): string => (isFigure(value) && ideal !== undefined && ideal > 0 ? `${fixed(value.medianMs / ideal, 2)}×` : '–');
      const pauperOverFetch = isFigure(http.pauper) && isFigure(http.fetch) ? `${fixed(http.pauper.medianMs / http.fetch.medianMs, 2)}×` : '–';
      lines.push(
        `${label} (${num(shape.requests) ?? '?'} requests):`,
        '',
        ...table(
          ['side', 'wall time', 'over the ideal', 'target'],
          [
            ['latency-bound ideal', ideal === undefined ? '–' : `${ms(ideal)}`, '1.00×', ''],
            ['in process: bare p-limit + setTimeout loop (floor)', figure(inProcess.bare), over(inProcess.bare), ''],
            ['in process: pauper, a 20 ms provider', figure(inProcess.pauper), over(inProcess.pauper), target(ratioOf(inProcess.pauper, ideal), 1.05)],
            ['over HTTP: plain `fetch` loop, no SDK (floor)', figure(http.fetch), over(http.fetch), ''],
            ['over HTTP: pauper, openai SDK', figure(http.pauper), over(http.pauper), `${pauperOverFetch} the fetch floor`],
          ],
        ),
        '',
      );
    }
    return [...lines, ...others(data, ['nativeN', 'perSample', 'plan'])];
  },
  ax(data) {
    const sides = isObject(data.sides) ? (data.sides as Record<string, Data>) : {};
    const speedups = isObject(data.speedupOverAx) ? (data.speedupOverAx as Data) : {};
    const rows = Object.entries(sides).map(([name, side]) => [
      String(side.label ?? name),
      figure(side.wall),
      count(side.requests),
      count(side.promptTokens),
      count(side.maxInFlight),
      name === 'ax' ? '1×' : num(speedups[name]) === undefined ? '–' : `${fixed(num(speedups[name]) ?? 0, 1)}× faster`,
    ]);
    return [
      `Ax ${String(data.axVersion ?? '(version not recorded)')}, ${count(data.modelCalls)} model calls a side, ${count(data.latencyMs)} ms latency. ${typeof data.shape === 'string' ? `Shape: ${data.shape}.` : ''}`,
      'Requests, prompt tokens (the server\'s count) and the most requests in flight are counted at the server, in the last run of each side.',
      "Ax's bootstrap awaits each call before the next (its `compileRound` walks the examples one at a time), so its wall time is",
      'about the calls times the latency; each of its prompts carries its instructions and the other examples as demonstrations.',
      'Install once with `cd bench/peers && npm ci` (its own package and lock file; the library gains no dependency).',
      '',
      ...table(['side', 'wall time', 'requests', 'prompt tokens', 'max in flight', 'against Ax'], rows),
      ...others(data, ['sides', 'speedupOverAx', 'axVersion', 'modelCalls', 'latencyMs', 'repeats', 'command']),
    ];
  },
  tokens(data) {
    const lines = typeof data.shape === 'string' ? [`Shape: ${data.shape}.`, ''] : [];
    const openai = (data.openai ?? {}) as Data;
    const shapes: [string, unknown][] = [
      ['native `n`', openai.nativeN],
      ['one request per sample', openai.perSample],
    ];
    const rows = shapes
      .filter((entry): entry is [string, Data] => isObject(entry[1]))
      .map(([label, side]) => [label, count(side.samples), count(side.requests), fixed(num(side.requestsPerSample), 2), count(side.promptTokens), fixed(num(side.promptTokensPerSample), 1)]);
    lines.push(
      'OpenAI wire, counted at the loopback server (prompt tokens as it bills them):',
      '',
      ...table(['shape', 'samples', 'requests', 'requests / sample', 'billed prompt tokens', 'prompt tokens / sample'], rows),
    );
    if (num(openai.promptTokensSaved) !== undefined) lines.push('', `Native \`n\` bills ${percent(num(openai.promptTokensSaved))} fewer prompt tokens.`);
    const iterations = Array.isArray(data.anthropic) ? (data.anthropic as Data[]) : [];
    lines.push(
      '',
      'Anthropic wire: input tokens (all of them: uncached, read and written), cache reads and writes as the loopback server reported them in its',
      "responses; the prefix check compares the bytes of every request of the iteration up to its cache breakpoint; the last column checks pauper's own usage sum:",
      '',
      ...table(
        ['iteration', 'requests', 'input tokens', 'cache read', 'cache write', 'cacheable share', 'read share', 'prefix bytes identical', "pauper's usage agrees"],
        iterations.map((row) => [
          count(row.iteration),
          count(row.requests),
          count(row.inputTokens),
          count(row.cacheReadTokens),
          count(row.cacheWriteTokens),
          percent(num(row.cacheableShare)),
          percent(num(row.cacheReadShare)),
          prefixCheck(row),
          row.pauperUsageAgrees === true ? 'yes' : row.pauperUsageAgrees === false ? '**no**' : '–',
        ]),
      ),
    );
    return [...lines, ...others(data, ['openai', 'anthropic'])];
  },
  scale(data) {
    if (Array.isArray(data.sizes) && data.sizes.some((size) => isObject(size) && isObject(size.memory))) return scaleModes(data);
    const rows = scaleRows(data);
    if (rows.length === 0) return ['The file holds no rows with a `samples` count.', ...others(data, [])];
    const known: readonly [string, string][] = [
      ['samples', 'samples'],
      ['usPerSample', 'µs / sample'],
      ['runMs', 'run'],
      ['runPeakRssMb', 'peak RSS, run (MB)'],
      ['journalMb', 'journal (MB)'],
      ['journalWriteMbPerSecond', 'journal write rate (MB/s)'],
      ['resumeMs', 'resume'],
      ['peakRssMb', 'peak RSS, with resume (MB)'],
    ];
    const extra = [...new Set(rows.flatMap((row) => Object.keys(row)))].filter(
      (key) => !known.some(([name]) => name === key) && rows.some((row) => typeof row[key] === 'number'),
    );
    const cell = (row: Data, key: string): string => {
      if (key === 'journalWriteMbPerSecond' && row[key] === undefined) {
        const journal = num(row.journalMb);
        const run = num(row.runMs);
        return journal !== undefined && run !== undefined && run > 0 ? fixed(journal / (run / 1000), 1) : '–';
      }
      const value = row[key];
      if (key.endsWith('Ms') && typeof value === 'number') return ms(value);
      return typeof value === 'number' ? count(value) : value === undefined ? '–' : String(value);
    };
    const columns = [...known.map(([key]) => key), ...extra];
    return [
      ...table(
        [...known.map(([, label]) => label), ...extra],
        rows.map((row) => columns.map((key) => cell(row, key))),
      ),
      '',
      'Targets (issue 12): one iteration of 1,000,000 samples under 2 GB peak RSS with selection and the journal on; under 1 KB a sample without a journal.',
    ];
  },
  pacing(data) {
    const results = Array.isArray(data.results) ? data.results.filter(isObject) : [];
    if (results.length === 0) return others(data, []);
    const rows = results.map((row) => [
      String(row.wire ?? '–'),
      String(row.binding ?? '–'),
      row.headers === true ? 'sent' : 'not sent',
      count(row.requests),
      count(row.rateLimited),
      `${fixed(num(row.achievedPerSecond), 1)} of ${fixed(num(row.allowedPerSecond), 1)}`,
      `${fixed(num(row.ratio), 2)}`,
    ]);
    return [
      ...(typeof data.setup === 'string' ? [`Setup: ${data.setup}.`, ''] : []),
      ...table(['wire', 'binding limit', 'rate-limit headers', 'requests', '429s', 'requests / s achieved, of allowed', 'throughput ratio'], rows),
    ];
  },
};

/** The scale file as `bench/scale.ts` writes it: per size, one row per mode (memory, with a journal, left in the journal, resume). */
function scaleModes(data: Data): string[] {
  const modes: readonly [string, string][] = [
    ['memory', 'in memory, no journal'],
    ['memoryJournal', 'in memory, with a journal'],
    ['journal', "`trajectories: 'journal'`"],
    ['resume', 'resume of that journal'],
  ];
  const rows: string[][] = [];
  for (const size of (data.sizes as unknown[]).filter(isObject)) {
    for (const [key, label] of modes) {
      const row = size[key];
      if (!isObject(row)) continue;
      rows.push([
        count(size.samples),
        label,
        fixed(num(row.usPerSample), 1),
        fixed(num(row.peakRssMb), 0),
        count(row.rssPerSampleBytes),
        row.journalMb === undefined ? '–' : fixed(num(row.journalMb), 1),
        row.journalMbPerSecond === undefined ? '–' : fixed(num(row.journalMbPerSecond), 1),
        row.journalRecordsPerSecond === undefined ? '–' : count(row.journalRecordsPerSecond),
        row.requests === undefined ? '–' : count(row.requests),
      ]);
    }
  }
  const machine = isObject(data.machine) ? data.machine : {};
  const loads = (value: unknown) => (Array.isArray(value) ? value.map((load) => fixed(num(load), 2)).join(' / ') : '–');
  return [
    ...(isObject(data.shape) ? [`Shape: ${Object.entries(data.shape).map(([key, value]) => `${key} ${String(value)}`).join(', ')}.`, ''] : []),
    `Load (1/5/15 min): ${loads(machine.loadAverageAtStart)} at the start, ${loads(machine.loadAverageAtEnd)} at the end; ${count(data.totalSeconds)} s in all.`,
    '',
    ...table(['samples', 'mode', 'µs / sample', 'peak RSS (MB)', 'RSS / sample (B)', 'journal (MB)', 'journal MB/s', 'records/s', 'requests'], rows),
  ];
}

/** Rows of a scale file: every object with a numeric `samples` field, wherever it sits. */
function scaleRows(data: unknown): Data[] {
  if (Array.isArray(data)) return data.flatMap(scaleRows);
  if (!isObject(data)) return [];
  if (typeof data.samples === 'number') return [data];
  return Object.values(data).flatMap((value) => (Array.isArray(value) || isObject(value) ? scaleRows(value) : []));
}

function prefixCheck(row: Data): string {
  const withBreakpoint = num(row.requestsWithBreakpoint) ?? 0;
  if (withBreakpoint === 0) return 'no breakpoint (no examples yet)';
  if (row.prefixIdentical === true) return `yes: ${count(withBreakpoint)} requests, ${count(row.prefixBytes)} bytes`;
  return `**no**: ${count(row.distinctPrefixes)} different prefixes among ${count(withBreakpoint)} requests`;
}

/** The file's other fields, figures and numbers alike, so nothing a bench adds goes unseen. */
function others(data: Data, shown: readonly string[]): string[] {
  const skip = new Set([...shown, 'date', 'node', 'machine', 'shape', 'command', 'notes', 'repeats']);
  const rows: string[][] = [];
  const walk = (value: unknown, path: string): void => {
    if (isFigure(value)) rows.push([path, figure(value)]);
    else if (Array.isArray(value)) {
      if (value.every((item) => typeof item !== 'object' || item === null)) rows.push([path, value.map(String).join(', ')]);
      else value.forEach((item, index) => walk(item, `${path}[${index}]`));
    } else if (isObject(value)) for (const [key, child] of Object.entries(value)) walk(child, path === '' ? key : `${path}.${key}`);
    else if (value !== undefined && value !== null) rows.push([path, typeof value === 'number' ? count(value) : String(value)]);
  };
  for (const [key, value] of Object.entries(data)) if (!skip.has(key)) walk(value, key);
  return rows.length === 0 ? [] : ['', ...table(['field', 'value'], rows.map(([path, value]) => [`\`${path}\``, value ?? '']))];
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  if (rows.length === 0) return ['(none recorded)'];
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((row) => `| ${row.join(' | ')} |`)];
}

function isObject(value: unknown): value is Data {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isFigure(value: unknown): value is Figure {
  return isObject(value) && typeof value.medianMs === 'number' && typeof value.minMs === 'number' && typeof value.maxMs === 'number' && Array.isArray(value.runsMs);
}

const num = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);

/** How many runs a side each shape's figures are the median of, after how many warm-up runs (the file's `plan`). */
function runsLine(data: Data): string[] {
  if (!isObject(data.plan)) return [];
  const plan = data.plan as Record<string, Data>;
  const of = (key: string, label: string): string | undefined => {
    const shape = plan[key];
    return isObject(shape) ? `${label} ${count(shape.repeats)} runs a side after ${count(shape.warmups)} warm-up ${num(shape.warmups) === 1 ? 'run' : 'runs'}` : undefined;
  };
  const parts = [of('nativeN', 'native `n`'), of('perSample', 'one request per sample')].filter((part) => part !== undefined);
  return parts.length === 0 ? [] : [`Medians of interleaved runs: ${parts.join('; ')}.`];
}

function ratioOf(value: unknown, ideal: number | undefined): number | undefined {
  return isFigure(value) && ideal !== undefined && ideal > 0 ? value.medianMs / ideal : undefined;
}

/** `302 ms (263–320, n = 7)`. */
function figure(value: unknown): string {
  if (!isFigure(value)) return '–';
  return `${ms(value.medianMs)} (${plain(value.minMs)}–${plain(value.maxMs)}, n = ${value.runsMs.length})`;
}

const ms = (value: number): string => `${plain(value)} ms`;
const plain = (value: number): string => (Math.abs(value) >= 100 ? Math.round(value).toLocaleString('en-US') : fixed(value, 1));
const count = (value: unknown): string => (typeof value === 'number' ? value.toLocaleString('en-US', { maximumFractionDigits: 2 }) : '–');
const fixed = (value: number | undefined, digits: number): string => (value === undefined ? '–' : value.toFixed(digits));
const percent = (value: number | undefined): string => (value === undefined ? '–' : `${Math.round(value * 100)}%`);
const loads = (values: readonly number[]): string => values.map((value) => value.toFixed(2)).join(' / ');

function target(ratio: number | undefined, limit: number): string {
  if (ratio === undefined) return '–';
  return ratio <= limit ? 'met' : `**missed** (${fixed(ratio, 2)}× > ${limit}×)`;
}
