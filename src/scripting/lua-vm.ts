/*
 * The Lua VM of one server: two Lua 5.1 interpreters (lua_States of the wasmoon-lua5.1 module,
 * see lua-api.ts), one for EVAL scripts and one for FUNCTION libraries, as Redis 7.0 keeps them,
 * each set up with the environment Redis gives scripts:
 *
 *  - the Lua 5.1 base, table, string, math and coroutine libraries, less what Redis leaves out
 *    (io, os, package, print, dofile, loadfile, require, module, getfenv, setfenv, newproxy,
 *    debug), plus cjson, cmsgpack, bit and struct (lua-libs.ts) and the `redis` table;
 *  - Redis's pcall (a Lua error table gives its `err` text), math.random/randomseed on Redis's
 *    rand48 sequence;
 *  - read-only globals and library tables. Stock Lua 5.1 has no read-only tables (Redis patches
 *    its Lua for them), so each protected table is reached through an empty proxy whose
 *    metatable reads from the real table and refuses writes with Redis's error. rawset, rawget,
 *    next, pairs, ipairs, getmetatable, setmetatable, table.insert and table.remove see through
 *    proxies (and refuse to write into them), so scripts observe what Redis's tables give them
 *    (other library functions see a proxy as the empty table it is: see the README);
 *  - reading a missing global raises "Script attempted to access nonexistent global variable".
 *
 * Scripts run in a coroutine of the interpreter so that a count hook can suspend a runaway
 * script (lua_yield from the hook, Lua 5.1 allows it where no C call is in between) and the
 * engine can resume it from the event loop. A script's error object is turned into Redis's
 * error table from the dead coroutine's stack, as Redis's __redis__err__handler does from
 * inside lua_pcall.
 *
 * Lua values and RESP: redis.call's reply (RESP2 or RESP3 bytes from the script client) becomes
 * Lua values by Redis's rules (redisProtocolToLuaType); the script's result becomes the caller's
 * reply by luaReplyToRedisReply's rules, both in lua-resp.ts.
 */
import { performance } from 'node:perf_hooks';
import { createHash } from 'node:crypto';
import {
  M, LUA_REGISTRYINDEX, LUA_GLOBALSINDEX, LUA_MULTRET, T_NIL, T_BOOLEAN, T_NUMBER, T_STRING, T_TABLE, T_FUNCTION,
  LUA_YIELD, LUA_GCCOUNT, LUA_GCCOUNTB, LUA_GCSTEP, LUA_MASKCOUNT, LUA_MASKLINE,
  cs, cfunction, pushBytes, pushSlice, pushString, pushLiteral, toBytes, toStr, heapStringAt, heapString, toCStr, pop, raise, raiseTop, argError, setFunction,
  setNumber, globalOf, canYield, formatG, checkInt, optInt,
} from './lua-api.ts';
import { pushErrorTable, pushRespReply, writeLuaReply, RespWriter } from './lua-resp.ts';
import { openLibraries, forgetLibraryState } from './lua-libs.ts';
import { SCRIPT_FLAG_NAMES } from './shebang.ts';
import { formatInteger, MAX_INT64_TEXT } from '../../store/integer-text.ts';

/** What the VM asks of the server while a script runs (implemented by engine.ts). */
export interface LuaHost {
  /**
   * redis.call/pcall with argc arguments in vm.argBuf/argOff/argLen: a buffer holding the RESP
   * reply from replyOffset on (valid until the next call), or a rejection text.
   */
  call(argc: number, resp: number): Buffer | string;
  /** Where the reply starts in the buffer the last call() returned. */
  readonly replyOffset: number;
  log(level: number, message: string): void;
  /** Count hook: 0 go on, 1 yield to the event loop, 2 kill. */
  interrupt(): number;
  /** interrupt() said yield, but the script is where Lua cannot yield: 0 go on, 2 kill. */
  unyieldable(): number;
  /** redis.acl_check_cmd: -1 unknown command, 0 denied, 1 permitted. */
  aclCheck(argc: number): number;
  /** redis.register_function during FUNCTION LOAD: null, or an error text. */
  registerFunction(name: Buffer, description: Buffer | null, ref: number, flags: number): string | null;
}

const REDIS_VERSION = '7.0.15';
const REDIS_VERSION_NUM = 0x07000f;
const HOOK_COUNT = 100000;
const GC_CYCLE_PERIOD = 50;
/** Buffer.prototype.copy, applied to the Lua heap (a Uint8Array) as its source. */
const copyBytes = Buffer.prototype.copy;
const E_READONLY = 'Attempt to modify a readonly table';

/** Interpreters by their global_State, so a C function can find its own from any coroutine. */
/**
 * Interpreters by their global_State, so a C function can find its own from any coroutine.
 * Weakly: a server that is gone (its engine unreachable) lets its interpreters be collected,
 * and the finalizer closes their lua_States in the shared module.
 */
const interpreters = new Map<number, WeakRef<Interpreter>>();
const closer = new FinalizationRegistry<number>((L) => {
  interpreters.delete(globalOf(L));
  forgetLibraryState(L);
  M._lua_close(L);
});

function interp(L: number): Interpreter {
  return interpreters.get(globalOf(L))!.deref()!;
}

// ---- lua_Debug (Lua 5.1, wasm32 layout) ----
const AR_SIZE = 100;
const AR_WHAT = 12;
const AR_SOURCE = 16;
const AR_CURRENTLINE = 20;
const ar = M._malloc(AR_SIZE) as number;

function cstringAt(p: number): string {
  if (p === 0) return '';
  const heap = M.HEAPU8;
  let e = p;
  while (heap[e] !== 0) e++;
  return Buffer.from(heap.subarray(p, e)).toString('latin1');
}

/** source and currentline of the function at `level` of L's stack, or null. */
function frameInfo(L: number, level: number): { what: string; source: string; line: number } | null {
  if (M._lua_getstack(L, level, ar) === 0) return null;
  M._lua_getinfo(L, cs('nSl'), ar);
  const heap = M.HEAP32;
  return { what: cstringAt(M.HEAPU32[(ar + AR_WHAT) >> 2]), source: cstringAt(M.HEAPU32[(ar + AR_SOURCE) >> 2]), line: heap[(ar + AR_CURRENTLINE) >> 2] };
}

// ---- Redis's rand48 (the drand48 sequence, seeded as redisSrand48) ----
class Rand48 {
  private x = 0x1234abcd330en;

  next(): number {
    this.x = (0x5deece66dn * this.x + 0xbn) & 0xffffffffffffn;
    return Number(this.x >> 17n);
  }

  seed(v: number): void {
    this.x = ((BigInt(v & 0xffffffff) << 16n) | 0x330en) & 0xffffffffffffn;
  }
}

// ---- C functions shared by every interpreter ----

