/**
 * The arrays' elements in one new array, in order. A loop of pushes: `Array.prototype.flat`
 * handles every element generically (several times slower on a run's per-sample arrays), and
 * a spread into `concat` overflows the stack once there are enough arrays.
 */
export function flatten<T>(arrays: readonly (readonly T[])[]): T[] {
  const all: T[] = [];
  for (const array of arrays) for (const element of array) all.push(element);
  return all;
}
