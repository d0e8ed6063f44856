// How long the check of a task list takes (`tasks` must be JSON values with a journal or the
// default rendering): 100,000 maze-like tasks, each an object with an id, numbers and a 10x10 grid.
// Writes bench/tasks-results.json. Run: node --import tsx bench/tasks.ts
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { taskList } from '../src/blocks/tasks.js';

const tasks = Array.from({ length: 100_000 }, (_, index) => ({
  id: `maze-${index}`,
  size: 10,
  coins: index % 7,
  start: { row: 0, column: 0 },
  grid: Array.from({ length: 10 }, (_row, row) => '.'.repeat(10).replace('.', row % 3 === 0 ? '#' : '.')),
}));

const runsMs: number[] = [];
for (let run = 0; run < 6; run++) {
  const started = performance.now();
  taskList('tasks', tasks, { allowEmpty: false, json: 'journal' });
  runsMs.push(Number((performance.now() - started).toFixed(1)));
}
const measured = runsMs.slice(1).sort((a, b) => a - b);
const report = {
  date: new Date().toISOString(),
  node: process.version,
  name: 'taskList check, 100,000 tasks of 5 fields and a 10-row grid, JSON required (median of 5 runs after a warm-up)',
  medianMs: measured[2],
  runsMs: runsMs.slice(1),
};
console.log(report);
await writeFile(fileURLToPath(new URL('./tasks-results.json', import.meta.url)), `${JSON.stringify(report, null, 2)}\n`);
