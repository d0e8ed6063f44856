import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareRuns, inContextLearner, iterate, loadRun, scripted, writeReport } from 'pauper';
import type { SplitSummary } from 'pauper';
import { demoOptions, learnerOptions } from '../../examples/gold-coin-maze/config.js';
import type { MazeMode } from '../../examples/gold-coin-maze/loop.js';
import { renderComparison } from '../../src/report/compare-html.js';
import { embedJson } from '../../src/report/page.js';

/** Screenshots of every report opened here, for a person to look at after a run (git-ignored). */
const screenshots = fileURLToPath(new URL('../../test-output/report/', import.meta.url));

let browser: Browser;
let directory: string;
beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'pauper-html-'));
  await mkdir(screenshots, { recursive: true });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
  });
});
afterAll(async () => {
  await browser?.close();
});

/** A real offline maze run, journaled: the demo's own options with the in-context learner. */
async function mazeJournal(name: string, mode: MazeMode, iterations: number, samples: number): Promise<string> {
  const journal = join(directory, `${name}.jsonl`);
  await iterate({ ...demoOptions({ mode, iterations, samples, seed: 1 }, inContextLearner(learnerOptions(mode))), journal });
  return journal;
}

/** What a page did besides rendering: console errors, uncaught errors, dialogs and network requests. */
interface Opened {
  readonly page: Page;
  readonly errors: string[];
  readonly dialogs: string[];
  readonly requests: string[];
}