function redisGenericCall(L: number, raiseError: boolean): number {
  const it = interp(L);
  const vm = it.vm;
  if (!vm.running) {
    pushErrorTable(L, 'redis.call/pcall can only be called inside a script invocation');
    return raiseTop(L);
  }
  const argc = M._lua_gettop(L) as number;
  if (argc === 0) {
    pushErrorTable(L, 'Please specify at least one argument for this redis lib call');
    return raiseError ? raiseTop(L) : 1;
  }
  if (!vm.collectArgs(L, argc)) {
    pushErrorTable(L, 'Lua redis lib command arguments must be strings or integers');
    return raiseError ? raiseTop(L) : 1;
  }
  const reply = vm.host!.call(argc, vm.scriptResp);
  if (typeof reply === 'string') {
    pushErrorTable(L, reply);
    pushLiteral(L, 'ignore_error_stats_update');
    M._lua_pushboolean(L, 1);
    M._lua_settable(L, -3);
    return raiseError ? raiseTop(L) : 1;
  }
  const at = vm.host!.replyOffset;
  pushRespReply(L, reply, at);
  if (raiseError && reply[at] === 0x2d) return raiseTop(L);
  return 1;
}

const fnCall = cfunction((L) => redisGenericCall(L, true));
const fnPcall = cfunction((L) => redisGenericCall(L, false));

/** Redis's pcall: a Lua error table is returned as its err text. */
const fnLuaPcall = cfunction((L) => {
  const argc = M._lua_gettop(L) as number;
  M._lua_pushboolean(L, 1);
  M._lua_insert(L, 1);
  if (M._lua_pcall(L, argc - 1, LUA_MULTRET, 0) !== 0) {
    M._lua_remove(L, 1);
    if (M._lua_type(L, -1) === T_TABLE) {
      M._lua_getfield(L, -1, cs('err'));
      if (M._lua_isstring(L, -1)) M._lua_replace(L, -2);
    }
    M._lua_pushboolean(L, 0);
    M._lua_insert(L, 1);
  }
  return M._lua_gettop(L);
});

const fnSha1hex = cfunction((L) => {
  if (M._lua_gettop(L) !== 1) {
    pushErrorTable(L, 'wrong number of arguments');
    return raiseTop(L);
  }
  const s = toBytes(L, 1) ?? Buffer.alloc(0);
  pushLiteral(L, createHash('sha1').update(s).digest('hex'));
  return 1;
});

const fnErrorReply = cfunction((L) => {
  if (M._lua_gettop(L) !== 1 || M._lua_type(L, -1) !== T_STRING) {
    pushErrorTable(L, 'wrong number or type of arguments');
    return 1;
  }
  const err = toCStr(L, -1)!;
  pushErrorTable(L, err.startsWith('-') ? err : `-${err}`);
  return 1;
});

const fnStatusReply = cfunction((L) => {
  if (M._lua_gettop(L) !== 1 || M._lua_type(L, -1) !== T_STRING) {
    pushErrorTable(L, 'wrong number or type of arguments');
    return 1;
  }
  M._lua_createtable(L, 0, 1);
  M._lua_pushvalue(L, -2);
  M._lua_setfield(L, -2, cs('ok'));
  return 1;
});

const fnSetRepl = cfunction((L) => {
  if (!interp(L).vm.running) {
    pushErrorTable(L, 'redis.set_repl can only be called inside a script invocation');
    return raiseTop(L);
  }
  if (M._lua_gettop(L) !== 1) {
    pushErrorTable(L, 'redis.set_repl() requires two arguments.');
    return raiseTop(L);
  }
  const flags = Math.trunc(M._lua_tonumber(L, -1) as number) | 0;
  if ((flags & ~3) !== 0) {
    pushErrorTable(L, 'Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.');
    return raiseTop(L);
  }
  return 0;
});

const fnAclCheck = cfunction((L) => {
  const vm = interp(L).vm;
  if (!vm.running) {
    pushErrorTable(L, 'redis.acl_check_cmd can only be called inside a script invocation');
    return raiseTop(L);
  }
  const argc = M._lua_gettop(L) as number;
  if (argc === 0) {
    pushErrorTable(L, 'Please specify at least one argument for this redis lib call');
    return raiseTop(L);
  }
  if (!vm.collectArgs(L, argc)) {
    pushErrorTable(L, 'Lua redis lib command arguments must be strings or integers');
    return raiseTop(L);
  }
  const r = vm.host!.aclCheck(argc);
  if (r < 0) {
    pushErrorTable(L, 'Invalid command passed to redis.acl_check_cmd()');
    return raiseTop(L);
  }
  M._lua_pushboolean(L, r);
  return 1;
});

const fnLog = cfunction((L) => {
  const argc = M._lua_gettop(L) as number;
  if (argc < 2) {
    pushErrorTable(L, 'redis.log() requires two arguments or more.');
    return raiseTop(L);
  }
  if (!M._lua_isnumber(L, -argc)) {
    pushErrorTable(L, 'First argument must be a number (log level).');
    return raiseTop(L);
  }
  const level = Math.trunc(M._lua_tonumber(L, -argc) as number);
  if (!(level >= 0 && level <= 3)) {
    pushErrorTable(L, 'Invalid debug level.');
    return raiseTop(L);
  }
  let msg = '';
  let first = true;
  for (let j = 1; j < argc; j++) {
    const s = toStr(L, -argc + j);
    if (s === null) continue;
    if (!first) msg += ' ';
    msg += s;
    first = false;
  }
  interp(L).vm.host?.log(level, msg);
  return 0;
});

const fnSetResp = cfunction((L) => {
  const vm = interp(L).vm;
  if (!vm.running) {
    pushErrorTable(L, 'redis.setresp can only be called inside a script invocation');
    return raiseTop(L);
  }
  if (M._lua_gettop(L) !== 1) {
    pushErrorTable(L, 'redis.setresp() requires one argument.');
    return raiseTop(L);
  }
  const resp = Math.trunc(M._lua_tonumber(L, -1) as number);
  if (resp !== 2 && resp !== 3) {
    pushErrorTable(L, 'RESP version must be 2 or 3.');
    return raiseTop(L);
  }
  vm.scriptResp = resp;
  return 0;
});

const fnBreakpoint = cfunction((L) => {
  M._lua_pushboolean(L, 0);
  return 1;
});

const fnDebug = cfunction(() => 0);

const fnReplicateCommands = cfunction((L) => {
  M._lua_pushboolean(L, 1);
  return 1;
});

const fnRandom = cfunction((L) => {
  const vm = interp(L).vm;
  if (!vm.running) raise(L, 'math.random can only be called inside a script invocation');
  const REDIS_LRAND48_MAX = 2147483647;
  const r = (vm.rand.next() % REDIS_LRAND48_MAX) / REDIS_LRAND48_MAX;
  switch (M._lua_gettop(L)) {
    case 0:
      M._lua_pushnumber(L, r);
      break;
    case 1: {
      const u = checkInt(L, 1);
      if (!(1 <= u)) argError(L, 1, 'interval is empty');
      M._lua_pushnumber(L, Math.floor(r * u) + 1);
      break;
    }
    case 2: {
      const l = checkInt(L, 1);
      const u = checkInt(L, 2);
      if (!(l <= u)) argError(L, 2, 'interval is empty');
      M._lua_pushnumber(L, Math.floor(r * (u - l + 1)) + l);
      break;
    }
    default:
      raise(L, 'wrong number of arguments');
  }
  return 1;
});

