/*
 * The libraries Redis gives scripts besides Lua's own, written here in TypeScript as Lua C
 * functions, to the documented behaviour of the libraries Redis bundles (and what
 * redis-server 7.0 answers, which the differential corpus checks):
 *
 *  - cjson (lua-cjson 2.1): encode/decode, cjson.null, and the per-interpreter settings
 *    encode_sparse_array, encode_max_depth, decode_max_depth, encode_number_precision,
 *    encode_keep_buffer, encode_invalid_numbers, decode_invalid_numbers;
 *  - cmsgpack (lua-cmsgpack): pack, unpack, unpack_one, unpack_limit;
 *  - bit (LuaBitOp 1.0): tobit, tohex, bnot, band, bor, bxor, lshift, rshift, arshift, rol,
 *    ror, bswap;
 *  - struct (Roberto Ierusalimschy's struct): pack, unpack, size, with the sizes of
 *    redis-server's x86-64 build (long and size_t are 8 bytes).
 */
import {
  M, T_NIL, T_BOOLEAN, T_LIGHTUSERDATA, T_NUMBER, T_STRING, T_TABLE, LUA_GLOBALSINDEX, cs, cfunction, pushBytes, pushSlice, pushLiteral, toBytes, heapStringAt, heapString,
  toStr, pop, raise, argError, setFunction, globalOf, formatG, checkInt, optInt,
} from './lua-api.ts';
import { latin1Text } from '../../store/bytes.ts';

// ---- bit ----

const f64 = new Float64Array(1);
const i32of64 = new Int32Array(f64.buffer);

/** LuaBitOp's number -> 32-bit conversion (the 2^52+2^51 addition trick). */
function tobit(n: number): number {
  f64[0] = n + 6755399441055744.0;
  return i32of64[0];
}

function barg(L: number, i: number): number {
  return tobit(M._luaL_checknumber(L, i) as number);
}

function pushBits(L: number, b: number): number {
  M._lua_pushnumber(L, b | 0);
  return 1;
}

function bitLibrary(L: number): void {
  M._lua_createtable(L, 0, 12);
  setFunction(L, 'tobit', cfunction((L) => pushBits(L, barg(L, 1))));
  setFunction(L, 'bnot', cfunction((L) => pushBits(L, ~barg(L, 1))));
  const fold = (op: (a: number, b: number) => number) => cfunction((L) => {
    let b = barg(L, 1);
    const n = M._lua_gettop(L) as number;
    for (let i = 2; i <= n; i++) b = op(b, barg(L, i));
    return pushBits(L, b);
  });
  setFunction(L, 'band', fold((a, b) => a & b));
  setFunction(L, 'bor', fold((a, b) => a | b));
  setFunction(L, 'bxor', fold((a, b) => a ^ b));
  const shift = (op: (a: number, n: number) => number) => cfunction((L) => pushBits(L, op(barg(L, 1), barg(L, 2) & 31)));
  setFunction(L, 'lshift', shift((a, n) => a << n));
  setFunction(L, 'rshift', shift((a, n) => a >>> n));
  setFunction(L, 'arshift', shift((a, n) => a >> n));
  setFunction(L, 'rol', shift((a, n) => (a << n) | (a >>> ((32 - n) & 31) & (n === 0 ? 0 : -1))));
  setFunction(L, 'ror', shift((a, n) => (a >>> n) | ((a << ((32 - n) & 31)) & (n === 0 ? 0 : -1))));
  setFunction(L, 'bswap', cfunction((L) => {
    const b = barg(L, 1);
    return pushBits(L, ((b >>> 24) | ((b >> 8) & 0xff00) | ((b & 0xff00) << 8) | (b << 24)));
  }));
  setFunction(L, 'tohex', cfunction((L) => {
    let b = barg(L, 1) >>> 0;
    let n = M._lua_type(L, 2) <= 0 && M._lua_gettop(L) < 2 ? 8 : barg(L, 2);
    let digits = '0123456789abcdef';
    if (n === -2147483648) n = -2147483647;
    if (n < 0) {
      n = -n;
      digits = '0123456789ABCDEF';
    }
    if (n > 8) n = 8;
    const out: string[] = new Array(n);
    for (let i = n - 1; i >= 0; i--) {
      out[i] = digits[b & 15];
      b >>>= 4;
    }
    pushBytes(L, Buffer.from(out.join(''), 'latin1'));
    return 1;
  }));
  M._lua_setfield(L, LUA_GLOBALSINDEX, cs('bit'));
}

// ---- cjson ----

interface CjsonConfig {
  sparseConvert: boolean;
  sparseRatio: number;
  sparseSafe: number;
  encodeMaxDepth: number;
  decodeMaxDepth: number;
  precision: number;
  keepBuffer: boolean;
  encodeInvalid: 0 | 1 | 2; // off, on, null
  decodeInvalid: boolean;
}

const cjsonConfigs = new Map<number, CjsonConfig>();

function config(L: number): CjsonConfig {
  let c = cjsonConfigs.get(globalOf(L));
  if (c === undefined) {
    c = { sparseConvert: false, sparseRatio: 2, sparseSafe: 10, encodeMaxDepth: 1000, decodeMaxDepth: 1000, precision: 14, keepBuffer: true, encodeInvalid: 0, decodeInvalid: true };
    cjsonConfigs.set(globalOf(L), c);
  }
  return c;
}

