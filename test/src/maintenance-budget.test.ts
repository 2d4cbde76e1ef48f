/*
 * The maintenance tick's budget follows Redis's slow expire cycle: 25% of the time at
 * active-expire-effort 1, 2 points more per step, 43% at 10; it never takes the whole loop
 * (it once grew as 25% x effort, the whole 10 ms tick from effort 4).
 */
import { describe, expect, it } from 'vitest';
import { maintenanceBudgetMs } from '../../src/server.ts';

describe('maintenanceBudgetMs', () => {
  it('is 2.5 ms of a 10 ms tick at effort 1 and 4.3 ms at effort 10', () => {
    expect(maintenanceBudgetMs(1)).toBeCloseTo(2.5, 10);
    expect(maintenanceBudgetMs(4)).toBeCloseTo(3.1, 10);
    expect(maintenanceBudgetMs(10)).toBeCloseTo(4.3, 10);
  });
});