const fnRandomseed = cfunction((L) => {
  const vm = interp(L).vm;
  if (!vm.running) raise(L, 'math.randomseed can only be called inside a script invocation');
  vm.rand.seed(checkInt(L, 1));
  return 0;
});

const fnRegisterFunction = cfunction((L) => {
  const it = interp(L);
  const vm = it.vm;
  if (!vm.loading) {
    pushErrorTable(L, 'redis.register_function can only be called on FUNCTION LOAD command');
    return raiseTop(L);
  }
  const argc = M._lua_gettop(L) as number;
  let name: Buffer | null = null;
  let desc: Buffer | null = null;
  let ref = -1;
  let flags = 0;
  let err: string | null = null;
  if (argc < 1 || argc > 2) err = 'wrong number of arguments to redis.register_function';
  else if (argc === 1) {
    if (M._lua_type(L, 1) !== T_TABLE) {
      err = 'calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).';
    } else {
      M._lua_pushnil(L);
      while (M._lua_next(L, 1) !== 0) {
        if (!M._lua_isstring(L, -2)) {
          err = 'named argument key given to redis.register_function is not a string';
          break;
        }
        M._lua_pushvalue(L, -2);
        const key = (toCStr(L, -1) ?? '').toLowerCase();
        pop(L, 1);
        if (key === 'function_name') {
          name = M._lua_isstring(L, -1) ? toBytes(L, -1) : null;
          if (name === null) {
            err = 'function_name argument given to redis.register_function must be a string';
            break;
          }
        } else if (key === 'description') {
          desc = M._lua_isstring(L, -1) ? toBytes(L, -1) : null;
          if (desc === null) {
            err = 'description argument given to redis.register_function must be a string';
            break;
          }
        } else if (key === 'callback') {
          if (M._lua_type(L, -1) !== T_FUNCTION) {
            err = 'callback argument given to redis.register_function must be a function';
            break;
          }
          if (ref >= 0) M._luaL_unref(L, LUA_REGISTRYINDEX, ref);
          ref = M._luaL_ref(L, LUA_REGISTRYINDEX);
          continue;
        } else if (key === 'flags') {
          if (M._lua_type(L, -1) !== T_TABLE) {
            err = 'flags argument to redis.register_function must be a table representing function flags';
            break;
          }
          const f = readFlags(L);
          if (f < 0) {
            err = 'unknown flag given';
            break;
          }
          flags = f;
        } else {
          err = 'unknown argument given to redis.register_function';
          break;
        }
        pop(L, 1);
      }
      if (err === null && name === null) err = 'redis.register_function must get a function name argument';
      else if (err === null && ref < 0) err = 'redis.register_function must get a callback argument';
    }
  } else {
    name = M._lua_isstring(L, 1) ? toBytes(L, 1) : null;
    if (name === null) err = 'first argument to redis.register_function must be a string';
    else if (M._lua_type(L, 2) !== T_FUNCTION) err = 'second argument to redis.register_function must be a function';
    else ref = M._luaL_ref(L, LUA_REGISTRYINDEX);
  }
  if (err === null) err = vm.host!.registerFunction(name!, desc, ref, flags);
  if (err !== null) {
    if (ref >= 0) M._luaL_unref(L, LUA_REGISTRYINDEX, ref);
    pushErrorTable(L, err);
    return raiseTop(L);
  }
  return 0;
});

/** The flags table of register_function: the flag bits, or -1 for an unknown flag. */
function readFlags(L: number): number {
  let flags = 0;
  for (let j = 1; ; j++) {
    M._lua_pushnumber(L, j);
    M._lua_gettable(L, -2);
    const t = M._lua_type(L, -1);
    if (t === T_NIL) {
      pop(L, 1);
      return flags;
    }
    if (!M._lua_isstring(L, -1)) {
      pop(L, 1);
      return -1;
    }
    const s = (toCStr(L, -1) ?? '').toLowerCase();
    pop(L, 1);
    const def = SCRIPT_FLAG_NAMES.find(([, n]) => n === s);
    if (def === undefined) return -1;
    flags |= def[0];
  }
}

// ---- read-only tables (proxies) ----

/** The real table behind a proxy at idx, pushed; or the value itself when it is no proxy. Returns true for a proxy. */
function pushReal(L: number, idx: number): boolean {
  const it = interp(L);
  const abs = idx > 0 || idx <= LUA_REGISTRYINDEX ? idx : (M._lua_gettop(L) as number) + idx + 1;
  M._lua_rawgeti(L, LUA_REGISTRYINDEX, it.realOfRef);
  M._lua_pushvalue(L, abs);
  M._lua_rawget(L, -2);
  M._lua_remove(L, -2);
  if (M._lua_type(L, -1) === T_NIL) {
    pop(L, 1);
    M._lua_pushvalue(L, abs);
    return false;
  }
  return true;
}

function isProxy(L: number, idx: number): boolean {
  const r = pushReal(L, idx);
  pop(L, 1);
  return r;
}

/** __newindex of a proxy: writes into a read-only table are refused. */
const fnReadonly = cfunction((L) => raise(L, E_READONLY));

/** __index of the globals: a missing global is an error. */
const fnMissingGlobal = cfunction((L) => {
  const argc = M._lua_gettop(L);
  if (argc !== 2) raise(L, 'Wrong number of arguments to luaProtectedTableError');
  if (!M._lua_isstring(L, -1) && !M._lua_isnumber(L, -1)) raise(L, 'Second argument to luaProtectedTableError must be a string or number');
  return raise(L, `Script attempted to access nonexistent global variable '${toCStr(L, -1)}'`);
});

function readonlyError(L: number): never {
  pushString(L, E_READONLY);
  return raiseTop(L);
}

const fnRawset = cfunction((L) => {
  M._luaL_checktype(L, 1, T_TABLE);
  M._luaL_checkany(L, 2);
  M._luaL_checkany(L, 3);
  if (isProxy(L, 1)) readonlyError(L);
  M._lua_settop(L, 3);
  M._lua_rawset(L, 1);
  return 1;
});

const fnRawget = cfunction((L) => {
  M._luaL_checktype(L, 1, T_TABLE);
  M._luaL_checkany(L, 2);
  M._lua_settop(L, 2);
  pushReal(L, 1);
  M._lua_pushvalue(L, 2);
  M._lua_rawget(L, -2);
  return 1;
});

