/*
 * Writes the whole-server load results into README.md, between
 * <!-- bench:load:start --> and <!-- bench:load:end --> (inside the "## Benchmarks"
 * section, under its "Whole-server load (npm run bench)" heading). Nothing else in the
 * README is touched; a README without the markers is left alone and reported.
 */
import fs from 'node:fs';

export const LOAD_START = '<!-- bench:load:start -->';
export const LOAD_END = '<!-- bench:load:end -->';

/** Replace the text between the load markers; false when the markers are missing. */
export function replaceLoadSection(readme: string, body: string): string | null {
  const from = readme.indexOf(LOAD_START);
  const to = readme.indexOf(LOAD_END);
  if (from < 0 || to < from) return null;
  return readme.slice(0, from + LOAD_START.length) + '\n' + body.trim() + '\n' + readme.slice(to);
}

export function updateReadme(file: string, body: string): boolean {
  const text = fs.readFileSync(file, 'utf8');
  const next = replaceLoadSection(text, body);
  if (next === null) return false;
  if (next !== text) fs.writeFileSync(file, next);
  return true;
}