const ESCAPES: string[] = [];
for (let i = 0; i < 256; i++) {
  if (i < 32 || i === 127) ESCAPES.push(`\\u${i.toString(16).padStart(4, '0')}`);
  else ESCAPES.push(String.fromCharCode(i));
}
ESCAPES[8] = '\\b';
ESCAPES[9] = '\\t';
ESCAPES[10] = '\\n';
ESCAPES[12] = '\\f';
ESCAPES[13] = '\\r';
ESCAPES[34] = '\\"';
ESCAPES[47] = '\\/';
ESCAPES[92] = '\\\\';

/** Bytes cjson escapes (their ESCAPES entry is not the byte itself). */
const ESCAPED = Uint8Array.from(ESCAPES, (e, i) => (e.length === 1 && e.charCodeAt(0) === i ? 0 : 1));

/**
 * The JSON text of the Lua string at idx, read in place in the Lua heap: runs of bytes that
 * need no escape are taken as one slice each (building it a character at a time made a string
 * per byte, most of a BullMQ job's garbage).
 */
function jsonStringAt(L: number, idx: number): string {
  const p = heapStringAt(L, idx);
  const end = p + heapString.length;
  const heap = M.HEAPU8;
  let s = '"';
  let run = p;
  for (let i = p; i < end; i++) {
    if (ESCAPED[heap[i]] === 0) continue;
    if (i > run) s += latin1Text(heap, run, i);
    s += ESCAPES[heap[i]];
    run = i + 1;
  }
  if (end > run) s += latin1Text(heap, run, end);
  return s + '"';
}

function typeName(L: number, idx: number): string {
  return cstr(M._lua_typename(L, M._lua_type(L, idx)) as number);
}

function cstr(p: number): string {
  const heap = M.HEAPU8;
  let e = p;
  while (heap[e] !== 0) e++;
  return Buffer.from(heap.subarray(p, e)).toString('latin1');
}

function encodeError(L: number, idx: number, reason: string): never {
  return raise(L, `Cannot serialise ${typeName(L, idx)}: ${reason}`);
}

function encodeNumber(L: number, cfg: CjsonConfig, idx: number): string {
  const n = M._lua_tonumber(L, idx) as number;
  if (!Number.isFinite(n)) {
    if (cfg.encodeInvalid === 0) encodeError(L, idx, 'must not be NaN or Inf');
    if (cfg.encodeInvalid === 2) return 'null';
    if (Number.isNaN(n)) return 'nan';
  }
  return formatG(n, cfg.precision);
}

function encodeValue(L: number, cfg: CjsonConfig, depth: number, out: string[]): void {
  const t = M._lua_type(L, -1);
  switch (t) {
    case T_STRING:
      out.push(jsonStringAt(L, -1));
      return;
    case T_NUMBER:
      out.push(encodeNumber(L, cfg, -1));
      return;
    case T_BOOLEAN:
      out.push(M._lua_toboolean(L, -1) ? 'true' : 'false');
      return;
    case T_NIL:
      out.push('null');
      return;
    case T_LIGHTUSERDATA:
      if (M._lua_touserdata(L, -1) === 0) {
        out.push('null');
        return;
      }
      break;
    case T_TABLE: {
      depth++;
      if (depth > cfg.encodeMaxDepth) raise(L, `Cannot serialise, excessive nesting (${depth})`);
      M._lua_checkstack(L, 3);
      const len = arrayLength(L, cfg);
      if (len > 0) {
        out.push('[');
        for (let i = 1; i <= len; i++) {
          if (i > 1) out.push(',');
          M._lua_rawgeti(L, -1, i);
          encodeValue(L, cfg, depth, out);
          pop(L, 1);
        }
        out.push(']');
      } else {
        out.push('{');
        let first = true;
        M._lua_pushnil(L);
        while (M._lua_next(L, -2) !== 0) {
          if (!first) out.push(',');
          first = false;
          const kt = M._lua_type(L, -2);
          if (kt === T_STRING) out.push(jsonStringAt(L, -2));
          else if (kt === T_NUMBER) out.push(`"${encodeNumber(L, cfg, -2)}"`);
          else encodeError(L, -2, 'table key must be a number or string');
          out.push(':');
          encodeValue(L, cfg, depth, out);
          pop(L, 1);
        }
        out.push('}');
      }
      return;
    }
  }
  encodeError(L, -1, 'type not supported');
}

/** lua_array_length: the array length, 0 for an empty table, -1 for an object. */
function arrayLength(L: number, cfg: CjsonConfig): number {
  let max = 0;
  let items = 0;
  M._lua_pushnil(L);
  while (M._lua_next(L, -2) !== 0) {
    if (M._lua_type(L, -2) === T_NUMBER) {
      const k = M._lua_tonumber(L, -2) as number;
      if (Math.floor(k) === k && k >= 1) {
        if (k > max) max = k;
        items++;
        pop(L, 1);
        continue;
      }
    }
    pop(L, 2);
    return -1;
  }
  if (cfg.sparseRatio > 0 && max > items * cfg.sparseRatio && max > cfg.sparseSafe) {
    if (!cfg.sparseConvert) raise(L, 'Cannot serialise table: excessively sparse array');
    return -1;
  }
  return max;
}

const T_NAMES = ['T_OBJ_BEGIN', 'T_OBJ_END', 'T_ARR_BEGIN', 'T_ARR_END', 'T_STRING', 'T_NUMBER', 'T_BOOLEAN', 'T_NULL', 'T_COLON', 'T_COMMA', 'T_END', 'T_WHITESPACE', 'T_ERROR', 'T_UNKNOWN'];
const OBJ_BEGIN: number = 0;
const OBJ_END: number = 1;
const ARR_BEGIN: number = 2;
const ARR_END: number = 3;
const STRING: number = 4;
const NUMBER: number = 5;
const BOOLEAN: number = 6;
const NULL: number = 7;
const COLON: number = 8;
const COMMA: number = 9;
const END: number = 10;
const ERROR: number = 12;

