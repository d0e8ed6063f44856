/**
 * Every TypeScript code block of README.md and docs/*.md typechecks against the
 * source, so the documentation cannot name an option or an export that does not
 * exist (or no longer does, after a rename).
 *
 * How blocks are checked:
 * - Each ```ts or ```typescript block becomes its own ES module, `block-<n>.ts`, in a
 *   temporary directory whose package.json says `"type": "module"` (so top-level
 *   `await` works, as it does in a user's script) and whose node_modules is this
 *   repository's. All blocks go into one compiler program.
 * - `pauper` resolves to src/index.ts, as in tsconfig.json. A relative import
 *   resolves from the repository root (`rootDirs`), so
 *   `./examples/gold-coin-maze/maze.js` is the example's own module.
 * - Compiler options are tsconfig.json's (strict, exactOptionalPropertyTypes,
 *   noUncheckedIndexedAccess...), except noUnusedLocals and noUnusedParameters:
 *   a snippet may show a value without using it.
 *
 * The documentation's convention:
 * - A block may be preceded, right above its fence, by a hidden preamble, an HTML
 *   comment that starts with `<!-- preamble`. Its lines are put before the block's.
 *   Free identifiers a snippet assumes (`provider`, `mazes`) are declared there
 *   (`declare const provider: Provider;`), never left unchecked.
 * - A block whose info string is `ts fragment` is not a module on its own and is
 *   skipped. There are none today; `skippedFragments` pins the count, so adding
 *   one is a decision, made in this file.
 * - Other languages (sh, json, plain fences) are not checked.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Fragments allowed to go unchecked (see above). */
const skippedFragments = 0;

interface Block {
  /** The markdown file, relative to the root. */
  readonly file: string;
  /** 1-based line of the block's first code line in the markdown file. */
  readonly line: number;
  /** 1-based line of the preamble's first code line, when there is one. */
  readonly preambleLine: number | undefined;
  readonly preamble: readonly string[];
  readonly code: readonly string[];
  readonly fragment: boolean;
}

function markdownFiles(): string[] {
  const docs = readdirSync(join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`);
  return ['README.md', ...docs];
}

/** The TypeScript blocks of one markdown file, with their preambles. Throws on a fence it does not understand. */
function extractBlocks(file: string, text: string): Block[] {
  const lines = text.split('\n');
  const blocks: Block[] = [];
  for (let index = 0; index < lines.length; index++) {
    const open = /^(\s*)(`{3,}|~{3,})(.*)$/.exec(lines[index] ?? '');
    if (open === null) continue;
    const fence = open[2] ?? '```';
    const info = (open[3] ?? '').trim().split(/\s+/);
    let end = index + 1;
    while (end < lines.length && !(lines[end] ?? '').trim().startsWith(fence)) end++;
    if (end >= lines.length) throw new Error(`${file}:${index + 1}: a code fence is never closed.`);
    const language = info[0] ?? '';
    if (language === 'ts' || language === 'typescript') {
      const marks = info.slice(1);
      if (marks.some((mark) => mark !== 'fragment')) {
        throw new Error(`${file}:${index + 1}: unknown mark on a TypeScript block: ${marks.join(' ')} (only "fragment" is known).`);
      }
      const preamble = preambleAbove(lines, index);
      blocks.push({
        file,
        line: index + 2,
        preambleLine: preamble?.line,
        preamble: preamble?.code ?? [],
        code: lines.slice(index + 1, end),
        fragment: marks.includes('fragment'),
      });
    }
    index = end;
  }
  return blocks;
}

/** The `<!-- preamble ... -->` comment that ends on the line right above a fence, if any. */
function preambleAbove(lines: readonly string[], fence: number): { line: number; code: string[] } | undefined {
  if ((lines[fence - 1] ?? '').trim() !== '-->') return undefined;
  let start = fence - 2;
  while (start >= 0 && !(lines[start] ?? '').includes('<!--')) start--;
  if (start < 0 || (lines[start] ?? '').trim() !== '<!-- preamble') return undefined;
  return { line: start + 2, code: lines.slice(start + 1, fence - 1) };
}

interface Checked {
  readonly block: Block;
  readonly path: string;
}

/** A block's error, located in its markdown file. */
function located({ block }: Checked, diagnostic: ts.Diagnostic): string {
  const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
  if (diagnostic.file === undefined || diagnostic.start === undefined) return `${block.file}:${block.line}: ${message}`;
  const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
  const where =
    line < block.preamble.length ? `${(block.preambleLine ?? 0) + line} (preamble)` : `${block.line + line - block.preamble.length}`;
  return `${block.file}:${where}: ${message}`;
}