const fnNext = cfunction((L) => {
  M._luaL_checktype(L, 1, T_TABLE);
  M._lua_settop(L, 2);
  pushReal(L, 1);
  M._lua_replace(L, 1);
  if (M._lua_next(L, 1) !== 0) return 2;
  M._lua_pushnil(L);
  return 1;
});

const fnPairs = cfunction((L) => {
  M._luaL_checktype(L, 1, T_TABLE);
  M._lua_pushcclosure(L, fnNext, 0);
  M._lua_pushvalue(L, 1);
  M._lua_pushnil(L);
  return 3;
});

const fnIpairsAux = cfunction((L) => {
  const i = checkInt(L, 2) + 1;
  M._luaL_checktype(L, 1, T_TABLE);
  pushReal(L, 1);
  M._lua_pushnumber(L, i);
  M._lua_rawgeti(L, -2, i);
  return M._lua_type(L, -1) === T_NIL ? 0 : 2;
});

const fnIpairs = cfunction((L) => {
  M._luaL_checktype(L, 1, T_TABLE);
  M._lua_pushcclosure(L, fnIpairsAux, 0);
  M._lua_pushvalue(L, 1);
  M._lua_pushnumber(L, 0);
  return 3;
});

const fnGetmetatable = cfunction((L) => {
  M._luaL_checkany(L, 1);
  const it = interp(L);
  // A protected value's metatable is shown as its read-only view (metaView[value]).
  M._lua_rawgeti(L, LUA_REGISTRYINDEX, it.metaViewRef);
  if (M._lua_type(L, 1) === T_STRING) pushLiteral(L, '');
  else M._lua_pushvalue(L, 1);
  M._lua_rawget(L, -2);
  if (M._lua_type(L, -1) !== T_NIL) return 1;
  pop(L, 2);
  if (isProxy(L, 1)) {
    M._lua_pushnil(L);
    return 1;
  }
  if (!M._lua_getmetatable(L, 1)) {
    M._lua_pushnil(L);
    return 1;
  }
  M._luaL_getmetafield(L, 1, cs('__metatable'));
  return 1;
});

const fnSetmetatable = cfunction((L) => {
  const t = M._lua_type(L, 2);
  M._luaL_checktype(L, 1, T_TABLE);
  if (!(t === T_NIL || t === T_TABLE)) argError(L, 2, 'nil or table expected');
  if (isProxy(L, 1)) readonlyError(L);
  if (M._luaL_getmetafield(L, 1, cs('__metatable'))) raise(L, 'cannot change a protected metatable');
  M._lua_settop(L, 2);
  M._lua_setmetatable(L, 1);
  return 1;
});

/** lua_rawseti that refuses a read-only table (as Redis's patched lua_rawseti does). */
function checkedRawseti(L: number, proxy: boolean, n: number): void {
  if (proxy) readonlyError(L);
  M._lua_rawseti(L, 1, n);
}

/** Lua 5.1's table.insert, whose writes refuse read-only tables. */
const fnTableInsert = cfunction((L) => {
  M._luaL_checktype(L, 1, T_TABLE);
  const proxy = isProxy(L, 1);
  let e = (M._lua_objlen(L, 1) as number) + 1;
  let pos: number;
  switch (M._lua_gettop(L)) {
    case 2:
      pos = e;
      break;
    case 3:
      pos = checkInt(L, 2);
      if (pos > e) e = pos;
      for (let i = e; i > pos; i--) {
        M._lua_rawgeti(L, 1, i - 1);
        checkedRawseti(L, proxy, i);
      }
      break;
    default:
      return raise(L, "wrong number of arguments to 'insert'");
  }
  checkedRawseti(L, proxy, pos);
  return 0;
});

/** Lua 5.1's table.remove, whose writes refuse read-only tables. */
const fnTableRemove = cfunction((L) => {
  M._luaL_checktype(L, 1, T_TABLE);
  const proxy = isProxy(L, 1);
  const e = M._lua_objlen(L, 1) as number;
  let pos = optInt(L, 2, e);
  if (!(1 <= pos && pos <= e)) return 0;
  M._lua_rawgeti(L, 1, pos);
  for (; pos < e; pos++) {
    M._lua_rawgeti(L, 1, pos + 1);
    checkedRawseti(L, proxy, pos);
  }
  M._lua_pushnil(L);
  checkedRawseti(L, proxy, e);
  return 1;
});

// ---- the count hook ----

const hook = M.addFunction((L: number): void => {
  const it = interpreters.get(globalOf(L))?.deref();
  if (it === undefined) return;
  const vm = it.vm;
  if (vm.loading !== null) {
    const ld = vm.loading;
    if (ld.timeout > 0 && performance.now() - ld.start > ld.timeout) {
      M._lua_sethook(L, hook, LUA_MASKLINE, 0);
      pushErrorTable(L, 'FUNCTION LOAD timeout');
      M._lua_error(L);
    }
    return;
  }
  if (vm.host === null || !vm.running) return;
  let r = vm.host.interrupt();
  if (r === 1 && !(L === it.co && canYield(L))) r = vm.host.unyieldable();
  if (r === 2) {
    vm.host.log(3, 'Lua script killed by user with SCRIPT KILL.');
    M._lua_sethook(L, hook, LUA_MASKLINE, 0);
    if (it.co !== 0 && it.co !== L) M._lua_sethook(it.co, hook, LUA_MASKLINE, 0);
    pushErrorTable(L, 'Script killed by user with SCRIPT KILL...');
    M._lua_error(L);
    return;
  }
  if (r === 1) {
    it.hookYield = true;
    M._lua_yield(L, 0);
  }
}, 'vii');

// ---- one interpreter ----

const SETUP = `
local realOf, proxyOf, metaView, readonly, G, stringMeta = ...
local rawget, rawset, next, type, getmetatable, setmetatable = rawget, rawset, next, type, getmetatable, setmetatable
local function protect(t)
  local p = proxyOf[t]
  if p then return p end
  p = {}
  setmetatable(p, {__index = t, __newindex = readonly})
  proxyOf[t] = p
  realOf[p] = t
  local keys = {}
  for k, v in next, t do
    if type(v) == 'table' then keys[#keys + 1] = k end
  end
  for i = 1, #keys do
    local k = keys[i]
    rawset(t, k, protect(rawget(t, k)))
  end
  local mt = getmetatable(t)
  if mt then metaView[p] = protect(mt) end
  return p
end
if stringMeta then metaView[''] = protect(stringMeta) end
return protect(G)
`;

const INIT_ERR_HANDLER = `
local getinfo = debug.getinfo
return function(err)
  local i = getinfo(2, 'nSl')
  if i and i.what == 'C' then i = getinfo(3, 'nSl') end
  if type(err) ~= 'table' then err = {err = 'ERR ' .. tostring(err)} end
  if i then
    err['source'] = i.source
    err['line'] = i.currentline
  end
  return err
end
`;

