/*
 * The README stays true: its supported-command list is exactly what the command table
 * registers, and its quick start names the two commands that install+start and test.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { commandListMarkdown } from '../cli/command-list.ts';

const readme = fs.readFileSync(path.resolve(import.meta.dirname, '../README.md'), 'utf8');

function between(start: string, end: string): string {
  const from = readme.indexOf(start);
  const to = readme.indexOf(end);
  expect(from).toBeGreaterThanOrEqual(0);
  expect(to).toBeGreaterThan(from);
  return readme.slice(from + start.length, to).trim();
}

describe('README', () => {
  it('lists exactly the commands of the command table', () => {
    expect(between('<!-- commands:start -->', '<!-- commands:end -->')).toBe(commandListMarkdown());
  });

  it('has the two-command quick start', () => {
    expect(readme).toContain('npm install && npm start');
    expect(readme).toContain('npm test');
  });
});
