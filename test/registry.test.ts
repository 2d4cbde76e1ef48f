/*
 * Every entry of the command table is complete (principle 1): a handler or subcommands, an
 * arity, flags, ACL categories, a group and docs, matching Redis 7.0.15's metadata; names are
 * unique and found case-insensitively from request bytes.
 */
import { describe, expect, it } from 'vitest';
import { buildRegistry } from '../src/server.ts';

const registry = buildRegistry();

describe('command table', () => {
  it('has complete entries', () => {
    expect(registry.all.length).toBeGreaterThan(80);
    for (const cmd of registry.all) {
      expect(cmd.arity, cmd.fullName).not.toBe(0);
      expect(cmd.meta.acl_categories.length, cmd.fullName).toBeGreaterThan(0);
      expect(cmd.meta.docs.group, cmd.fullName).toBeTruthy();
      expect(cmd.meta.docs.summary, cmd.fullName).toBeTruthy();
      if (cmd.subcommands === null || cmd.subcommands.size === 0) expect(cmd.handler, cmd.fullName).toBeTypeOf('function');
    }
  });

  it('finds commands from bytes in any case, and nothing else', () => {
    for (const name of ['get', 'GET', 'gEt']) {
      const bytes = Buffer.from(`xx${name}yy`);
      expect(registry.lookup(bytes, 2, name.length)?.fullName).toBe('get');
    }
    const wrong = Buffer.from('gex');
    expect(registry.lookup(wrong, 0, 3)).toBeUndefined();
    expect(registry.lookup(Buffer.from('ge'), 0, 2)).toBeUndefined();
  });

  it('resolves subcommands by full name', () => {
    expect(registry.byFullName('config|get')?.arity).toBe(-3);
    expect(registry.byFullName('client|setname')?.arity).toBe(3);
  });
});
