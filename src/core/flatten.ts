/**
 * The arrays' elements in one new array, in order, sized once: `Array.prototype.flat` handles
 * every element generically (several times slower on a run's per-sample arrays), a spread into
 * `concat` overflows the stack once there are enough arrays, and pushes grow the array by
 * copying it again and again (an iteration's trajectories, twice over).
 */
export function flatten<T>(arrays: readonly (readonly T[])[]): T[] {
  let length = 0;
  for (const array of arrays) if (array !== undefined) length += array.length;
  if (length === 0) return [];
  const all = new Array<T>(length);
  let at = 0;
  for (const array of arrays) {
    if (array === undefined) continue;
    for (let i = 0; i < array.length; i++) all[at++] = array[i] as T;
  }
  return all;
}