const NUMBER_RE = /^[+-]?(?:0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?\d+)?|inf(?:inity)?|nan|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)/i;

class JsonDecoder {
  data = '';
  pos = 0;
  depth = 0;
  type = END;
  index = 0;
  str = '';
  num = 0;
  bool = false;
  cfg!: CjsonConfig;

  next(): void {
    const d = this.data;
    while (this.pos < d.length && (d[this.pos] === ' ' || d[this.pos] === '\t' || d[this.pos] === '\n' || d[this.pos] === '\r')) this.pos++;
    this.index = this.pos;
    if (this.pos >= d.length) {
      this.type = END;
      return;
    }
    const ch = d[this.pos];
    const simple = '{}[]:,'.indexOf(ch);
    if (simple >= 0) {
      this.type = [OBJ_BEGIN, OBJ_END, ARR_BEGIN, ARR_END, COLON, COMMA][simple];
      this.pos++;
      return;
    }
    if (ch === '"') return this.string();
    if (ch === '-' || (ch >= '0' && ch <= '9')) return this.number();
    if (d.startsWith('true', this.pos)) {
      this.type = BOOLEAN;
      this.bool = true;
      this.pos += 4;
      return;
    }
    if (d.startsWith('false', this.pos)) {
      this.type = BOOLEAN;
      this.bool = false;
      this.pos += 5;
      return;
    }
    if (d.startsWith('null', this.pos)) {
      this.type = NULL;
      this.pos += 4;
      return;
    }
    if (this.cfg.decodeInvalid && /^(?:[+-]?(?:inf|nan))/i.test(d.slice(this.pos, this.pos + 4))) return this.number();
    this.error('invalid token');
  }

  private error(msg: string, at = this.index): void {
    this.type = ERROR;
    this.str = msg;
    this.index = at;
  }

  private number(): void {
    const m = NUMBER_RE.exec(this.data.slice(this.pos, this.pos + 400));
    if (m === null) return this.error('invalid number');
    const text = m[0];
    const body = text.replace(/^[+-]/, '').toLowerCase();
    if (!this.cfg.decodeInvalid && (body.startsWith('0x') || body.startsWith('inf') || body.startsWith('nan') || /^0\d/.test(body))) return this.error('invalid number');
    let v: number;
    if (body.startsWith('inf')) v = Infinity;
    else if (body.startsWith('nan')) v = NaN;
    else if (body.startsWith('0x')) v = parseHexFloat(body);
    else v = Number(body);
    this.num = text.startsWith('-') ? -v : v;
    this.type = NUMBER;
    this.pos += text.length;
  }

  private string(): void {
    const d = this.data;
    let p = this.pos + 1;
    let out = '';
    for (;;) {
      if (p >= d.length) return this.error('unexpected end of string', p);
      const ch = d[p];
      if (ch === '"') break;
      if (ch !== '\\') {
        out += ch;
        p++;
        continue;
      }
      const e = d[p + 1];
      const simple = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' }[e ?? ''];
      if (simple !== undefined) {
        out += simple;
        p += 2;
        continue;
      }
      if (e === undefined) return this.error('invalid escape code', p);
      if (e !== 'u') return this.error('invalid escape code', p);
      let cp = hex4(d, p + 2);
      if (cp < 0) return this.error('invalid unicode escape code', p);
      let used = 6;
      if (cp >= 0xd800 && cp <= 0xdbff) {
        if (d[p + 6] !== '\\' || d[p + 7] !== 'u') return this.error('invalid unicode escape code', p);
        const lo = hex4(d, p + 8);
        if (lo < 0xdc00 || lo > 0xdfff) return this.error('invalid unicode escape code', p);
        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        used = 12;
      } else if (cp >= 0xdc00 && cp <= 0xdfff) return this.error('invalid unicode escape code', p);
      out += Buffer.from(String.fromCodePoint(cp), 'utf8').toString('latin1');
      p += used;
    }
    this.type = STRING;
    this.str = out;
    this.pos = p + 1;
  }
}

function hex4(d: string, at: number): number {
  const s = d.slice(at, at + 4);
  return /^[0-9a-fA-F]{4}$/.test(s) ? parseInt(s, 16) : -1;
}

function parseHexFloat(s: string): number {
  const m = /^0x([0-9a-f]*)\.?([0-9a-f]*)(?:p([+-]?\d+))?$/.exec(s);
  if (m === null) return NaN;
  let v = parseInt(m[1] || '0', 16);
  for (let i = 0; i < m[2].length; i++) v += parseInt(m[2][i], 16) / 16 ** (i + 1);
  return m[3] !== undefined ? v * 2 ** Number(m[3]) : v;
}

const decoder = new JsonDecoder();

function decodeError(L: number, expected: string): never {
  const found = decoder.type === ERROR ? decoder.str : T_NAMES[decoder.type];
  return raise(L, `Expected ${expected} but found ${found} at character ${decoder.index + 1}`);
}

