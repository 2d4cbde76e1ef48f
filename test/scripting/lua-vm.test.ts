/*
 * The Lua VM boundary (src/scripting/lua-vm.ts) without a server: scripts compiled and run
 * against a stub host, and the helpers that must match C (printf %.17g, the (long long) cast).
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { LuaVM, type LuaHost } from '../../src/scripting/lua-vm.ts';
import { formatG, formatGGeneral, toLongLong } from '../../src/scripting/lua-api.ts';

class StubHost implements LuaHost {
  calls: string[][] = [];
  replyOffset = 0;
  vm!: LuaVM;
  call(argc: number): Buffer | string {
    const args: string[] = [];
    for (let i = 0; i < argc; i++) args.push(this.vm.argBuf.toString('latin1', this.vm.argOff[i], this.vm.argOff[i] + this.vm.argLen[i]));
    this.calls.push(args);
    if (args[0] === 'fail') return 'Unknown Redis command called from script';
    return Buffer.from(`$${args[1]?.length ?? 0}\r\n${args[1] ?? ''}\r\n`, 'latin1');
  }
  log(): void {}
  interrupt(): number {
    return 0;
  }
  unyieldable(): number {
    return 0;
  }
  aclCheck(): number {
    return 1;
  }
  registerFunction(): string | null {
    return null;
  }
}

function run(vm: LuaVM, script: string, keys: string[] = [], args: string[] = [], resp = 2): string {
  const body = Buffer.from(script, 'latin1');
  const sha = createHash('sha1').update(body).digest('hex');
  vm.setName(sha);
  if (vm.evalCompile(sha, body) !== 0) return vm.output().toString('latin1');
  const all = [...keys, ...args].map((s) => Buffer.from(s, 'latin1'));
  const buf = Buffer.concat(all);
  const off = new Int32Array(all.length);
  const len = new Int32Array(all.length);
  let p = 0;
  all.forEach((b, i) => {
    off[i] = p;
    len[i] = b.length;
    p += b.length;
  });
  expect(vm.evalRun(sha, buf, off, len, 0, keys.length, all.length, resp, false)).toBe(0);
  return vm.output().toString('latin1').replace(/script: [0-9a-f]{40}/, 'script: SHA');
}

describe('LuaVM (wasmoon-lua5.1)', () => {
  const host = new StubHost();
  const vm = new LuaVM();
  host.vm = vm;
  vm.setHost(host);

  it('runs Lua 5.1 and converts results as Redis does', () => {
    expect(run(vm, 'return 1')).toBe(':1\r\n');
    expect(run(vm, "return {1, 'a', {2}, nil, 3}")).toBe('*3\r\n:1\r\n$1\r\na\r\n*1\r\n:2\r\n');
    expect(run(vm, 'return tostring(10/2) .. _VERSION')).toBe('$8\r\n5Lua 5.1\r\n');
    expect(run(vm, 'return 3.99')).toBe(':3\r\n');
    expect(run(vm, 'return 0/0')).toBe(':-9223372036854775808\r\n');
    expect(run(vm, 'return true')).toBe(':1\r\n');
    expect(run(vm, 'return false')).toBe('$-1\r\n');
    expect(run(vm, "return {ok='fine'}")).toBe('+fine\r\n');
    expect(run(vm, "return {double=1.5}", [], [], 3)).toBe(',1.5\r\n');
    expect(run(vm, 'return KEYS[1] .. ARGV[1]', ['k\0'], ['v\xff'])).toBe('$4\r\nk\0v\xff\r\n');
  });

  it('redis.call passes numbers as %.17g and raises command errors', () => {
    expect(run(vm, "return redis.call('echo', 0.1)")).toBe('$19\r\n0.10000000000000001\r\n');
    expect(host.calls.at(-1)).toEqual(['echo', '0.10000000000000001']);
    // Integers are written as digits in place (no string); the rest goes through %.17g.
    run(vm, "return redis.call('echo', 1733622000000, -42, 0, 9007199254740991, -9007199254740991, 9007199254740992, 1e17, 2.5)");
    expect(host.calls.at(-1)).toEqual(['echo', '1733622000000', '-42', '0', '9007199254740991', '-9007199254740991', '9007199254740992', '1e+17', '2.5']);
    run(vm, "local z = 0 return redis.call('echo', -z)");
    expect(host.calls.at(-1)).toEqual(['echo', '-0']);
    expect(run(vm, "return redis.call('fail')")).toBe('-ERR Unknown Redis command called from script script: SHA, on @user_script:1.\r\n');
    expect(run(vm, "return redis.pcall('fail').err")).toBe('$44\r\nERR Unknown Redis command called from script\r\n');
  });

  it('keeps globals and library tables read-only, and still iterable', () => {
    expect(run(vm, 'x = 1')).toBe('-ERR user_script:1: Attempt to modify a readonly table script: SHA, on @user_script:1.\r\n');
    expect(run(vm, "rawset(_G, 'x', 1)")).toBe('-ERR Attempt to modify a readonly table script: SHA, on @user_script:1.\r\n');
    expect(run(vm, 'table.insert(_G, 1)')).toBe('-ERR Attempt to modify a readonly table script: SHA, on @user_script:1.\r\n');
    expect(run(vm, 'redis.call = nil')).toBe('-ERR user_script:1: Attempt to modify a readonly table script: SHA, on @user_script:1.\r\n');
    expect(run(vm, 'return nope')).toBe("-ERR user_script:1: Script attempted to access nonexistent global variable 'nope' script: SHA, on @user_script:1.\r\n");
    expect(run(vm, 'local n = 0 for _ in pairs(math) do n = n + 1 end return n')).toBe(':31\r\n');
    expect(run(vm, "return rawget(string, 'rep') == string.rep")).toBe(':1\r\n');
    expect(run(vm, 'return type(getfenv) ')).toMatch(/nonexistent global variable 'getfenv'/);
  });

  it('has cjson, cmsgpack, bit and struct', () => {
    expect(run(vm, "return cjson.encode({1, 'a', {b=true}})")).toBe('$18\r\n[1,"a",{"b":true}]\r\n');
    expect(run(vm, "return cjson.decode('[1,2,{\"x\":3}]')[3].x")).toBe(':3\r\n');
    expect(run(vm, "return cmsgpack.pack({1, 2})")).toBe('$3\r\n\x92\x01\x02\r\n');
    expect(run(vm, 'return bit.band(0xff, 0x0f)')).toBe(':15\r\n');
    expect(run(vm, "return struct.pack('>I2', 258)")).toBe('$2\r\n\x01\x02\r\n');
  });

  it('a script calling coroutine.yield outside a coroutine fails as under lua_pcall', () => {
    expect(run(vm, 'coroutine.yield()')).toBe('-ERR attempt to yield across metamethod/C-call boundary script: SHA, on @user_script:1.\r\n');
    expect(run(vm, 'return 2')).toBe(':2\r\n');
  });
});

describe('C formatting helpers', () => {
  it('formatG is printf %.Ng', () => {
    expect(formatG(0.1, 17)).toBe('0.10000000000000001');
    expect(formatG(3, 17)).toBe('3');
    expect(formatG(1e20, 17)).toBe('1e+20');
    expect(formatG(-(2 ** 63), 17)).toBe('-9.2233720368547758e+18');
    expect(formatG(1e-5, 17)).toBe('1.0000000000000001e-05');
    expect(formatG(123456.789, 14)).toBe('123456.789');
    expect(formatG(1e15, 14)).toBe('1e+15');
    expect(formatG(Infinity, 17)).toBe('inf');
  });

  it("formatG's integer shortcut prints what the general %.Ng path prints", () => {
    const samples = [1, -1, 7, 99, 1733622000000, 2 ** 53 - 1, -(2 ** 53 - 1), 2 ** 53, 2 ** 53 + 2, -0, 0];
    for (let p = 1; p <= 17; p++) samples.push(10 ** p - 1, 10 ** p, 10 ** p + 1, -(10 ** p - 1), -(10 ** p));
    let seed = 12345;
    for (let i = 0; i < 2000; i++) {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      samples.push(Math.floor((seed / 2147483648 - 0.5) * 10 ** (i % 18)));
    }
    for (const prec of [1, 6, 14, 17]) {
      for (const x of samples) expect(formatG(x, prec), `${x} at %.${prec}g`).toBe(formatGGeneral(x, prec));
    }
  });

  it('toLongLong is the x86-64 (long long) cast', () => {
    expect(toLongLong(3.99)).toBe('3');
    expect(toLongLong(-3.99)).toBe('-3');
    expect(toLongLong(2 ** 63)).toBe('-9223372036854775808');
    expect(toLongLong(2 ** 62)).toBe('4611686018427387904');
  });
});
