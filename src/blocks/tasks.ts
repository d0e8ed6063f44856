import { ConfigError } from '../core/errors.js';
import type { RunOptions } from './options.js';

/**
 * Why a run's tasks must be JSON values: a journal keeps a hash of their JSON, and the default
 * rendering shows a task that is not a string as JSON. `undefined` when neither holds (a custom
 * `render` or `prompt` and no journal): tasks may then be anything, class instances included.
 */
export type JsonReason = 'journal' | 'rendering' | undefined;

/** Whether the tasks of a run with these options must be JSON values, and why. */
export function jsonReason<Task, Output, Info>(options: RunOptions<Task, Output, Info>): JsonReason {
  if (options.journal !== undefined) return 'journal';
  // With `rollout`, the default rendering shows nothing of the task: `act` sends the turns.
  return options.prompt === undefined && options.render === undefined && options.rollout === undefined ? 'rendering' : undefined;
}

/**
 * Checks a task list before any request: an array, non-empty unless `allowEmpty`, with no holes,
 * and, when `json` gives a reason, every task a JSON value that JSON holds whole. A `ConfigError`
 * names the task and the path inside it (`tasks[3].board`) and says what to do.
 */
export function taskList<Task>(
  option: string,
  value: readonly Task[] | undefined,
  check: { readonly allowEmpty: boolean; readonly json: JsonReason },
): readonly Task[] {
  if (!Array.isArray(value)) throw new ConfigError(option, value, 'an array of tasks');
  if (!check.allowEmpty && value.length === 0) throw new ConfigError(option, value, 'at least one task');
  for (let index = 0; index < value.length; index++) {
    if (!(index in value)) {
      throw new ConfigError(`${option}[${index}]`, undefined, 'a task at every index, not a hole of a sparse array (build the list with push or map, or filter out the holes)');
    }
    if (check.json !== undefined) checkJson(value[index], [option, index], check.json, new Map());
  }
  return value;
}

/** Checks one task (`bestOfN`'s `task`) as `taskList` checks each of a list. */
export function checkTask(option: string, task: unknown, json: JsonReason): void {
  if (json !== undefined) checkJson(task, [option], json, new Map());
}

/**
 * One walk of a task: throws at the first value JSON cannot hold or would change. `path` holds
 * the keys from the option down to `value`; `ancestors` the objects that contain it, each with
 * the length of its path (to name where a cycle leads back to).
 */
function checkJson(value: unknown, path: (string | number)[], json: 'journal' | 'rendering', ancestors: Map<object, number>): void {
  const problem = jsonProblem(value, path, ancestors);
  if (problem !== undefined) throw notJson(path, value, problem, json);
  if (typeof value !== 'object' || value === null || typeof (value as { toJSON?: unknown }).toJSON === 'function') return;
  ancestors.set(value, path.length);
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      path.push(index);
      if (!(index in value)) throw notJson(path, undefined, 'a hole of a sparse array, which JSON writes as null', json);
      checkJson(value[index], path, json, ancestors);
      path.pop();
    }
  } else {
    for (const key of Object.keys(value)) {
      path.push(key);
      checkJson((value as Record<string, unknown>)[key], path, json, ancestors);
      path.pop();
    }
  }
  ancestors.delete(value);
}

/** What is wrong with one value as JSON, without looking inside it; `undefined` when nothing is. */
function jsonProblem(value: unknown, path: readonly (string | number)[], ancestors: ReadonlyMap<object, number>): string | undefined {
  switch (typeof value) {
    case 'bigint':
      return 'a BigInt, which JSON cannot hold';
    case 'function':
      return 'a function, which JSON leaves out';
    case 'symbol':
      return 'a symbol, which JSON leaves out';
    case 'undefined':
      return 'undefined, which JSON leaves out (or writes as null in an array)';
    case 'number':
      return Number.isFinite(value) ? undefined : `${value}, which JSON writes as null`;
    case 'object':
      if (value !== null && ancestors.has(value)) return `a cycle back to ${pathText(path.slice(0, ancestors.get(value)))}, which JSON cannot hold`;
      if (value instanceof Map || value instanceof Set) return `a ${value instanceof Map ? 'Map' : 'Set'}, which JSON writes as {}`;
      return undefined;
    default:
      return undefined;
  }
}

function notJson(path: readonly (string | number)[], value: unknown, problem: string, json: 'journal' | 'rendering'): ConfigError {
  const why =
    json === 'journal'
      ? 'a `journal` keeps a hash of the tasks as JSON: make it a string, finite number, boolean, null, array or plain object'
      : 'the default rendering shows a task as JSON: convert the value, or give `render` or `prompt` to show the task yourself';
  return new ConfigError(pathText(path), value, `a JSON value, not ${problem} (${why})`);
}

/** `tasks[3].board` from the option, the task index and the keys below it. */
function pathText([option, ...keys]: readonly (string | number)[]): string {
  const steps = keys.map((key) => (typeof key === 'number' ? `[${key}]` : /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`));
  return `${String(option)}${steps.join('')}`;
}