function decodeValue(L: number): void {
  const dec = decoder;
  M._lua_checkstack(L, 3);
  switch (dec.type) {
    case STRING:
      pushBytes(L, Buffer.from(dec.str, 'latin1'));
      return;
    case NUMBER:
      M._lua_pushnumber(L, dec.num);
      return;
    case BOOLEAN:
      M._lua_pushboolean(L, dec.bool ? 1 : 0);
      return;
    case NULL:
      M._lua_pushlightuserdata(L, 0);
      return;
    case OBJ_BEGIN: {
      if (++dec.depth > dec.cfg.decodeMaxDepth) raise(L, `Found too many nested data structures (${dec.depth}) at character ${dec.index + 1}`);
      M._lua_createtable(L, 0, 0);
      dec.next();
      if (dec.type === OBJ_END) {
        dec.depth--;
        return;
      }
      for (;;) {
        if (dec.type !== STRING) decodeError(L, 'object key string');
        pushBytes(L, Buffer.from(dec.str, 'latin1'));
        dec.next();
        if (dec.type !== COLON) decodeError(L, 'colon');
        dec.next();
        decodeValue(L);
        M._lua_rawset(L, -3);
        dec.next();
        if (dec.type === OBJ_END) break;
        if (dec.type !== COMMA) decodeError(L, 'comma or object end');
        dec.next();
      }
      dec.depth--;
      return;
    }
    case ARR_BEGIN: {
      if (++dec.depth > dec.cfg.decodeMaxDepth) raise(L, `Found too many nested data structures (${dec.depth}) at character ${dec.index + 1}`);
      M._lua_createtable(L, 0, 0);
      dec.next();
      if (dec.type === ARR_END) {
        dec.depth--;
        return;
      }
      for (let i = 1; ; i++) {
        decodeValue(L);
        M._lua_rawseti(L, -2, i);
        dec.next();
        if (dec.type === ARR_END) break;
        if (dec.type !== COMMA) decodeError(L, 'comma or array end');
        dec.next();
      }
      dec.depth--;
      return;
    }
    default:
      decodeError(L, 'value');
  }
}

function optBoolean(L: number, idx: number, current: boolean): boolean {
  const t = M._lua_type(L, idx);
  if (t <= T_NIL) return current;
  if (t === T_BOOLEAN) return M._lua_toboolean(L, idx) !== 0;
  if (t === T_STRING) {
    const s = toStr(L, idx);
    if (s === 'on' || s === 'true') return true;
    if (s === 'off' || s === 'false') return false;
  }
  return argError(L, idx, "invalid option '" + (toStr(L, idx) ?? '') + "'");
}

function optInteger(L: number, idx: number, current: number, min: number, max: number): number {
  if (M._lua_type(L, idx) <= T_NIL) return current;
  const n = checkInt(L, idx);
  if (n < min || n > max) argError(L, idx, `expected integer between ${min} and ${max}`);
  return n;
}

function cjsonLibrary(L: number): void {
  M._lua_createtable(L, 0, 16);
  setFunction(L, 'encode', cfunction((L) => {
    if (M._lua_gettop(L) !== 1) argError(L, 1, 'expected 1 argument');
    const out: string[] = [];
    encodeValue(L, config(L), 0, out);
    pushBytes(L, Buffer.from(out.join(''), 'latin1'));
    return 1;
  }));
  setFunction(L, 'decode', cfunction((L) => {
    if (M._lua_gettop(L) !== 1) argError(L, 1, 'expected 1 argument');
    const s = toStr(L, 1);
    if (s === null) argError(L, 1, 'expected string');
    const dec = decoder;
    dec.cfg = config(L);
    dec.data = s;
    dec.pos = 0;
    dec.depth = 0;
    dec.next();
    decodeValue(L);
    dec.next();
    if (dec.type !== END) decodeError(L, 'the end');
    return 1;
  }));
  setFunction(L, 'encode_sparse_array', cfunction((L) => {
    const c = config(L);
    c.sparseConvert = optBoolean(L, 1, c.sparseConvert);
    c.sparseRatio = optInteger(L, 2, c.sparseRatio, 0, 2147483647);
    c.sparseSafe = optInteger(L, 3, c.sparseSafe, 0, 2147483647);
    M._lua_pushboolean(L, c.sparseConvert ? 1 : 0);
    M._lua_pushnumber(L, c.sparseRatio);
    M._lua_pushnumber(L, c.sparseSafe);
    return 3;
  }));
  setFunction(L, 'encode_max_depth', cfunction((L) => {
    const c = config(L);
    c.encodeMaxDepth = optInteger(L, 1, c.encodeMaxDepth, 1, 2147483647);
    M._lua_pushnumber(L, c.encodeMaxDepth);
    return 1;
  }));
  setFunction(L, 'decode_max_depth', cfunction((L) => {
    const c = config(L);
    c.decodeMaxDepth = optInteger(L, 1, c.decodeMaxDepth, 1, 2147483647);
    M._lua_pushnumber(L, c.decodeMaxDepth);
    return 1;
  }));
  setFunction(L, 'encode_number_precision', cfunction((L) => {
    const c = config(L);
    c.precision = optInteger(L, 1, c.precision, 1, 14);
    M._lua_pushnumber(L, c.precision);
    return 1;
  }));
  setFunction(L, 'encode_keep_buffer', cfunction((L) => {
    const c = config(L);
    c.keepBuffer = optBoolean(L, 1, c.keepBuffer);
    M._lua_pushboolean(L, c.keepBuffer ? 1 : 0);
    return 1;
  }));
  setFunction(L, 'encode_invalid_numbers', cfunction((L) => {
    const c = config(L);
    if (M._lua_type(L, 1) === T_STRING && toStr(L, 1) === 'null') c.encodeInvalid = 2;
    else if (M._lua_type(L, 1) > T_NIL) c.encodeInvalid = optBoolean(L, 1, false) ? 1 : 0;
    if (c.encodeInvalid === 2) pushLiteral(L, 'null');
    else M._lua_pushboolean(L, c.encodeInvalid);
    return 1;
  }));
  setFunction(L, 'decode_invalid_numbers', cfunction((L) => {
    const c = config(L);
    c.decodeInvalid = optBoolean(L, 1, c.decodeInvalid);
    M._lua_pushboolean(L, c.decodeInvalid ? 1 : 0);
    return 1;
  }));
  M._lua_pushlightuserdata(L, 0);
  M._lua_setfield(L, -2, cs('null'));
  pushLiteral(L, 'cjson');
  M._lua_setfield(L, -2, cs('_NAME'));
  pushLiteral(L, '2.1.0');
  M._lua_setfield(L, -2, cs('_VERSION'));
  M._lua_setfield(L, LUA_GLOBALSINDEX, cs('cjson'));
}

