// bench/lib/hiccups.ts: the bare busy loop bench/pauses.ts prints as the machine's own hiccups.
import { cpus } from 'node:os';
import { describe, expect, it } from 'vitest';
import { hiccupLine, measureHiccups } from '../../bench/lib/hiccups.ts';

describe('machine hiccups', () => {
  it('spins one bare loop per CPU and reports each worst gap', async () => {
    const h = await measureHiccups(0.2);
    expect(h.worstMs).toHaveLength(cpus().length);
    expect(h.over1ms).toHaveLength(cpus().length);
    for (const w of h.worstMs) expect(w).toBeGreaterThan(0);
    const line = hiccupLine(h);
    for (let i = 0; i < cpus().length; i++) expect(line).toContain(`CPU ${i} `);
  });
});