/** Opens a report from disk in a context where every network request is blocked and recorded. */
async function open(report: string, screenshot: string): Promise<Opened> {
  const context = await browser.newContext({ offline: true, viewport: { width: 1280, height: 900 } });
  const opened: Opened = { page: await context.newPage(), errors: [], dialogs: [], requests: [] };
  // The report file itself is the one load allowed; anything else is recorded and refused.
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url === pathToFileURL(report).href) return route.continue();
    opened.requests.push(url);
    return route.abort();
  });
  opened.page.on('request', (request) => {
    if (!request.url().startsWith('file:')) opened.requests.push(request.url());
  });
  opened.page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') opened.errors.push(message.text());
  });
  opened.page.on('pageerror', (error) => opened.errors.push(error.message));
  opened.page.on('dialog', (dialog) => {
    opened.dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  await opened.page.goto(pathToFileURL(report).href);
  await opened.page.waitForSelector('figure.chart canvas');
  await opened.page.screenshot({ path: join(screenshots, `${screenshot}.png`), fullPage: true });
  return opened;
}

/** The cells of the iteration table, by column name. */
async function iterationRows(page: Page): Promise<Record<string, string>[]> {
  return page.$$eval('section.table table', ([table]) => {
    const columns = [...table!.querySelectorAll('th')].map((cell) => cell.textContent ?? '');
    return [...table!.querySelectorAll('tbody tr')].map((row) =>
      Object.fromEntries([...row.querySelectorAll('td')].map((cell, index) => [columns[index], cell.textContent ?? ''])),
    );
  });
}

function expectSplitCells(row: Record<string, string>, name: string, split: SplitSummary): void {
  for (const stat of ['mean', 'median', 'p10', 'p90', 'max'] as const) {
    expect(Number(row[`${name} ${stat}`]), `${name} ${stat}`).toBeCloseTo(split[stat]!, 3);
  }
  const [low, high] = (row[`${name} 95% band`] ?? '').split(' to ').map(Number);
  expect(low).toBeCloseTo(split.band!.low, 3);
  expect(high).toBeCloseTo(split.band!.high, 3);
  expect(row[`${name} failed`]).toBe(`${split.failed} of ${split.samples}`);
}

describe('the HTML report in a real browser', () => {
  it("shows a maze run's curves, one point per iteration, and its iteration table as loadRun reads the journal, offline and without errors", async () => {
    const journal = await mazeJournal('maze', 'one-shot', 3, 6);
    const { path } = await writeReport(journal);
    const run = await loadRun(journal);
    const { page, errors, requests, dialogs } = await open(path, 'maze');
    const iterations = run.iterations.map((iteration) => iteration.iteration);
    expect(iterations).toEqual([0, 1, 2, 3]);
    const charts = await page.$$eval('figure.chart', (figures) =>
      figures.map((figure) => ({ title: figure.querySelector('figcaption')?.textContent, x: figure.dataset.x, lengths: figure.dataset.lengths })),
    );
    expect(charts.map((chart) => chart.title)).toEqual(['Training reward', 'Held-out reward', 'Failed samples', 'Tokens', 'Cost (USD)']);
    for (const chart of charts) {
      expect(JSON.parse(chart.x!), chart.title!).toEqual(iterations);
      for (const length of JSON.parse(chart.lengths!) as number[]) expect(length, chart.title!).toBe(iterations.length);
    }
    const rows = await iterationRows(page);
    expect(rows).toHaveLength(run.iterations.length);
    run.iterations.forEach((iteration, position) => {
      const row = rows[position]!;
      expect(row.iteration).toBe(String(iteration.iteration));
      expectSplitCells(row, 'train', iteration.train);
      expectSplitCells(row, 'held-out', iteration.eval!);
      expect(row['input tokens']).toBe(String(iteration.usage.inputTokens));
      expect(row['output tokens']).toBe(String(iteration.usage.outputTokens));
      expect(row.kept).toBe(String(iteration.kept.length));
      expect(row.state).toBe('complete');
    });
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    expect(dialogs).toEqual([]);
    await page.context().close();
  });

  it("opens a kept example and a multi-turn trajectory on click: its transcript, reward and the reward's info", async () => {
    const journal = await mazeJournal('turns', 'turn-by-turn', 1, 2);
    const { path } = await writeReport(journal);
    const run = await loadRun(journal);
    const { page, errors } = await open(path, 'turns-before-click');
    // The last iteration's kept examples are listed first; the first of them opens.
    const keptId = run.iterations.at(-1)!.kept[0]!;
    await page.click('#kept tbody tr:first-child');
    const kept = run.samples.get(keptId)!;
    await expect.poll(() => page.textContent('#kept .viewer h3')).toBe(keptId);
    expect(await page.textContent('#kept .viewer .facts')).toContain(`reward ${kept.reward!.toFixed(3)}`);
    expect(JSON.parse((await page.textContent('#kept .viewer pre.info'))!)).toEqual(kept.info);
    // A turn-by-turn trajectory: every turn of the episode, in order.
    const rowIds = await page.$$eval('#trajectories tbody tr td:first-child', (cells) => cells.map((cell) => cell.textContent));
    const episode = run.samples.get(rowIds[3]!)!;
    expect(episode.turns.length).toBeGreaterThan(2);
    await page.click('#trajectories tbody tr:nth-child(4)');
    await expect.poll(() => page.textContent('#trajectories .viewer h3')).toBe(episode.id);
    const turns = await page.$$eval('#trajectories .viewer .turn', (blocks) =>
      blocks.map((block) => ({ role: block.querySelector('.role')?.textContent, content: block.querySelector('pre')?.textContent })),
    );
    expect(turns).toEqual(episode.turns.map(({ role, content }) => ({ role, content })));
    await page.screenshot({ path: join(screenshots, 'turns-trajectory.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('renders markup in model output, task fields and reward info as text and runs no script', async () => {
    const payloads = ['<script>alert("script")</script>', '</script><script>alert("close")</script>', '<img src=x onerror=alert("img")>', '<!--'];
    const journal = join(directory, 'xss.jsonl');
    await iterate({
      provider: scripted(() => payloads.join(' ')),
      tasks: [{ title: payloads[0]!, note: payloads[2]! }],
      evalTasks: [],
      taskId: () => payloads[1]!,
      reward: () => ({ score: 1, info: { link: 'javascript:alert("link")', html: payloads[2]!, comment: payloads[3]! } }),
      samples: 2,
      iterations: 1,
      journal,
    });
    const { path } = await writeReport(journal);
    const { page, errors, dialogs, requests } = await open(path, 'xss');
    await page.click('#trajectories tbody tr:first-child');
    await expect.poll(() => page.textContent('#trajectories .viewer .turn:last-child pre')).toBe(payloads.join(' '));
    const [prompt] = await page.$$eval('#trajectories .viewer .turn pre', (blocks) => blocks.map((block) => block.textContent));
    expect(JSON.parse(prompt!)).toEqual({ title: payloads[0], note: payloads[2] });
    expect(await page.textContent('#trajectories .viewer .facts')).toContain(`task ${payloads[1]}`);
    expect(JSON.parse((await page.textContent('#trajectories .viewer pre.info'))!)).toEqual({
      link: 'javascript:alert("link")',
      html: payloads[2],
      comment: payloads[3],
    });
    // Only the report's own three scripts (data, uPlot, page) exist; no image was created from the data.
    expect(await page.$$eval('script', (scripts) => scripts.length)).toBe(3);
    expect(await page.$$eval('img, a', (nodes) => nodes.length)).toBe(0);
    await page.screenshot({ path: join(screenshots, 'xss-trajectory.png'), fullPage: true });
    expect(dialogs).toEqual([]);
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    await page.context().close();
  });

  it('renders a journal whose last line was cut mid-write, with a note that it was skipped', async () => {
    const journal = await mazeJournal('damaged', 'one-shot', 1, 2);
    await writeFile(journal, `${await readFile(journal, 'utf8')}{"v":2,"type":"sam`);
    const { path, warnings } = await writeReport(journal);
    expect(warnings).toHaveLength(1);
    const { page, errors } = await open(path, 'damaged');
    expect(await page.$$eval('p.note', (notes) => notes.map((note) => note.textContent))).toContain(warnings[0]);
    expect((await iterationRows(page)).map((row) => row.iteration)).toEqual(['0', '1']);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('renders a run in progress: the iterations it has, the unfinished one marked', async () => {
    const journal = await mazeJournal('full', 'one-shot', 2, 2);
    const lines = (await readFile(journal, 'utf8')).split('\n');
    // Cut inside iteration 2, after its first training sample.
    const cut = lines.findIndex((line) => line.includes('"type":"sample"') && line.includes('"iteration":2')) + 1;
    const partial = join(directory, 'in-progress.jsonl');
    await writeFile(partial, `${lines.slice(0, cut).join('\n')}\n`);
    const { path } = await writeReport(partial);
    const { page, errors } = await open(path, 'in-progress');
    expect((await iterationRows(page)).map((row) => row.state)).toEqual(['complete', 'complete', 'in progress']);
    expect(await page.textContent('p.facts')).toContain('in progress');
    expect(await page.$$eval('p.note', (notes) => notes.map((note) => note.textContent))).toContainEqual(expect.stringMatching(/still being written/));
    expect(errors).toEqual([]);
    await page.context().close();
  });
});

describe('a comparison in a real browser', () => {
  it('draws one curve per run and the difference from the baseline with its band, and tabulates what compareRuns gives', async () => {
    const journals = await Promise.all([mazeJournal('compare-a', 'one-shot', 2, 2), mazeJournal('compare-b', 'one-shot', 2, 6)]);
    const runs = await Promise.all(journals.map((journal) => loadRun(journal)));
    const comparison = compareRuns(runs);
    const path = join(directory, 'compare.html');
    await writeFile(path, renderComparison(comparison, runs));
    const { page, errors, requests, dialogs } = await open(path, 'compare');
    const charts = await page.$$eval('figure.chart', (figures) =>
      figures.map((figure) => ({ title: figure.querySelector('figcaption')?.textContent, x: figure.dataset.x, lengths: figure.dataset.lengths })),
    );
    // No trajectory viewer: each run's own report has one.
    expect(await page.$$eval('#kept, #trajectories', (sections) => sections.length)).toBe(0);
    expect(charts.map((chart) => chart.title)).toEqual(['Mean reward on the shared held-out tasks', 'B − A: difference in mean reward', 'Cost so far (USD)']);
    // x, then one series per run, each with a point per iteration.
    expect(JSON.parse(charts[0]!.x!)).toEqual([0, 1, 2]);
    expect(JSON.parse(charts[0]!.lengths!)).toEqual([3, 3, 3]);
    const tables = await page.$$eval('section.table table', (found) =>
      found.map((table) => [...table.querySelectorAll('tbody tr')].map((row) => [...row.querySelectorAll('td')].map((cell) => cell.textContent ?? ''))),
    );
    const iterationRowsShown = tables[1]!;
    comparison.iterations.forEach((iteration, position) => {
      const [shown, meanA, meanB, difference] = iterationRowsShown[position]!;
      expect(shown).toBe(String(iteration.iteration));
      expect(Number(meanA)).toBeCloseTo(iteration.cells[0]!.mean!, 2); // shown to 3 decimals
      expect(Number(meanB)).toBeCloseTo(iteration.cells[1]!.mean!, 2); // shown to 3 decimals
      expect(Number(difference!.split(' ')[0])).toBeCloseTo(iteration.cells[1]!.difference!.mean, 2); // shown to 3 decimals
      expect(difference!.endsWith('*')).toBe(iteration.cells[1]!.difference!.significant);
    });
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    expect(dialogs).toEqual([]);
    await page.context().close();
  });
});

describe('the data inside the page', () => {
  it('is JSON that cannot close its script element or open a comment', () => {
    const text = embedJson({ a: '</script><!-- & \u2028\u2029 >' });
    expect(text).not.toMatch(/[<>&\u2028\u2029]/);
    expect(JSON.parse(text)).toEqual({ a: '</script><!-- & \u2028\u2029 >' });
  });
});
