import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pageScript } from './page-script.js';

/**
 * One line of a chart. `values` line up with the chart's `x`; `null` is a gap (nothing scored,
 * cost unknown).
 */
export interface ChartSeries {
  readonly label: string;
  readonly values: readonly (number | null)[];
  /** A CSS colour. */
  readonly color: string;
  /** `solid` for the main figure, `dashed` and `dotted` for the ones around it, `none` for a band edge drawn only as fill. */
  readonly line: 'solid' | 'dashed' | 'dotted' | 'none';
}

/** A shaded area between two series (their positions in `series`), e.g. a confidence band. */
export interface ChartBand {
  readonly upper: number;
  readonly lower: number;
  readonly color: string;
}

/**
 * One chart of a page: several series over the same x values (iterations). A comparison of N
 * runs is the same shape with a series per run.
 */
export interface Chart {
  readonly title: string;
  /** One sentence under the title: how to read it. */
  readonly caption: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly x: readonly number[];
  readonly series: readonly ChartSeries[];
  readonly bands: readonly ChartBand[];
}

/** A table of text cells, formatted before they reach the page. */
export interface Table {
  readonly title: string;
  readonly caption: string;
  readonly columns: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

/** A journaled sample as the trajectory viewer shows it. */
export interface PageSample {
  readonly id: string;
  readonly split: string;
  readonly iteration: number;
  readonly taskId: string;
  /** The reward, `null` for a failed sample. */
  readonly reward: number | null;
  /** The reward's `info` as indented JSON, `''` when it has none. */
  readonly info: string;
  /** Why it failed (`stage: message`), `''` when it was scored. */
  readonly failure: string;
  /** The task's own conversation: its prompt turns, then each reply (and each turn of an episode). */
  readonly turns: readonly { readonly role: string; readonly content: string }[];
  /** Tokens and cost, one line. */
  readonly usage: string;
}

/** The examples kept after one iteration, as sample ids. */
export interface KeptSet {
  readonly iteration: number;
  readonly ids: readonly string[];
}

/** Everything a report page shows; `renderPage` turns it into one HTML file. */
export interface Page {
  readonly title: string;
  /** Short facts under the title (provider, model, seed, state). */
  readonly facts: readonly string[];
  /** What the reader should know first: what reading skipped, an unfinished run. */
  readonly notes: readonly string[];
  readonly charts: readonly Chart[];
  readonly tables: readonly Table[];
  readonly kept: readonly KeptSet[];
  readonly samples: readonly PageSample[];
}

/**
 * One self-contained HTML file for `page`: uPlot and the page's script inlined, the data as
 * escaped JSON in a script element the browser never runs, and a Content-Security-Policy that
 * allows only those inline scripts and styles (by hash) and no network at all, so markup in the
 * data could not run even if escaping failed.
 */
export function renderPage(page: Page): string {
  return [...pageParts(page)].join('');
}

/**
 * `renderPage`'s HTML in pieces, each sample's JSON its own: a report of a million samples is
 * written piece by piece, never built as one string (see `writeReport`).
 */
export function* pageParts(page: Page): Generator<string, void, undefined> {
  const styles = [uplotAsset('dist/uPlot.min.css'), pageStyle];
  const scripts = [uplotAsset('dist/uPlot.iife.min.js'), pageScript];
  const { samples, ...rest } = page;
  // `samples` last, as an empty array whose `[]}` the samples then go into.
  const data = embedJson({ ...rest, samples: [] });
  yield [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy(scripts, styles)}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(page.title)}</title>`,
    ...styles.map((style) => `<style>${style}</style>`),
    '</head>',
    '<body>',
    `<script type="application/json" id="pauper-data">${data.slice(0, -2)}`,
  ].join('\n');
  for (const [position, sample] of samples.entries()) yield `${position === 0 ? '' : ','}${embedJson(sample)}`;
  yield [
    ']}</script>',
    '<main id="report"></main>',
    ...scripts.map((script) => `<script>${script}</script>`),
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/**
 * JSON that cannot end the script element holding it: `<`, `>` and `&` (so neither `</script>`
 * nor `<!--` can appear) and the line separators U+2028/U+2029 become `\u` escapes, which
 * `JSON.parse` reads back as the same characters.
 */
export function embedJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Text safe inside an element or a double-quoted attribute. */
function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

/** No network, no plugins, no forms; only these exact inline scripts and styles run. */
function contentSecurityPolicy(scripts: readonly string[], styles: readonly string[]): string {
  const hashes = (texts: readonly string[]) => texts.map((text) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`).join(' ');
  return `default-src 'none'; script-src ${hashes(scripts)}; style-src ${hashes(styles)}; img-src data:; base-uri 'none'; form-action 'none'`;
}

/** A file of the installed uPlot package, read when a report is built (uPlot is a runtime dependency). */
function uplotAsset(file: string): string {
  const text = readFileSync(createRequire(import.meta.url).resolve(`uplot/${file}`), 'utf8');
  // An inline element ends at the first `</`+tag; uPlot's build has none, and a future one must not slip through.
  if (/<\/(script|style)/i.test(text)) throw new Error(`uplot/${file} contains a closing tag and cannot be inlined; pin uplot to 1.6.32.`);
  return text;
}

/** The page's own look: system fonts, readable widths, nothing fetched. */
const pageStyle = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 0; color: #1d2330; background: #fff; }
main { max-width: 1180px; margin: 0 auto; padding: 16px 24px 48px; }
h1 { font-size: 22px; margin: 8px 0 4px; }
h2 { font-size: 17px; margin: 28px 0 4px; }
.facts { color: #4a5163; margin: 0 0 8px; }
.note { background: #fff6db; border-left: 4px solid #e0a800; padding: 6px 10px; margin: 6px 0; }
.caption { color: #4a5163; margin: 0 0 8px; max-width: 80ch; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(540px, 1fr)); gap: 12px 24px; }
figure { margin: 0; }
figcaption { font-weight: 600; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { padding: 3px 8px; border-bottom: 1px solid #e3e6ee; text-align: left; white-space: nowrap; }
th { background: #f4f6fa; position: sticky; top: 0; }
.scroll { overflow: auto; max-height: 420px; border: 1px solid #e3e6ee; }
tr.pick { cursor: pointer; }
tr.pick:hover, tr.pick.selected { background: #e8f0ff; }
.viewer { border: 1px solid #c9d3e6; border-radius: 6px; padding: 10px 14px; margin-top: 12px; }
.turn { margin: 8px 0; }
.role { font-weight: 600; text-transform: uppercase; font-size: 11px; color: #4a5163; }
pre { white-space: pre-wrap; word-break: break-word; background: #f7f8fb; padding: 8px; margin: 2px 0; font: 12px/1.4 ui-monospace, monospace; }
label { margin-right: 12px; }
`;
