import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { pauper } from '../fixtures/cli.js';

describe('pauper --help and --version', () => {
  it('lists summary and compare on stdout and exits 0', async () => {
    const result = await pauper('--help');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^ {2}summary {3}/m);
    expect(result.stdout).toMatch(/^ {2}compare {3}/m);
    for (const line of result.stdout.split('\n')) expect(line.length).toBeLessThanOrEqual(100);
  });

  it('prints the version of package.json', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(await pauper('--version')).toMatchObject({ status: 0, stdout: `${version}\n` });
  });
});

describe.each(['summary', 'compare'])('pauper %s', (name) => {
  it('prints its usage, options and exit codes for --help and exits 0', async () => {
    const result = await pauper(name, '--help');
    expect(result.status).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(new RegExp(`^Usage: pauper ${name} <`));
    expect(result.stdout).toContain('--json');
    expect(result.stdout).toContain('Exit codes:');
    for (const line of result.stdout.split('\n')) expect(line.length).toBeLessThanOrEqual(100);
  });

  it('refuses an unknown flag with one line on stderr and exit code 2', async () => {
    const result = await pauper(name, '--colour', 'a.jsonl', 'b.jsonl');
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(new RegExp(`^pauper ${name}: .*'--colour'.*See pauper ${name} --help\\.`));
  });

  it('refuses to run without a journal with one line and exit code 2', async () => {
    const result = await pauper(name);
    expect(result.status).toBe(2);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/journal/);
  });
});