const GLOBALS_REMOVED = ['io', 'os', 'package', 'print', 'dofile', 'loadfile', 'require', 'module', 'getfenv', 'setfenv', 'newproxy'];

class Interpreter {
  readonly vm: LuaVM;
  readonly L: number;
  readonly isEval: boolean;
  realOfRef = -1;
  metaViewRef = -1;
  private realGlobalsRef = -1;
  /** Functions only: the metatable of the globals proxy, whose __index is switched during LOAD. */
  private fnGlobalsMetaRef = -1;
  private libApiRef = -1;
  private globalsRef = -1;
  /** The coroutine of the running script, or 0. */
  co = 0;
  /** The coroutine kept for the next script (it ended normally), or 0. */
  private idle = 0;
  /** EVAL scripts by sha1: registry references of their compiled functions. */
  private readonly scripts = new Map<string, number>();
  /** The count hook suspended the script (as opposed to the script calling coroutine.yield). */
  hookYield = false;
  private coRef = -1;
  private gcCount = 0;

  constructor(vm: LuaVM, isEval: boolean) {
    this.vm = vm;
    this.isEval = isEval;
    const L = M._luaL_newstate() as number;
    this.L = L;
    interpreters.set(globalOf(L), new WeakRef(this));
    closer.register(this, L, this);
    M._luaL_openlibs(L);
    const G = LUA_GLOBALSINDEX;
    for (const name of GLOBALS_REMOVED) {
      M._lua_pushnil(L);
      M._lua_setfield(L, G, cs(name));
    }
    // The error handler (a global in the EVAL interpreter, as Redis has it).
    this.load(INIT_ERR_HANDLER, '=slabcache');
    M._lua_call(L, 0, 1);
    if (isEval) M._lua_setfield(L, G, cs('__redis__err__handler'));
    else pop(L, 1);
    M._lua_pushnil(L);
    M._lua_setfield(L, G, cs('debug'));
    M._lua_pushnil(L);
    M._lua_setfield(L, LUA_REGISTRYINDEX, cs('_LOADED'));

    M._lua_pushcclosure(L, fnLuaPcall, 0);
    M._lua_setfield(L, G, cs('pcall'));
    for (const [name, f] of [['rawset', fnRawset], ['rawget', fnRawget], ['next', fnNext], ['pairs', fnPairs], ['ipairs', fnIpairs], ['getmetatable', fnGetmetatable], ['setmetatable', fnSetmetatable]] as const) {
      M._lua_pushcclosure(L, f, 0);
      M._lua_setfield(L, G, cs(name));
    }
    M._lua_getfield(L, G, cs('table'));
    setFunction(L, 'insert', fnTableInsert);
    setFunction(L, 'remove', fnTableRemove);
    pop(L, 1);
    M._lua_getfield(L, G, cs('math'));
    setFunction(L, 'random', fnRandom);
    setFunction(L, 'randomseed', fnRandomseed);
    pop(L, 1);
    openLibraries(L);

    // The redis table.
    M._lua_createtable(L, 0, 32);
    setFunction(L, 'call', fnCall);
    setFunction(L, 'pcall', fnPcall);
    registerLog(L);
    registerVersion(L);
    setFunction(L, 'setresp', fnSetResp);
    setFunction(L, 'sha1hex', fnSha1hex);
    setFunction(L, 'error_reply', fnErrorReply);
    setFunction(L, 'status_reply', fnStatusReply);
    setFunction(L, 'set_repl', fnSetRepl);
    setNumber(L, 'REPL_NONE', 0);
    setNumber(L, 'REPL_AOF', 1);
    setNumber(L, 'REPL_SLAVE', 2);
    setNumber(L, 'REPL_REPLICA', 2);
    setNumber(L, 'REPL_ALL', 3);
    setFunction(L, 'acl_check_cmd', fnAclCheck);
    if (isEval) {
      setFunction(L, 'breakpoint', fnBreakpoint);
      setFunction(L, 'debug', fnDebug);
      setFunction(L, 'replicate_commands', fnReplicateCommands);
    }
    M._lua_setfield(L, G, cs('redis'));

    // Missing globals are errors.
    M._lua_createtable(L, 0, 1);
    M._lua_pushcclosure(L, fnMissingGlobal, 0);
    M._lua_setfield(L, -2, cs('__index'));
    M._lua_setmetatable(L, G);

    // Protect everything reachable from the globals; the thread's globals become the proxy.
    M._lua_createtable(L, 0, 0);
    this.makeWeak(L, 'k');
    M._lua_pushvalue(L, -1);
    this.realOfRef = M._luaL_ref(L, LUA_REGISTRYINDEX);
    M._lua_createtable(L, 0, 0);
    this.makeWeak(L, 'k');
    M._lua_createtable(L, 0, 0);
    this.makeWeak(L, 'k');
    M._lua_pushvalue(L, -1);
    this.metaViewRef = M._luaL_ref(L, LUA_REGISTRYINDEX);
    M._lua_pushcclosure(L, fnReadonly, 0);
    M._lua_pushvalue(L, G);
    pushLiteral(L, '');
    M._lua_getmetatable(L, -1);
    M._lua_remove(L, -2);
    // stack: realOf, proxyOf, metaView, readonly, G, stringMeta
    this.load(SETUP, '=slabcache');
    M._lua_insert(L, -7);
    M._lua_call(L, 6, 1);
    // stack: proxy of G
    M._lua_pushvalue(L, -1);
    M._lua_setfield(L, G, cs('_G'));
    if (isEval) {
      M._lua_replace(L, G);
    } else {
      // Functions: the globals are an empty read-only table reading from the protected
      // globals, or, while a library loads, from the library API (register_function, log).
      M._lua_pushvalue(L, -1);
      this.globalsRef = M._luaL_ref(L, LUA_REGISTRYINDEX);
      pop(L, 1);
      this.buildLibraryApi(L);
      M._lua_createtable(L, 0, 0);
      M._lua_createtable(L, 0, 2);
      M._lua_pushvalue(L, -1);
      this.fnGlobalsMetaRef = M._luaL_ref(L, LUA_REGISTRYINDEX);
      M._lua_rawgeti(L, LUA_REGISTRYINDEX, this.globalsRef);
      M._lua_setfield(L, -2, cs('__index'));
      M._lua_pushcclosure(L, fnReadonly, 0);
      M._lua_setfield(L, -2, cs('__newindex'));
      M._lua_setmetatable(L, -2);
      // register the new globals table as a proxy (of nothing writable)
      M._lua_rawgeti(L, LUA_REGISTRYINDEX, this.realOfRef);
      M._lua_pushvalue(L, -2);
      M._lua_createtable(L, 0, 0);
      M._lua_rawset(L, -3);
      pop(L, 1);
      M._lua_replace(L, G);
    }
    M._lua_settop(L, 0);
  }

