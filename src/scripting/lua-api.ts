/*
 * The raw Lua 5.1 C API of the npm package wasmoon-lua5.1 (Lua 5.1 compiled to WebAssembly by
 * Emscripten), and the few helpers every other scripting module needs on top of it.
 *
 * The package's own JavaScript layer converts strings as UTF-8, which would merge different
 * binary strings; it is not used. Everything here calls the module's exported C functions
 * (`_lua_pushlstring`, `_lua_tolstring`, ...) directly and moves bytes through a scratch area of
 * the module's heap, so Lua strings stay byte strings end to end.
 *
 * One WebAssembly instance serves the whole process (it is instantiated once, at import time);
 * each ScriptingEngine opens its own lua_States in it. A JavaScript function becomes a Lua C
 * function through `cfunction()` (Emscripten's addFunction). Lua errors are longjmps, which this
 * build implements by throwing the JavaScript value Infinity: it passes through JavaScript frames
 * like any exception and must never be caught and swallowed by them.
 */
import { createRequire } from 'node:module';
import { copyBytes } from '../../store/bytes.ts';

/** The Emscripten module: heap views and the exported C functions (`_lua_*`, `_luaL_*`). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Em = { HEAPU8: Uint8Array; HEAPU32: Uint32Array; HEAP32: Int32Array; HEAPF64: Float64Array; addFunction(f: (...args: number[]) => number | void, sig: string): number } & Record<string, any>;

const requireCjs = createRequire(import.meta.url);
const wasmoon = requireCjs('wasmoon-lua5.1') as { LuaApi: { initialize(): Promise<{ module: unknown }> } };

/**
 * The module, its exported C functions replaced by the raw WebAssembly exports: the package's
 * Emscripten build wraps each export in a checking closure (a rest-arguments call and two
 * assertion messages built per call), which would dominate a short script's cost.
 */
async function instantiate(): Promise<Em> {
  const original = WebAssembly.instantiate;
  let exports: WebAssembly.Exports | null = null;
  (WebAssembly as { instantiate: unknown }).instantiate = async (...args: Parameters<typeof WebAssembly.instantiate>) => {
    const result = (await (original as (...a: unknown[]) => Promise<unknown>)(...args)) as WebAssembly.WebAssemblyInstantiatedSource | WebAssembly.Instance;
    const instance = 'instance' in result ? result.instance : result;
    exports ??= instance.exports;
    return result;
  };
  let module: Em;
  try {
    module = (await wasmoon.LuaApi.initialize()).module as Em;
  } finally {
    (WebAssembly as { instantiate: unknown }).instantiate = original;
  }
  const raw = exports as WebAssembly.Exports | null;
  if (raw !== null) {
    for (const key of Object.keys(module)) {
      if (!key.startsWith('_lua') && key !== '_malloc' && key !== '_free') continue;
      const f = raw[key.slice(1)];
      if (typeof f === 'function') module[key] = f;
    }
  }
  return module;
}

export const M = await instantiate();

export const LUA_REGISTRYINDEX = -10000;
export const LUA_GLOBALSINDEX = -10002;
export const LUA_MULTRET = -1;
export const T_NIL = 0;
export const T_BOOLEAN = 1;
export const T_LIGHTUSERDATA = 2;
export const T_NUMBER = 3;
export const T_STRING = 4;
export const T_TABLE = 5;
export const T_FUNCTION = 6;
export const LUA_YIELD = 1;
export const LUA_GCCOUNT = 3;
export const LUA_GCCOUNTB = 4;
export const LUA_GCSTEP = 5;
export const LUA_MASKLINE = 4;
export const LUA_MASKCOUNT = 8;

/** Thrown by the module for a Lua error (Emscripten's longjmp); let it pass. */
export const LONGJMP = Infinity;

let scratch = M._malloc(4096) as number;
let scratchCap = 4096;
const lenPtr = M._malloc(16) as number;

/** A scratch area of at least n bytes in the module's heap (valid until the next reserve). */
export function reserve(n: number): number {
  if (n > scratchCap) {
    M._free(scratch);
    scratchCap = Math.max(n, scratchCap * 2);
    scratch = M._malloc(scratchCap);
  }
  return scratch;
}

