/*
 * startServer()'s option types (src/config-options.ts) are generated from the config table and
 * the sample redis.conf: the file must be what the generator writes today, the sample must be
 * a configuration slabcache accepts as it stands, and each directive it documents must exist.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFIG_OPTIONS_PATH, configOptionsSource, sampleDocs } from '../../cli/generate-config-options.ts';
import { CONFIG_PARAMS } from '../../src/config-table.ts';
import { startServer } from '../../src/server.ts';

const SAMPLE = fs.readFileSync(path.resolve(import.meta.dirname, '../../redis.conf'), 'utf8');

describe('config options', () => {
  it('src/config-options.ts is current (regenerate with `npx node cli/generate-config-options.ts`)', () => {
    expect(fs.readFileSync(CONFIG_OPTIONS_PATH, 'utf8')).toBe(configOptionsSource());
  });

  it('types every parameter of the config table, with its default', () => {
    const source = configOptionsSource();
    for (const param of CONFIG_PARAMS) expect(source).toContain(`'${param.name}'?:`);
    expect(source).toMatch(/Which keys go when maxmemory is reached[^]*Default: `noeviction`\.\s*\*\/\s*'maxmemory-policy'\?: 'volatile-lru' \| /);
  });

  it('documents each directive of the sample, and each is a real parameter', () => {
    const docs = sampleDocs(SAMPLE);
    const names = new Set(CONFIG_PARAMS.map((p) => p.name));
    expect(docs.size).toBeGreaterThanOrEqual(30);
    for (const [name, doc] of docs) {
      expect(names.has(name), name).toBe(true);
      expect(doc.length, `${name} has a comment`).toBeGreaterThan(10);
    }
  });

  it('the sample redis.conf starts a server, and CONFIG GET shows its values', async () => {
    const text = SAMPLE.replace(/^port 6379$/m, 'port 0').replace(/^metrics-port 9121$/m, 'metrics-port 0');
    const server = await startServer({}, { configText: text, configSource: 'redis.conf' });
    try {
      expect(server.state.config.get(['maxmemory-policy', 'shards'])).toEqual([['maxmemory-policy', 'noeviction'], ['shards', '64']]);
    } finally {
      await server.close();
    }
  });
});
