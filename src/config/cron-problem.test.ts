import { describe, expect, it } from 'vitest';
import { cronProblem } from './cron-problem.js';

describe('cronProblem', () => {
  it.each(['50 4 * * *', '0 6 * * *', '*/15 0-6,22-23 1,15 1-12/2 0-7', '0 0 31 12 7'])('accepts %s', (expression) => {
    expect(cronProblem(expression)).toBeNull();
  });

  it.each([
    ['@daily', 'must have 5 fields'],
    ['0 6 * * * *', 'got 6'],
    ['0 24 * * *', 'hour 24 is outside 0-23'],
    ['0 0 0 * *', 'day of month 0 is outside 1-31'],
    ['0 0 * 13 *', 'month 13 is outside 1-12'],
    ['0 0 * * 8', 'day of week 8 is outside 0-7'],
    ['0 0 * JAN *', 'may only contain digits'],
    ['5-1 * * * *', 'runs backwards'],
    ['*/0 * * * *', 'step must be at least 1'],
    ['1,,2 * * * *', 'not a valid list'],
  ])('rejects %s', (expression, message) => {
    expect(cronProblem(expression)).toContain(message);
  });
});