  private makeWeak(L: number, mode: string): void {
    M._lua_createtable(L, 0, 1);
    pushLiteral(L, mode);
    M._lua_setfield(L, -2, cs('__mode'));
    M._lua_setmetatable(L, -2);
  }

  /** The API a library sees while it loads: redis.register_function, redis.log and the versions. */
  private buildLibraryApi(L: number): void {
    M._lua_createtable(L, 0, 1);
    M._lua_createtable(L, 0, 8);
    setFunction(L, 'register_function', fnRegisterFunction);
    registerLog(L);
    registerVersion(L);
    M._lua_createtable(L, 0, 1);
    M._lua_pushcclosure(L, fnMissingGlobal, 0);
    M._lua_setfield(L, -2, cs('__index'));
    M._lua_setmetatable(L, -2);
    M._lua_setfield(L, -2, cs('redis'));
    M._lua_createtable(L, 0, 1);
    M._lua_pushcclosure(L, fnMissingGlobal, 0);
    M._lua_setfield(L, -2, cs('__index'));
    M._lua_setmetatable(L, -2);
    // protect it: run SETUP's protect through a fresh call
    M._lua_rawgeti(L, LUA_REGISTRYINDEX, this.realOfRef);
    M._lua_createtable(L, 0, 0);
    M._lua_rawgeti(L, LUA_REGISTRYINDEX, this.metaViewRef);
    M._lua_pushcclosure(L, fnReadonly, 0);
    M._lua_pushvalue(L, -5);
    M._lua_pushnil(L);
    this.load(SETUP, '=slabcache');
    M._lua_insert(L, -7);
    M._lua_call(L, 6, 1);
    this.libApiRef = M._luaL_ref(L, LUA_REGISTRYINDEX);
    pop(L, 1);
  }

  /** luaL_loadbuffer of a JavaScript (latin1) string; raises nothing, returns the status. */
  load(code: string | Buffer, name: string): number {
    const b = typeof code === 'string' ? Buffer.from(code, 'latin1') : code;
    const p = M._malloc(b.length + 1) as number;
    M.HEAPU8.set(b, p);
    const r = M._luaL_loadbuffer(this.L, p, b.length, cs(name)) as number;
    M._free(p);
    return r;
  }

  close(): void {
    closer.unregister(this);
    interpreters.delete(globalOf(this.L));
    forgetLibraryState(this.L);
    M._lua_close(this.L);
  }

  memory(): number {
    return (M._lua_gc(this.L, LUA_GCCOUNT, 0) as number) * 1024 + (M._lua_gc(this.L, LUA_GCCOUNTB, 0) as number);
  }

  /** Switch the functions' globals between the library API (during LOAD) and the real globals. */
  useLibraryApi(on: boolean): void {
    const L = this.L;
    M._lua_rawgeti(L, LUA_REGISTRYINDEX, this.fnGlobalsMetaRef);
    M._lua_rawgeti(L, LUA_REGISTRYINDEX, on ? this.libApiRef : this.globalsRef);
    M._lua_setfield(L, -2, cs('__index'));
    pop(L, 1);
  }

  /**
   * Start the function at the top of L's stack (with nargs arguments above it) in a new
   * coroutine: 0 ended, 1 yielded; the outcome is written by finish().
   */
  start(nargs: number, hookOn: boolean): number {
    const L = this.L;
    // A coroutine that ended normally is reused (Lua 5.1 lets a finished one run again).
    if (this.idle === 0) {
      this.idle = M._lua_newthread(L) as number;
      this.coRef = M._luaL_ref(L, LUA_REGISTRYINDEX);
    }
    const co = this.idle;
    M._lua_xmove(L, co, nargs + 1);
    this.co = co;
    M._lua_sethook(co, hookOn ? hook : 0, hookOn ? LUA_MASKCOUNT : 0, hookOn ? HOOK_COUNT : 0);
    return this.step(nargs);
  }

  resume(): number {
    return this.step(0);
  }

  private step(nargs: number): number {
    const co = this.co;
    const status = M._lua_resume(co, nargs) as number;
    if (status === LUA_YIELD) {
      if (this.hookYield) {
        this.hookYield = false;
        return 1;
      }
      // The script itself yielded (coroutine.yield outside a coroutine): in Redis it runs
      // under lua_pcall, where that is an error.
      pushString(co, 'attempt to yield across metamethod/C-call boundary');
      this.finish(2);
      return 0;
    }
    this.finish(status);
    return 0;
  }

  /** The script's result (or error) into the VM's output; the coroutine is released. */
  private finish(status: number): void {
    const co = this.co;
    const vm = this.vm;
    const out = vm.out;
    out.reset();
    vm.outError = 0;
    if (status === 0) {
      if (M._lua_gettop(co) === 0) M._lua_pushnil(co);
      else M._lua_settop(co, 1);
      let ignoreStats = false;
      if (M._lua_type(co, -1) === T_TABLE) {
        M._lua_getfield(co, -1, cs('ignore_error_stats_update'));
        ignoreStats = M._lua_type(co, -1) === T_BOOLEAN && M._lua_toboolean(co, -1) !== 0;
        pop(co, 1);
      }
      // Below the result, where Redis's stack has the error handler (lua_checkstack's limits
      // then fall at the same depth).
      M._lua_pushnil(co);
      M._lua_insert(co, -2);
      writeLuaReply(co, out, vm.callerResp, vm.scriptResp);
      if (out.length() > 0 && out.data()[0] === 0x2d) vm.outError = ignoreStats ? 2 : 1;
    } else {
      this.errorReply(co);
    }
    M._lua_sethook(co, 0, 0, 0);
    M._lua_settop(co, 0);
    if (status !== 0 || (M._lua_status(co) as number) !== 0) {
      M._luaL_unref(this.L, LUA_REGISTRYINDEX, this.coRef);
      this.coRef = -1;
      this.idle = 0;
    }
    this.co = 0;
    if (++this.gcCount === GC_CYCLE_PERIOD) {
      M._lua_gc(this.L, LUA_GCSTEP, GC_CYCLE_PERIOD);
      this.gcCount = 0;
    }
  }

  /** luaCallFunction's error reply, with __redis__err__handler's source and line, from the dead coroutine. */
  private errorReply(co: number): void {
    const vm = this.vm;
    const out = vm.out;
    // The handler's view: the function that raised the error, or its caller when that is C.
    let info = frameInfo(co, 0);
    if (info !== null && info.what === 'C') info = frameInfo(co, 1);
    const t = M._lua_type(co, -1);
    let msg: string | null;
    let ignoreStats = false;
    if (t !== T_TABLE) {
      // {err = 'ERR ' .. tostring(err)}
      const s = t === T_STRING || t === T_NUMBER ? toStr(co, -1) : t === T_NIL ? 'nil' : t === T_BOOLEAN ? (M._lua_toboolean(co, -1) ? 'true' : 'false') : luaTostring(this.L, co);
      msg = `ERR ${cut(s ?? '')}`;
    } else {
      M._lua_getfield(co, -1, cs('err'));
      msg = M._lua_isstring(co, -1) ? toCStr(co, -1) : null;
      pop(co, 1);
      M._lua_getfield(co, -1, cs('ignore_error_stats_update'));
      if (M._lua_type(co, -1) === T_BOOLEAN) ignoreStats = M._lua_toboolean(co, -1) !== 0;
      pop(co, 1);
    }
    let text = `-${msg ?? '(null)'}`;
    if (info !== null) text += ` script: ${vm.name}, on ${info.source}:${info.line}.`;
    out.errorLine(text.replace(/[\r\n]/g, ' '));
    vm.outError = ignoreStats ? 2 : 1;
  }

