import { describe, expect, it } from 'vitest';
import { createCacheWarmer } from '../../src/providers/cache-warmer.js';

/** A request that resolves (or rejects) when the test says, recording when it was sent. */
function controlledRequests() {
  const sent: string[] = [];
  const pending: { resolve: () => void; reject: (error: Error) => void }[] = [];
  const request = (name: string) => () => {
    sent.push(name);
    return new Promise<string>((resolve, reject) => {
      pending.push({ resolve: () => resolve(name), reject });
    });
  };
  return { sent, pending, request };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('cache warmer', () => {
  it('sends the first request with a new prefix alone, and the rest once it has returned', async () => {
    const warmer = createCacheWarmer();
    const { sent, pending, request } = controlledRequests();
    const results = ['a', 'b', 'c'].map((name) => warmer.send('prefix', undefined, request(name)));
    await tick();
    expect(sent).toEqual(['a']);
    pending[0]?.resolve();
    await tick();
    expect(sent).toEqual(['a', 'b', 'c']);
    for (const waiting of pending.slice(1)) waiting.resolve();
    expect(await Promise.all(results)).toEqual(['a', 'b', 'c']);
  });

  it('sends at once a warm prefix, a request without one, and a different prefix', async () => {
    const warmer = createCacheWarmer();
    const { sent, pending, request } = controlledRequests();
    const first = warmer.send('prefix', undefined, request('a'));
    pending[0]?.resolve();
    await first;
    void warmer.send('prefix', undefined, request('warm 1'));
    void warmer.send('prefix', undefined, request('warm 2'));
    void warmer.send(undefined, undefined, request('no prefix'));
    void warmer.send('other', undefined, request('other'));
    await tick();
    expect(sent).toEqual(['a', 'warm 1', 'warm 2', 'no prefix', 'other']);
  });

  it('sends the waiting requests together when the first one failed, and warms the prefix again later', async () => {
    const warmer = createCacheWarmer();
    const { sent, pending, request } = controlledRequests();
    const failed = warmer.send('prefix', undefined, request('a'));
    const second = warmer.send('prefix', undefined, request('b'));
    const third = warmer.send('prefix', undefined, request('c'));
    pending[0]?.reject(new Error('503'));
    await expect(failed).rejects.toThrow('503');
    await tick();
    expect(sent).toEqual(['a', 'b', 'c']);
    pending[1]?.resolve();
    pending[2]?.resolve();
    expect(await Promise.all([second, third])).toEqual(['b', 'c']);
    // Not warm: nothing with this prefix succeeded as a first request, so the next one goes first again.
    void warmer.send('prefix', undefined, request('d'));
    void warmer.send('prefix', undefined, request('e'));
    await tick();
    expect(sent).toEqual(['a', 'b', 'c', 'd']);
  });

  it('rejects a waiting request with the signal reason when it is aborted, without sending it', async () => {
    const warmer = createCacheWarmer();
    const { sent, pending, request } = controlledRequests();
    const controller = new AbortController();
    void warmer.send('prefix', undefined, request('a'));
    const waiting = warmer.send('prefix', controller.signal, request('b'));
    const reason = new Error('stop');
    controller.abort(reason);
    await expect(waiting).rejects.toBe(reason);
    pending[0]?.resolve();
    await tick();
    expect(sent).toEqual(['a']);
  });

  it('holds back requests again once the prefix may have left the cache', async () => {
    let time = 0;
    const warmer = createCacheWarmer(() => time);
    const { sent, pending, request } = controlledRequests();
    const first = warmer.send('prefix', undefined, request('a'));
    pending[0]?.resolve();
    await first;
    time += 5 * 60 * 1000;
    void warmer.send('prefix', undefined, request('b'));
    void warmer.send('prefix', undefined, request('c'));
    await tick();
    expect(sent).toEqual(['a', 'b']);
  });
});