// ---- cmsgpack ----

const MAX_NESTING = 16;

class Packer {
  private buf = Buffer.alloc(256);
  len = 0;

  reset(): void {
    this.len = 0;
  }

  view(): Buffer {
    return this.buf.subarray(0, this.len);
  }

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const g = Buffer.alloc(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(g, 0, 0, this.len);
    this.buf = g;
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.len++] = b;
  }

  u16(v: number): void {
    this.ensure(2);
    this.buf.writeUInt16BE(v, this.len);
    this.len += 2;
  }

  u32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32BE(v >>> 0, this.len);
    this.len += 4;
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  big(tag: number, v: bigint, signed: boolean): void {
    this.byte(tag);
    this.ensure(8);
    if (signed) this.buf.writeBigInt64BE(v, this.len);
    else this.buf.writeBigUInt64BE(v, this.len);
    this.len += 8;
  }
}

const packer = new Packer();
const f32 = new Float32Array(1);

function packInt(n: number): void {
  const p = packer;
  if (n >= 0) {
    if (n <= 127) p.byte(n);
    else if (n <= 0xff) {
      p.byte(0xcc);
      p.byte(n);
    } else if (n <= 0xffff) {
      p.byte(0xcd);
      p.u16(n);
    } else if (n <= 0xffffffff) {
      p.byte(0xce);
      p.u32(n);
    } else p.big(0xcf, BigInt.asUintN(64, BigInt(n)), false);
  } else if (n >= -32) p.byte(n & 0xff);
  else if (n >= -128) {
    p.byte(0xd0);
    p.byte(n & 0xff);
  } else if (n >= -32768) {
    p.byte(0xd1);
    p.u16(n & 0xffff);
  } else if (n >= -2147483648) {
    p.byte(0xd2);
    p.u32(n);
  } else p.big(0xd3, BigInt.asIntN(64, BigInt(n)), true);
}

function packValue(L: number, level: number): void {
  const p = packer;
  let t = M._lua_type(L, -1);
  if (t === T_TABLE && level === MAX_NESTING) t = T_NIL;
  switch (t) {
    case T_STRING: {
      const s = toBytes(L, -1)!;
      const n = s.length;
      if (n < 32) p.byte(0xa0 | n);
      else if (n <= 0xff) {
        p.byte(0xd9);
        p.byte(n);
      } else if (n <= 0xffff) {
        p.byte(0xda);
        p.u16(n);
      } else {
        p.byte(0xdb);
        p.u32(n);
      }
      p.bytes(s);
      return;
    }
    case T_BOOLEAN:
      p.byte(M._lua_toboolean(L, -1) ? 0xc3 : 0xc2);
      return;
    case T_NUMBER: {
      const n = M._lua_tonumber(L, -1) as number;
      if (Number.isInteger(n) && n >= -9223372036854775808 && n < 9223372036854775808) packInt(n);
      else {
        f32[0] = n;
        if (f32[0] === n || (Number.isNaN(n) && false)) {
          p.byte(0xca);
          const b = Buffer.alloc(4);
          b.writeFloatBE(n);
          p.bytes(b);
        } else {
          p.byte(0xcb);
          const b = Buffer.alloc(8);
          b.writeDoubleBE(n);
          p.bytes(b);
        }
      }
      return;
    }
    case T_TABLE: {
      M._lua_checkstack(L, 3);
      // An array: only positive integer keys, 1..n without holes.
      let count = 0;
      let max = 0;
      let isArray = true;
      M._lua_pushnil(L);
      while (M._lua_next(L, -2) !== 0) {
        pop(L, 1);
        if (M._lua_type(L, -1) === T_NUMBER) {
          const k = M._lua_tonumber(L, -1) as number;
          if (k > 0 && Math.floor(k) === k) {
            if (k > max) max = k;
            count++;
            continue;
          }
        }
        isArray = false;
        pop(L, 1);
        break;
      }
      if (isArray && max === count) {
        if (count < 16) p.byte(0x90 | count);
        else if (count <= 0xffff) {
          p.byte(0xdc);
          p.u16(count);
        } else {
          p.byte(0xdd);
          p.u32(count);
        }
        for (let j = 1; j <= count; j++) {
          M._lua_rawgeti(L, -1, j);
          packValue(L, level + 1);
          pop(L, 1);
        }
        return;
      }
      let n = 0;
      M._lua_pushnil(L);
      while (M._lua_next(L, -2) !== 0) {
        pop(L, 1);
        n++;
      }
      if (n < 16) p.byte(0x80 | n);
      else if (n <= 0xffff) {
        p.byte(0xde);
        p.u16(n);
      } else {
        p.byte(0xdf);
        p.u32(n);
      }
      M._lua_pushnil(L);
      while (M._lua_next(L, -2) !== 0) {
        M._lua_pushvalue(L, -2);
        packValue(L, level + 1);
        pop(L, 1);
        packValue(L, level + 1);
        pop(L, 1);
      }
      return;
    }
    default:
      p.byte(0xc0);
  }
}