const cstrings = new Map<string, number>();

/** A NUL-terminated C string in the module's heap, kept for the life of the process. */
export function cs(s: string): number {
  let p = cstrings.get(s);
  if (p === undefined) {
    const b = Buffer.from(s + '\0', 'latin1');
    p = M._malloc(b.length) as number;
    M.HEAPU8.set(b, p);
    cstrings.set(s, p);
  }
  return p;
}

export function pushBytes(L: number, b: Uint8Array): void {
  const p = reserve(b.length + 1);
  M.HEAPU8.set(b, p);
  M._lua_pushlstring(L, p, b.length);
}

/** pushBytes of buf[off, off+len), without a view of it. */
export function pushSlice(L: number, buf: Uint8Array, off: number, len: number): void {
  const p = reserve(len + 1);
  const heap = M.HEAPU8;
  copyBytes(buf, off, heap, p, len);
  M._lua_pushlstring(L, p, len);
}

/** A JavaScript string of bytes (one char per byte, latin1). */
export function pushString(L: number, s: string): void {
  pushBytes(L, Buffer.from(s, 'latin1'));
}

/** A short constant string (cached as a C string). */
export function pushLiteral(L: number, s: string): void {
  M._lua_pushstring(L, cs(s));
}

/** The bytes of a string or number (converted in place, as lua_tolstring does), or null. Copied. */
export function toBytes(L: number, idx: number): Buffer | null {
  const p = M._lua_tolstring(L, idx, lenPtr) as number;
  if (p === 0) return null;
  const n = M.HEAPU32[lenPtr >> 2];
  return Buffer.from(M.HEAPU8.subarray(p, p + n));
}

/**
 * lua_tolstring without a copy: the address in the Lua heap (M.HEAPU8, read after this call) of
 * the bytes of the string or number at idx (a number is converted in place), or 0 for another
 * type; their count is then in `heapString.length`.
 */
export function heapStringAt(L: number, idx: number): number {
  const p = M._lua_tolstring(L, idx, lenPtr) as number;
  heapString.length = p === 0 ? 0 : M.HEAPU32[lenPtr >> 2];
  return p;
}
export const heapString = { length: 0 };

/** toBytes as latin1 text, or null. */
export function toStr(L: number, idx: number): string | null {
  const p = M._lua_tolstring(L, idx, lenPtr) as number;
  if (p === 0) return null;
  const n = M.HEAPU32[lenPtr >> 2];
  return Buffer.from(M.HEAPU8.buffer, M.HEAPU8.byteOffset + p, n).toString('latin1');
}

/** A C string as C code reading it with lua_tostring would see it: up to the first NUL. */
export function toCStr(L: number, idx: number): string | null {
  const s = toStr(L, idx);
  if (s === null) return null;
  const nul = s.indexOf('\0');
  return nul < 0 ? s : s.slice(0, nul);
}

export function pop(L: number, n: number): void {
  M._lua_settop(L, -n - 1);
}

export function upvalueIndex(i: number): number {
  return LUA_GLOBALSINDEX - i;
}

/** Raise a Lua error with the string msg (prefixed like luaL_error: the caller's position). */
export function raise(L: number, msg: string): never {
  M._luaL_where(L, 1);
  pushString(L, msg);
  M._lua_concat(L, 2);
  M._lua_error(L);
  throw new Error('unreachable');
}

/** Raise the value on top of the stack. */
export function raiseTop(L: number): never {
  M._lua_error(L);
  throw new Error('unreachable');
}

/** luaL_argerror. */
export function argError(L: number, arg: number, msg: string): never {
  M._luaL_argerror(L, arg, cs(msg));
  throw new Error('unreachable');
}

/**
 * A Lua C function made of a JavaScript one. A JavaScript exception (a bug here or in the
 * server) becomes a Lua error, so the interpreter's state stays consistent.
 */
export function cfunction(f: (L: number) => number): number {
  return M.addFunction((L: number): number => {
    try {
      return f(L);
    } catch (err) {
      if (err === LONGJMP) throw err;
      pushString(L, `internal error: ${err instanceof Error ? err.message : String(err)}`);
      M._lua_error(L);
      return 0;
    }
  }, 'ii');
}