  /** Compile an EVAL body as f_<sha> in the registry: null, or the compiler's message. */
  compileScript(sha: string, body: Buffer): string | null {
    const L = this.L;
    if (this.load(body, '@user_script') !== 0) {
      const msg = toCStr(L, -1) ?? '';
      pop(L, 1);
      return msg;
    }
    const old = this.scripts.get(sha);
    if (old !== undefined) M._luaL_unref(L, LUA_REGISTRYINDEX, old);
    this.scripts.set(sha, M._luaL_ref(L, LUA_REGISTRYINDEX));
    return null;
  }

  pushScript(sha: string): boolean {
    const ref = this.scripts.get(sha);
    if (ref === undefined) return false;
    M._lua_rawgeti(this.L, LUA_REGISTRYINDEX, ref);
    return true;
  }

  forgetScript(sha: string): void {
    const ref = this.scripts.get(sha);
    if (ref === undefined) return;
    M._luaL_unref(this.L, LUA_REGISTRYINDEX, ref);
    this.scripts.delete(sha);
  }

  /** The real globals table (behind the read-only proxy), pushed. */
  pushRealGlobals(): void {
    const L = this.L;
    if (this.realGlobalsRef < 0) {
      M._lua_rawgeti(L, LUA_REGISTRYINDEX, this.realOfRef);
      M._lua_pushvalue(L, LUA_GLOBALSINDEX);
      M._lua_rawget(L, -2);
      M._lua_remove(L, -2);
      M._lua_pushvalue(L, -1);
      this.realGlobalsRef = M._luaL_ref(L, LUA_REGISTRYINDEX);
      return;
    }
    M._lua_rawgeti(L, LUA_REGISTRYINDEX, this.realGlobalsRef);
  }
}

/** tostring() of the value on top of co's stack, through the interpreter's main thread. */
function luaTostring(L: number, co: number): string {
  M._lua_getfield(L, LUA_GLOBALSINDEX, cs('tostring'));
  M._lua_pushvalue(co, -1);
  M._lua_xmove(co, L, 1);
  if (M._lua_pcall(L, 1, 1, 0) !== 0) {
    pop(L, 1);
    return '?';
  }
  const s = toStr(L, -1) ?? '';
  pop(L, 1);
  return s;
}

function cut(s: string): string {
  const nul = s.indexOf('\0');
  return nul < 0 ? s : s.slice(0, nul);
}

function registerLog(L: number): void {
  setFunction(L, 'log', fnLog);
  setNumber(L, 'LOG_DEBUG', 0);
  setNumber(L, 'LOG_VERBOSE', 1);
  setNumber(L, 'LOG_NOTICE', 2);
  setNumber(L, 'LOG_WARNING', 3);
}

function registerVersion(L: number): void {
  setNumber(L, 'REDIS_VERSION_NUM', REDIS_VERSION_NUM);
  pushLiteral(L, REDIS_VERSION);
  M._lua_setfield(L, -2, cs('REDIS_VERSION'));
}

export class LuaVM {
  /**
   * Something other than a Lua error came out of the VM (a bug, a V8 stack overflow inside a
   * C function, an Emscripten abort): the interpreters' state is unknown, the engine replaces
   * the whole VM.
   */
  broken = false;
  host: LuaHost | null = null;
  /** A script is running (or suspended): redis.call and friends are allowed. */
  running = false;
  /** A library is loading (FUNCTION LOAD): register_function is allowed. */
  loading: { start: number; timeout: number } | null = null;
  /** redis.setresp's protocol for redis.call replies (and booleans in the result). */
  scriptResp = 2;
  /** The caller's protocol, for the result. */
  callerResp = 2;
  /** The running script's name (sha1, or the function's name) for error texts. */
  name = '';
  readonly rand = new Rand48();
  readonly out = new RespWriter();
  /** 0: the output is not an error; 1: an error to count; 2: an error already counted. */
  outError = 0;
  /** redis.call's arguments. */
  argBuf: Buffer = Buffer.alloc(4096);
  argOff: Int32Array = new Int32Array(16);
  argLen: Int32Array = new Int32Array(16);
  private evalInterp: Interpreter;
  private readonly fnInterp: Interpreter;
  private current: Interpreter | null = null;

  constructor() {
    this.evalInterp = new Interpreter(this, true);
    this.fnInterp = new Interpreter(this, false);
  }

  setHost(host: LuaHost): void {
    this.host = host;
  }

  /** redis.call's arguments from L's stack into argBuf (numbers as %.17g); false for another type. */
  collectArgs(L: number, argc: number): boolean {
    if (this.argOff.length < argc) {
      this.argOff = new Int32Array(argc * 2);
      this.argLen = new Int32Array(argc * 2);
    }
    let pos = 0;
    let ok = true;
    for (let j = 1; j <= argc; j++) {
      const t = M._lua_type(L, j);
      let n: number;
      if (t === T_NUMBER) {
        const x = M._lua_tonumber(L, j) as number;
        if (Number.isSafeInteger(x) && !Object.is(x, -0)) {
          // %.17g of a safe integer is its digits: written in place, no string.
          this.argRoom(pos, MAX_INT64_TEXT);
          n = formatInteger(x, this.argBuf, pos);
        } else {
          const text = formatG(x, 17);
          this.argRoom(pos, text.length);
          n = this.argBuf.write(text, pos, 'latin1');
        }
      } else if (t === T_STRING) {
        const p = heapStringAt(L, j);
        n = heapString.length;
        this.argRoom(pos, n);
        const heap = M.HEAPU8;
        const dst = this.argBuf;
        if (n <= 32) for (let i = 0; i < n; i++) dst[pos + i] = heap[p + i];
        else copyBytes.call(heap, dst, pos, p, p + n);
      } else {
        ok = false;
        break;
      }
      this.argOff[j - 1] = pos;
      this.argLen[j - 1] = n;
      pos += n;
    }
    pop(L, argc);
    return ok;
  }

  /** Room in argBuf for n more bytes at pos (what is before pos is kept). */
  private argRoom(pos: number, n: number): void {
    if (pos + n <= this.argBuf.length) return;
    const grown = Buffer.alloc(Math.max(this.argBuf.length * 2, pos + n));
    this.argBuf.copy(grown, 0, 0, pos);
    this.argBuf = grown;
  }

