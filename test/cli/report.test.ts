import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { iterate } from 'pauper';
import { deterministic, options } from '../fixtures/journal-run.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'dist/cli.js');
const run = promisify(execFile);

/** Runs the built `pauper` bin as a user would. */
async function pauper(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], { cwd: root });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

let directory: string;
let journal: string;
beforeAll(async () => {
  if (!existsSync(bin)) throw new Error('dist/cli.js is missing: run `npm run build` first (npm test does).');
  directory = await mkdtemp(join(tmpdir(), 'pauper-cli-report-'));
  journal = join(directory, 'run.jsonl');
  await iterate(options(deterministic(), { journal }));
});

describe('pauper report', () => {
  it("writes the report next to the journal by default and prints its path and how to open it", async () => {
    const { code, stdout, stderr } = await pauper('report', journal);
    const html = join(directory, 'run.html');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(new RegExp(`^Wrote ${html.replace(/[.\\]/g, '\\$&')} \\(\\d+ KB\\)\\.\\nOpen it in a browser: ${pathToFileURL(html).href}\\n$`));
    expect(await readFile(html, 'utf8')).toMatch(/^<!doctype html>[\s\S]*Content-Security-Policy[\s\S]*"title":"pauper run: run\.jsonl"/);
  });

  it('writes where -o says', async () => {
    const target = join(directory, 'elsewhere.html');
    const { code, stdout } = await pauper('report', journal, '-o', target);
    expect(code).toBe(0);
    expect(stdout).toContain(`Wrote ${target}`);
    expect(existsSync(target)).toBe(true);
  });

  it('notes a skipped partial last line on stderr and still writes the report', async () => {
    const damaged = join(directory, 'damaged.jsonl');
    await writeFile(damaged, `${await readFile(journal, 'utf8')}{"v":2,"ty`);
    const { code, stdout, stderr } = await pauper('report', damaged);
    expect(code).toBe(0);
    expect(stderr).toMatch(/^pauper report: note: .*damaged\.jsonl:\d+: skipped a partial last line/);
    expect(stdout).toContain('damaged.html');
  });

  it.each([
    ['a missing file', 'missing.jsonl', '', /^pauper report: .*missing\.jsonl: no such file\.\n$/],
    ['an empty file', 'empty.jsonl', '', /^pauper report: .*empty\.jsonl.*holds no run: the file is empty, or not a pauper journal\.\n$/],
    ['a file that is not a journal', 'notes.txt', 'shopping list\nmilk\n', /^pauper report: .*notes\.txt:1: not valid JSON .*\n$/],
  ])('%s is one line on stderr and exit code 1', async (_name, file, content, message) => {
    const path = join(directory, file);
    if (file !== 'missing.jsonl') await writeFile(path, content);
    const { code, stdout, stderr } = await pauper('report', path);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(message);
    expect(existsSync(join(directory, file.replace(/\.\w+$/, '.html')))).toBe(false);
  });

  it('refuses to write the report over its journal', async () => {
    const { code, stderr } = await pauper('report', journal, '-o', journal);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^pauper report: Invalid option `output`: expected a path other than the journal/);
    expect((await readFile(journal, 'utf8')).startsWith('{')).toBe(true);
  });

  it('without a journal is a usage error, exit code 2', async () => {
    const { code, stderr } = await pauper('report');
    expect(code).toBe(2);
    expect(stderr).toBe('pauper report: give the journal to report on: pauper report runs/maze.jsonl. See pauper report --help.\n');
  });

  it('--help shows the usage and is listed in pauper --help', async () => {
    const help = await pauper('report', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: pauper report <journal> \[-o report\.html\]\n[\s\S]*-o, --output <file>/);
    expect((await pauper('--help')).stdout).toMatch(/\n {2}report {4}write a journal as one HTML file/);
  });
});