const EOF = 1;
const BADFMT = 2;

class Unpacker {
  data: Buffer = Buffer.alloc(0);
  pos = 0;
  err = 0;

  need(n: number): boolean {
    if (this.pos + n > this.data.length) {
      this.err = EOF;
      return false;
    }
    return true;
  }

  value(L: number): void {
    if (!this.need(1)) return;
    const d = this.data;
    const b = d[this.pos];
    M._lua_checkstack(L, 3);
    if (b <= 0x7f) {
      M._lua_pushnumber(L, b);
      this.pos++;
    } else if (b >= 0xe0) {
      M._lua_pushnumber(L, b - 256);
      this.pos++;
    } else if ((b & 0xf0) === 0x80) {
      this.pos++;
      this.map(L, b & 0x0f);
    } else if ((b & 0xf0) === 0x90) {
      this.pos++;
      this.array(L, b & 0x0f);
    } else if ((b & 0xe0) === 0xa0) {
      this.pos++;
      this.str(L, b & 0x1f);
    } else {
      const at = this.pos + 1;
      switch (b) {
        case 0xc0: this.pos++; M._lua_pushnil(L); return;
        case 0xc2: this.pos++; M._lua_pushboolean(L, 0); return;
        case 0xc3: this.pos++; M._lua_pushboolean(L, 1); return;
        case 0xc4: case 0xd9: if (!this.need(2)) return; this.pos += 2; this.str(L, d[at]); return;
        case 0xc5: case 0xda: if (!this.need(3)) return; this.pos += 3; this.str(L, d.readUInt16BE(at)); return;
        case 0xc6: case 0xdb: if (!this.need(5)) return; this.pos += 5; this.str(L, d.readUInt32BE(at)); return;
        case 0xca: if (!this.need(5)) return; this.pos += 5; M._lua_pushnumber(L, d.readFloatBE(at)); return;
        case 0xcb: if (!this.need(9)) return; this.pos += 9; M._lua_pushnumber(L, d.readDoubleBE(at)); return;
        case 0xcc: if (!this.need(2)) return; this.pos += 2; M._lua_pushnumber(L, d[at]); return;
        case 0xcd: if (!this.need(3)) return; this.pos += 3; M._lua_pushnumber(L, d.readUInt16BE(at)); return;
        case 0xce: if (!this.need(5)) return; this.pos += 5; M._lua_pushnumber(L, d.readUInt32BE(at)); return;
        case 0xcf: if (!this.need(9)) return; this.pos += 9; M._lua_pushnumber(L, Number(d.readBigUInt64BE(at))); return;
        case 0xd0: if (!this.need(2)) return; this.pos += 2; M._lua_pushnumber(L, d.readInt8(at)); return;
        case 0xd1: if (!this.need(3)) return; this.pos += 3; M._lua_pushnumber(L, d.readInt16BE(at)); return;
        case 0xd2: if (!this.need(5)) return; this.pos += 5; M._lua_pushnumber(L, d.readInt32BE(at)); return;
        case 0xd3: if (!this.need(9)) return; this.pos += 9; M._lua_pushnumber(L, Number(d.readBigInt64BE(at))); return;
        case 0xdc: if (!this.need(3)) return; this.pos += 3; this.array(L, d.readUInt16BE(at)); return;
        case 0xdd: if (!this.need(5)) return; this.pos += 5; this.array(L, d.readUInt32BE(at)); return;
        case 0xde: if (!this.need(3)) return; this.pos += 3; this.map(L, d.readUInt16BE(at)); return;
        case 0xdf: if (!this.need(5)) return; this.pos += 5; this.map(L, d.readUInt32BE(at)); return;
        default:
          this.err = BADFMT;
      }
    }
  }

  private str(L: number, n: number): void {
    if (!this.need(n)) return;
    pushSlice(L, this.data, this.pos, n);
    this.pos += n;
  }

  private array(L: number, n: number): void {
    M._lua_createtable(L, n, 0);
    for (let i = 1; i <= n; i++) {
      M._lua_pushnumber(L, i);
      this.value(L);
      if (this.err !== 0) return;
      M._lua_settable(L, -3);
    }
  }

  private map(L: number, n: number): void {
    M._lua_createtable(L, 0, n);
    for (let i = 0; i < n; i++) {
      this.value(L);
      if (this.err !== 0) return;
      this.value(L);
      if (this.err !== 0) return;
      M._lua_settable(L, -3);
    }
  }
}

const unpacker = new Unpacker();

