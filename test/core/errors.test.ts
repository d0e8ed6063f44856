import { describe, expect, it } from 'vitest';
import { BudgetExceededError, PauperError, TooManyErrorsError } from 'pauper';

describe('TooManyErrorsError', () => {
  it('counts the failures in its message, singular for one', () => {
    expect(new TooManyErrorsError(0, ['request: 401 invalid key.']).message).toBe(
      '1 sample failed, more than maxErrors (0). First failure: request: 401 invalid key. Fix the cause, or raise `maxErrors`.',
    );
    expect(new TooManyErrorsError(1, ['parse: not JSON', 'parse: not JSON']).message).toMatch(/^2 samples failed, more than maxErrors \(1\)\./);
  });

  it('starts with no completed iterations until iterate() fills them in', () => {
    const error = new TooManyErrorsError(0, ['x']);
    expect(error).toBeInstanceOf(PauperError);
    expect(error.completedIterations).toStrictEqual([]);
  });
});

describe('BudgetExceededError', () => {
  it('names the budget', () => {
    const error = new BudgetExceededError('maxSamples', 'The next request could take 8 samples past maxSamples (10).');
    expect(error).toBeInstanceOf(PauperError);
    expect(error.name).toBe('BudgetExceededError');
    expect(error.budget).toBe('maxSamples');
  });
});
