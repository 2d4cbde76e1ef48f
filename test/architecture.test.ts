/*
 * Keeps the layers of ARCHITECTURE.md apart: protocol/ and store/ never import each other,
 * src/ or cli/; src/ never imports cli/, and src/types/ (the data structures) never imports
 * src/commands/. Reads every import specifier of every source file.
 * Also: the server's modules take `performance` from node:perf_hooks. Node defines the global
 * as a getter, which optimized code cannot fold: each global performance.now() was a
 * LoadGlobalIC call and kept callCommand from being inlined (about 2% of a pipelined GET).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const rel = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(rel));
    else if (entry.name.endsWith('.ts')) out.push(rel);
  }
  return out;
}

function importedLayers(file: string): string[] {
  const text = fs.readFileSync(path.join(root, file), 'utf8');
  const layers: string[] = [];
  for (const match of text.matchAll(/(?:import|export)[^'"]*from\s*['"]([^'"]+)['"]/g)) {
    const spec = match[1];
    if (!spec.startsWith('.')) continue;
    const target = path.relative(root, path.resolve(path.dirname(path.join(root, file)), spec));
    layers.push(target.split(path.sep)[0]);
  }
  return layers;
}

const forbidden: Record<string, string[]> = {
  protocol: ['store', 'src', 'cli'],
  store: ['protocol', 'src', 'cli'],
  src: ['cli'],
};

describe('layering', () => {
  for (const [layer, banned] of Object.entries(forbidden)) {
    it(`${layer}/ imports none of ${banned.join(', ')}`, () => {
      const files = sourceFiles(layer);
      expect(files.length).toBeGreaterThan(0);
      const violations = files.flatMap((file) => importedLayers(file).filter((l) => banned.includes(l)).map((l) => `${file} -> ${l}/`));
      expect(violations).toEqual([]);
    });
  }
});

describe('value types', () => {
  it('src/types/ (the data structures) imports nothing from src/commands/', () => {
    const violations = sourceFiles('src/types').filter((file) => {
      const text = fs.readFileSync(path.join(root, file), 'utf8');
      return [...text.matchAll(/from\s*['"]([^'"]+)['"]/g)].some((m) => m[1].startsWith('.') && path.relative(root, path.resolve(path.dirname(path.join(root, file)), m[1])).startsWith(path.join('src', 'commands')));
    });
    expect(violations).toEqual([]);
  });
});

describe('hot-path globals', () => {
  it('every server module that calls performance.now() imports performance from node:perf_hooks', () => {
    const files = ['protocol', 'store', 'src'].flatMap((dir) => sourceFiles(dir));
    const global = files.filter((file) => {
      const text = fs.readFileSync(path.join(root, file), 'utf8');
      return /\bperformance\.now\(/.test(text) && !/import \{[^}]*\bperformance\b[^}]*\} from 'node:perf_hooks'/.test(text);
    });
    expect(global).toEqual([]);
  });
});