function unpackFull(L: number, limit: number, offset: number): number {
  const s = toBytes(L, 1);
  if (s === null) argError(L, 1, 'string expected');
  const decodeAll = limit === 0 && offset === 0;
  if (offset < 0 || limit < 0) raise(L, `Invalid request to unpack with offset of ${offset} and limit of ${s.length}.`);
  else if (offset > s.length) raise(L, `Start offset ${offset} greater than input length ${s.length}.`);
  if (decodeAll) limit = 2147483647;
  const u = unpacker;
  u.data = s;
  u.pos = offset;
  u.err = 0;
  let cnt = 0;
  for (; u.pos < s.length && cnt < limit; cnt++) {
    u.value(L);
    if (u.err === EOF) raise(L, 'Missing bytes in input.');
    if (u.err === BADFMT) raise(L, 'Bad data format in input.');
  }
  if (!decodeAll) {
    M._lua_pushnumber(L, u.pos >= s.length ? -1 : u.pos);
    M._lua_insert(L, 2);
    cnt++;
  }
  return cnt;
}

function cmsgpackLibrary(L: number): void {
  M._lua_createtable(L, 0, 8);
  setFunction(L, 'pack', cfunction((L) => {
    const n = M._lua_gettop(L) as number;
    if (n === 0) argError(L, 0, 'MessagePack pack needs input.');
    packer.reset();
    for (let i = 1; i <= n; i++) {
      M._lua_pushvalue(L, i);
      packValue(L, 0);
      pop(L, 1);
    }
    pushBytes(L, packer.view());
    return 1;
  }));
  setFunction(L, 'unpack', cfunction((L) => {
    M._lua_settop(L, 1);
    return unpackFull(L, 0, 0);
  }));
  setFunction(L, 'unpack_one', cfunction((L) => {
    const offset = optInt(L, 2, 0);
    M._lua_settop(L, 1);
    return unpackFull(L, 1, offset);
  }));
  setFunction(L, 'unpack_limit', cfunction((L) => {
    const limit = checkInt(L, 2);
    const offset = optInt(L, 3, 0);
    M._lua_settop(L, 1);
    return unpackFull(L, limit, offset);
  }));
  pushLiteral(L, 'lua-cmsgpack');
  M._lua_setfield(L, -2, cs('_NAME'));
  pushLiteral(L, 'lua-cmsgpack 0.4.0');
  M._lua_setfield(L, -2, cs('_VERSION'));
  pushLiteral(L, 'Copyright (C) 2012, Salvatore Sanfilippo');
  M._lua_setfield(L, -2, cs('_COPYRIGHT'));
  pushLiteral(L, 'MessagePack C implementation for Lua');
  M._lua_setfield(L, -2, cs('_DESCRIPTION'));
  M._lua_setfield(L, LUA_GLOBALSINDEX, cs('cmsgpack'));
}

// ---- struct ----

const MAXINTSIZE = 32;
const MAXALIGN = 8;

interface Header {
  little: boolean;
  align: number;
}

class Fmt {
  s = '';
  i = 0;

  getnum(df: number): number {
    if (this.i >= this.s.length || !(this.s[this.i] >= '0' && this.s[this.i] <= '9')) return df;
    let a = 0;
    while (this.i < this.s.length && this.s[this.i] >= '0' && this.s[this.i] <= '9') {
      a = a * 10 + (this.s.charCodeAt(this.i++) - 48);
    }
    return a;
  }
}

function optsize(L: number, opt: string, f: Fmt): number {
  switch (opt) {
    case 'B': case 'b': return 1;
    case 'H': case 'h': return 2;
    case 'L': case 'l': return 8;
    case 'T': return 8;
    case 'f': return 4;
    case 'd': return 8;
    case 'x': return 1;
    case 'c': return f.getnum(1);
    case 'i': case 'I': {
      const sz = f.getnum(4);
      if (sz > MAXINTSIZE) raise(L, `integral size ${sz} is larger than limit of ${MAXINTSIZE}`);
      return sz;
    }
    default: return 0;
  }
}

function toalign(len: number, h: Header, opt: string, size: number): number {
  if (size === 0 || opt === 'c') return 0;
  if (size > h.align) size = h.align;
  return (size - (len & (size - 1))) & (size - 1);
}

function controloptions(L: number, opt: string, f: Fmt, h: Header): void {
  switch (opt) {
    case ' ': return;
    case '>': h.little = false; return;
    case '<': h.little = true; return;
    case '=': h.little = true; return;
    case '!': {
      const a = f.getnum(MAXALIGN);
      if ((a & (a - 1)) !== 0 || a === 0) raise(L, `alignment ${a} is not a power of 2`);
      h.align = a;
      return;
    }
    default:
      argError(L, 1, `invalid format option '${opt}'`);
  }
}

function putInteger(L: number, out: number[], arg: number, little: boolean, size: number): void {
  const n = M._luaL_checknumber(L, arg) as number;
  let v: bigint;
  if (!Number.isFinite(n)) v = 1n << 63n;
  else v = BigInt.asUintN(64, BigInt(Math.trunc(n)));
  const bytes: number[] = new Array(size).fill(0);
  for (let i = 0; i < size; i++) {
    const idx = little ? i : size - 1 - i;
    bytes[idx] = Number(v & 0xffn);
    v >>= 8n;
  }
  out.push(...bytes);
}