  /** The reply (or error text) of the last run or compile, copied out. */
  output(): Buffer {
    return Buffer.from(this.out.view());
  }

  /** The same as a view valid until the next VM call. */
  outputView(): Buffer {
    return this.out.view();
  }

  /** The output in place: outputBytes()[0 .. outputLength()), valid until the next VM call. */
  outputBytes(): Buffer {
    return this.out.data();
  }

  outputLength(): number {
    return this.out.length();
  }

  outputError(): number {
    return this.outError;
  }

  setName(name: string): void {
    this.name = name;
  }

  // ---- EVAL ----

  evalReset(): void {
    this.evalInterp.close();
    this.evalInterp = new Interpreter(this, true);
  }

  /** Compile an EVAL body (shebang removed) as f_<sha>: 0, or 1 with the error reply in the output. */
  evalCompile(sha: string, body: Buffer): number {
    const msg = this.guard(() => this.evalInterp.compileScript(sha, body));
    if (msg === null) return 0;
    this.out.reset();
    this.out.errorLine(sanitize(`-ERR Error compiling script (new function): ${msg}`));
    this.outError = 1;
    return 1;
  }

  /** Drop f_<sha> (the script cache failed to keep it). */
  evalForget(sha: string): void {
    this.evalInterp.forgetScript(sha);
  }

  /** Run f_<sha> with KEYS and ARGV from the client's arguments; 0 ended (reply in output), 1 yielded. */
  evalRun(sha: string, argBuf: Buffer, argOff: Int32Array, argLen: Int32Array, first: number, numkeys: number, argc: number, resp: number, hookOn: boolean): number {
    const it = this.evalInterp;
    const L = it.L;
    if (!it.pushScript(sha)) throw new Error(`script f_${sha} is not compiled`);
    this.begin(it, resp);
    // KEYS and ARGV are globals (rawset into the real globals, behind the read-only proxy).
    it.pushRealGlobals();
    pushArray(L, argBuf, argOff, argLen, first, first + numkeys);
    M._lua_setfield(L, -2, cs('KEYS'));
    pushArray(L, argBuf, argOff, argLen, first + numkeys, argc);
    M._lua_setfield(L, -2, cs('ARGV'));
    pop(L, 1);
    return this.afterStep(it, this.startGuarded(it, 0, hookOn));
  }

  // ---- FUNCTION ----

  /** Load a library's code: 0, or 1 with the error text (no "ERR ") in the output. */
  fnCreate(code: Buffer, timeoutMs: number): number {
    const it = this.fnInterp;
    const L = it.L;
    this.out.reset();
    it.useLibraryApi(true);
    try {
      if (it.load(code, '@user_function') !== 0) {
        this.out.text(`Error compiling function: ${toCStr(L, -1) ?? ''}`);
        pop(L, 1);
        return 1;
      }
      this.loading = { start: performance.now(), timeout: timeoutMs };
      M._lua_sethook(L, hook, LUA_MASKCOUNT, HOOK_COUNT);
      const status = this.guard(() => M._lua_pcall(L, 0, 0, 0) as number);
      if (status !== 0) {
        let msg: string | null = null;
        if (M._lua_isstring(L, -1)) msg = `ERR ${toCStr(L, -1)}`;
        if (M._lua_type(L, -1) === T_TABLE) {
          M._lua_getfield(L, -1, cs('err'));
          if (M._lua_isstring(L, -1)) msg = toCStr(L, -1);
          pop(L, 1);
        }
        pop(L, 1);
        this.out.text(`Error registering functions: ${msg ?? '(null)'}`);
        return 1;
      }
      return 0;
    } finally {
      this.loading = null;
      if (!this.broken) {
        M._lua_sethook(L, 0, 0, 0);
        it.useLibraryApi(false);
        M._lua_settop(L, 0);
      }
    }
  }

  fnFree(ref: number): void {
    M._luaL_unref(this.fnInterp.L, LUA_REGISTRYINDEX, ref);
  }

  /** Run the function `ref` with its keys and args tables; 0 ended (reply in output), 1 yielded. */
  fnRun(ref: number, argBuf: Buffer, argOff: Int32Array, argLen: Int32Array, first: number, numkeys: number, argc: number, resp: number, hookOn: boolean): number {
    const it = this.fnInterp;
    const L = it.L;
    M._lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
    this.begin(it, resp);
    pushArray(L, argBuf, argOff, argLen, first, first + numkeys);
    pushArray(L, argBuf, argOff, argLen, first + numkeys, argc);
    return this.afterStep(it, this.startGuarded(it, 2, hookOn));
  }

  /** Resume a yielded script: 0 ended (reply in output), 1 yielded again. */
  resume(): number {
    const it = this.current!;
    return this.afterStep(it, this.guard(() => it.resume()));
  }

  private guard<T>(step: () => T): T {
    try {
      return step();
    } catch (err) {
      this.markBroken();
      throw err;
    }
  }

  /** guard(() => it.start(nargs, hookOn)) without a closure per run. */
  private startGuarded(it: Interpreter, nargs: number, hookOn: boolean): number {
    try {
      return it.start(nargs, hookOn);
    } catch (err) {
      this.markBroken();
      throw err;
    }
  }

  /** A fault inside the VM: its state is unknown, the engine replaces it. */
  private markBroken(): void {
    this.broken = true;
    this.running = false;
    this.loading = null;
    this.current = null;
  }

  private begin(it: Interpreter, resp: number): void {
    this.current = it;
    this.running = true;
    this.scriptResp = 2;
    this.callerResp = resp;
  }

  private afterStep(it: Interpreter, status: number): number {
    if (status === 0) {
      this.running = false;
      this.current = null;
    }
    void it;
    return status;
  }

  evalMemory(): number {
    return this.evalInterp.memory();
  }

  functionsMemory(): number {
    return this.fnInterp.memory();
  }

  /** Bytes of linear memory of the (process-wide) WebAssembly module. */
  heapBytes(): number {
    return M.HEAPU8.buffer.byteLength;
  }

  close(): void {
    for (const it of [this.evalInterp, this.fnInterp]) {
      try {
        it.close();
      } catch {
        // A broken interpreter may fail to close; its memory stays with the module.
      }
    }
  }
}

function pushArray(L: number, buf: Buffer, off: Int32Array, len: Int32Array, from: number, to: number): void {
  M._lua_createtable(L, to - from, 0);
  for (let i = from; i < to; i++) {
    pushSlice(L, buf, off[i], len[i]);
    M._lua_rawseti(L, -2, i - from + 1);
  }
}

/** addReplyErrorFormat's treatment: trim CR/LF at both ends, others become spaces. */
function sanitize(s: string): string {
  return s.replace(/^[\r\n]+|[\r\n]+$/g, '').replace(/[\r\n]/g, ' ');
}

export { sanitize as sanitizeErrorText };
