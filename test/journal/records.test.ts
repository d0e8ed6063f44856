import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { libraryVersion } from '../../src/journal/records.js';

describe('journal: library version', () => {
  it('writes the version in package.json', async () => {
    const manifest = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(libraryVersion).toBe(manifest.version);
  });
});