function structLibrary(L: number): void {
  M._lua_createtable(L, 0, 3);
  setFunction(L, 'pack', cfunction((L) => {
    const fmt = toStr(L, 1);
    if (fmt === null) M._luaL_checklstring(L, 1, 0);
    const f = new Fmt();
    f.s = fmt!;
    const h: Header = { little: true, align: 1 };
    let arg = 2;
    const out: number[] = [];
    M._lua_pushnil(L); // as struct.c: a mark after the arguments (a missing one is "got nil")
    while (f.i < f.s.length) {
      const opt = f.s[f.i++];
      let size = optsize(L, opt, f);
      let pad = toalign(out.length, h, opt, size);
      while (pad-- > 0) out.push(0);
      switch (opt) {
        case 'b': case 'B': case 'h': case 'H': case 'l': case 'L': case 'T': case 'i': case 'I':
          putInteger(L, out, arg++, h.little, size);
          break;
        case 'x':
          out.push(0);
          break;
        case 'f': {
          const b = Buffer.alloc(4);
          if (h.little) b.writeFloatLE(M._luaL_checknumber(L, arg++));
          else b.writeFloatBE(M._luaL_checknumber(L, arg++));
          out.push(...b);
          break;
        }
        case 'd': {
          const b = Buffer.alloc(8);
          if (h.little) b.writeDoubleLE(M._luaL_checknumber(L, arg++));
          else b.writeDoubleBE(M._luaL_checknumber(L, arg++));
          out.push(...b);
          break;
        }
        case 'c': case 's': {
          const a = arg++;
          if (M._lua_isstring(L, a) === 0) M._luaL_checklstring(L, a, 0);
          const s = toBytes(L, a)!;
          if (size === 0) size = s.length;
          if (!(s.length >= size)) argError(L, arg, 'string too short');
          out.push(...s.subarray(0, size));
          if (opt === 's') out.push(0);
          break;
        }
        default:
          controloptions(L, opt, f, h);
      }
    }
    pushBytes(L, Buffer.from(out));
    return 1;
  }));
  setFunction(L, 'unpack', cfunction((L) => {
    const fmt = toStr(L, 1);
    if (fmt === null) M._luaL_checklstring(L, 1, 0);
    if (M._lua_isstring(L, 2) === 0) M._luaL_checklstring(L, 2, 0);
    const data = toBytes(L, 2)!;
    let pos = optInt(L, 3, 1) - 1;
    if (!(pos >= 0 && pos <= data.length)) argError(L, 3, 'offset must be 1 or greater');
    const f = new Fmt();
    f.s = fmt!;
    const h: Header = { little: true, align: 1 };
    M._lua_settop(L, 2);
    let n = 0;
    while (f.i < f.s.length) {
      const opt = f.s[f.i++];
      let size = optsize(L, opt, f);
      pos += toalign(pos, h, opt, size);
      if (!(pos + size <= data.length)) argError(L, 2, 'data string too short');
      M._luaL_checkstack(L, 2, cs('too many results'));
      switch (opt) {
        case 'b': case 'B': case 'h': case 'H': case 'l': case 'L': case 'T': case 'i': case 'I': {
          let v = 0n;
          for (let i = 0; i < size; i++) {
            const byte = BigInt(data[pos + (h.little ? size - 1 - i : i)]);
            v = (v << 8n) | byte;
          }
          v = BigInt.asUintN(64, v);
          if (opt === opt.toLowerCase() && size < 8) {
            const mask = 1n << BigInt(size * 8 - 1);
            v = BigInt.asUintN(64, (v ^ mask) - mask);
          }
          M._lua_pushnumber(L, Number(BigInt.asIntN(64, v)));
          n++;
          break;
        }
        case 'x':
          break;
        case 'f':
          M._lua_pushnumber(L, h.little ? data.readFloatLE(pos) : data.readFloatBE(pos));
          n++;
          break;
        case 'd':
          M._lua_pushnumber(L, h.little ? data.readDoubleLE(pos) : data.readDoubleBE(pos));
          n++;
          break;
        case 'c': {
          if (size === 0) {
            if (n === 0 || !M._lua_isnumber(L, -1)) raise(L, "format 'c0' needs a previous size");
            size = Math.trunc(M._lua_tonumber(L, -1) as number);
            pop(L, 1);
            n--;
            if (!(pos + size <= data.length)) argError(L, 2, 'data string too short');
          }
          pushBytes(L, data.subarray(pos, pos + size));
          n++;
          break;
        }
        case 's': {
          const e = data.indexOf(0, pos);
          if (e < 0) raise(L, 'unfinished string in data');
          size = e - pos + 1;
          pushBytes(L, data.subarray(pos, e));
          n++;
          break;
        }
        default:
          controloptions(L, opt, f, h);
      }
      pos += size;
    }
    M._lua_pushnumber(L, pos + 1);
    return n + 1;
  }));
  setFunction(L, 'size', cfunction((L) => {
    const fmt = toStr(L, 1);
    if (fmt === null) M._luaL_checklstring(L, 1, 0);
    const f = new Fmt();
    f.s = fmt!;
    const h: Header = { little: true, align: 1 };
    let pos = 0;
    while (f.i < f.s.length) {
      const opt = f.s[f.i++];
      const size = optsize(L, opt, f);
      pos += toalign(pos, h, opt, size);
      if (opt === 's') argError(L, 1, "option 's' has no fixed size");
      else if (opt === 'c' && size === 0) argError(L, 1, "option 'c0' has no fixed size");
      if (!/[0-9A-Za-z]/.test(opt)) controloptions(L, opt, f, h);
      pos += size;
    }
    M._lua_pushnumber(L, pos);
    return 1;
  }));
  M._lua_setfield(L, LUA_GLOBALSINDEX, cs('struct'));
}

/** cjson, cmsgpack, bit and struct as globals of L (before the globals are protected). */
export function openLibraries(L: number): void {
  cjsonLibrary(L);
  cmsgpackLibrary(L);
  bitLibrary(L);
  structLibrary(L);
}

export function forgetLibraryState(L: number): void {
  cjsonConfigs.delete(globalOf(L));
}