/** Blocks that must fail: proof that the check sees a wrong option and a wrong export. */
const negativeControls: Block[] = [
  {
    file: '(control: an option iterate() does not have)',
    line: 1,
    preambleLine: undefined,
    preamble: [],
    code: [
      "import { inContextLearner, iterate } from 'pauper';",
      "iterate({ provider: inContextLearner(), tasks: ['a'], reward: () => 1, notAnOption: 1 });",
    ],
    fragment: false,
  },
  {
    file: '(control: an export pauper does not have)',
    line: 1,
    preambleLine: undefined,
    preamble: [],
    code: ["import { notAnExport } from 'pauper';", 'console.log(notAnExport);'],
    fragment: false,
  },
];

describe('the code blocks of README.md and docs/', () => {
  let directory: string;
  let blocks: Block[];
  let checked: Checked[];
  let controls: Checked[];
  let program: ts.Program;

  beforeAll(() => {
    blocks = markdownFiles().flatMap((file) => extractBlocks(file, readFileSync(join(root, file), 'utf8')));
    directory = mkdtempSync(join(tmpdir(), 'pauper-docs-'));
    writeFileSync(join(directory, 'package.json'), '{ "type": "module" }\n');
    symlinkSync(join(root, 'node_modules'), join(directory, 'node_modules'), 'dir');
    const write = (block: Block, name: string): Checked => {
      const path = join(directory, name);
      writeFileSync(path, [...block.preamble, ...block.code].join('\n'));
      return { block, path };
    };
    checked = blocks.filter((block) => !block.fragment).map((block, index) => write(block, `block-${index}.ts`));
    controls = negativeControls.map((block, index) => write(block, `control-${index}.ts`));

    const config = ts.readConfigFile(join(root, 'tsconfig.json'), (path) => ts.sys.readFile(path));
    const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, root);
    program = ts.createProgram({
      rootNames: [...checked, ...controls].map(({ path }) => path),
      options: {
        ...options,
        noEmit: true,
        declaration: false,
        noUnusedLocals: false,
        noUnusedParameters: false,
        paths: { pauper: [join(root, 'src/index.ts')] },
        rootDirs: [directory, root],
        typeRoots: [join(root, 'node_modules/@types')],
      },
    });
  });

  afterAll(() => {
    if (directory !== undefined) rmSync(directory, { recursive: true, force: true });
  });

  const errorsOf = (entry: Checked): string[] => {
    const file = program.getSourceFile(entry.path);
    if (file === undefined) return [`${entry.block.file}:${entry.block.line}: not in the program`];
    return ts.getPreEmitDiagnostics(program, file).map((diagnostic) => located(entry, diagnostic));
  };

  it('are found, and fragments stay rare', () => {
    expect(blocks.filter((block) => block.file === 'README.md').length).toBeGreaterThanOrEqual(3);
    expect(blocks.filter((block) => block.fragment)).toHaveLength(skippedFragments);
  });

  it('typecheck against src/ with the strict options of tsconfig.json', () => {
    const errors = checked.flatMap(errorsOf);
    expect(errors, errors.join('\n')).toEqual([]);
  });

  it('fail on an option or an export that does not exist', () => {
    const [option, exported] = controls.map(errorsOf);
    expect(option?.join('\n')).toMatch(/'notAnOption' does not exist/);
    expect(exported?.join('\n')).toMatch(/has no exported member 'notAnExport'/);
  });
});

describe('README.md and docs/', () => {
  it('README.md stays under 16 KB: the reference lives in docs/', () => {
    expect(readFileSync(join(root, 'README.md')).byteLength).toBeLessThan(16 * 1024);
  });

  it('link only to files that exist', () => {
    const broken: string[] = [];
    for (const file of markdownFiles()) {
      const text = readFileSync(join(root, file), 'utf8');
      for (const [, target] of text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
        if (target === undefined || /^[a-z]+:/.test(target)) continue;
        const base = file.includes('/') ? join(root, file, '..') : root;
        try {
          readFileSync(join(base, target));
        } catch {
          try {
            readdirSync(join(base, target));
          } catch {
            broken.push(`${file}: ${target}`);
          }
        }
      }
    }
    expect(broken).toEqual([]);
  });
});