/** Register f as t[name] for the table at the top of the stack. */
export function setFunction(L: number, name: string, f: number): void {
  M._lua_pushcclosure(L, f, 0);
  M._lua_setfield(L, -2, cs(name));
}

export function setNumber(L: number, name: string, n: number): void {
  M._lua_pushnumber(L, n);
  M._lua_setfield(L, -2, cs(name));
}

/** The state's shared part (global_State*), the same for every coroutine of one interpreter. */
export function globalOf(L: number): number {
  return M.HEAPU32[(L + 16) >> 2];
}

/** The thread is not inside a C call (pcall, a metamethod, a sort comparator...): it can yield. */
export function canYield(L: number): boolean {
  const u16 = M.HEAPU8.buffer;
  const view = new Uint16Array(u16, L + 52, 2);
  return view[0] === view[1];
}

/** 10^p for the precisions formatG is asked for. */
const POW10 = Array.from({ length: 18 }, (_, p) => 10 ** p);

/**
 * C's printf("%.<prec>g", x). An integer of fewer than `prec` digits (a safe integer, so
 * String(x) gives its exact digits) prints as those digits: the common case of numbers passed
 * to redis.call (timestamps, counters), where the general path's toExponential, slicing and
 * regular expressions were the largest JS cost of a BullMQ job.
 */
export function formatG(x: number, prec: number): string {
  if (Number.isSafeInteger(x) && x !== 0 && prec < POW10.length && (x < 0 ? -x : x) < POW10[prec === 0 ? 1 : prec]) return String(x);
  return formatGGeneral(x, prec);
}

/** formatG without the integer shortcut (exported for the test that checks the shortcut against it). */
export function formatGGeneral(x: number, prec: number): string {
  if (Number.isNaN(x)) return signBit(x) ? '-nan' : 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const p = prec === 0 ? 1 : prec;
  const exp = x.toExponential(p - 1);
  const e = Number(exp.slice(exp.indexOf('e') + 1));
  if (e < -4 || e >= p) {
    let mant = exp.slice(0, exp.indexOf('e'));
    if (mant.includes('.')) mant = mant.replace(/0+$/, '').replace(/\.$/, '');
    const ae = Math.abs(e);
    return `${mant}e${e < 0 ? '-' : '+'}${ae < 10 ? '0' : ''}${ae}`;
  }
  let fixed = x.toFixed(Math.max(0, p - 1 - e));
  if (fixed.includes('.')) fixed = fixed.replace(/0+$/, '').replace(/\.$/, '');
  return fixed;
}

const f64 = new Float64Array(1);
const u8of64 = new Uint8Array(f64.buffer);

function signBit(x: number): boolean {
  f64[0] = x;
  return (u8of64[7] & 0x80) !== 0;
}

const TWO63 = 9223372036854775808;

/** C's (long long) cast of a double as x86-64 does it: out of range and NaN give INT64_MIN. */
export function toLongLong(x: number): string {
  if (Number.isNaN(x) || x >= TWO63 || x < -TWO63) return '-9223372036854775808';
  const t = Math.trunc(x);
  if (Number.isSafeInteger(t)) return String(t === 0 ? 0 : t);
  return BigInt(t).toString();
}

/** C's (int) of (long long) of a double, as x86-64 redis-server computes luaL_checkint. */
export function toInt(x: number): number {
  if (Number.isNaN(x) || x >= TWO63 || x < -TWO63) return 0;
  const t = Math.trunc(x);
  if (Number.isSafeInteger(t)) return t | 0;
  return Number(BigInt.asIntN(32, BigInt(t)));
}

/** luaL_checkint with redis-server's 64-bit lua_Integer (this build's is 32-bit). */
export function checkInt(L: number, arg: number): number {
  return toInt(M._luaL_checknumber(L, arg) as number);
}

/** luaL_optint likewise. */
export function optInt(L: number, arg: number, def: number): number {
  return (M._lua_type(L, arg) as number) <= 0 ? def : checkInt(L, arg);
}
