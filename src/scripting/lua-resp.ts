/*
 * Lua values and RESP, both ways, by Redis 7.0's rules (script_lua.c is the specification):
 *
 *  - pushRespReply: a command's RESP2/RESP3 reply, as redis.call returns it to the script:
 *    integer -> number, bulk -> string, null bulk/array -> false, array -> table, status ->
 *    {ok=}, error -> {err=} (raised by redis.call), RESP3 map -> {map={}}, set -> {set={k=true}},
 *    null -> nil, boolean -> boolean, double -> {double=}, big number -> {big_number=},
 *    verbatim -> {verbatim_string={format=, string=}}; attributes are skipped.
 *  - writeLuaReply: the script's result as the caller's reply: string -> bulk, number ->
 *    integer (truncated as C's (long long) cast), boolean -> 1/nil in RESP2 scripts (RESP3
 *    booleans after redis.setresp(3)), tables by their err/ok/double/big_number/
 *    verbatim_string/map/set field, else an array up to the first nil.
 *  - pushErrorTable: luaPushErrorBuff's {err="CODE message"} tables.
 */
import { M, T_NIL, T_BOOLEAN, T_NUMBER, T_STRING, T_TABLE, cs, pushBytes, pushSlice, heapStringAt, heapString, pushString, pushLiteral, toBytes, toCStr, pop, formatG, toLongLong } from './lua-api.ts';
import { copyBytes } from '../../store/bytes.ts';

/** A growable byte buffer for one reply. */
export class RespWriter {
  private buf: Buffer = Buffer.alloc(1024);
  private len = 0;

  reset(): void {
    this.len = 0;
    if (this.buf.length > 1 << 20) this.buf = Buffer.alloc(1024);
  }

  view(): Buffer {
    return this.buf.subarray(0, this.len);
  }

  /** The bytes written are data()[0 .. length()) (no view made). */
  data(): Buffer {
    return this.buf;
  }

  length(): number {
    return this.len;
  }

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const grown = Buffer.alloc(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(grown, 0, 0, this.len);
    this.buf = grown;
  }

  /** latin1 text. */
  text(s: string): void {
    this.ensure(s.length);
    this.len += this.buf.write(s, this.len, 'latin1');
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  line(s: string): void {
    this.text(s);
    this.text('\r\n');
  }

  /** An error line; text starts with '-'. */
  errorLine(text: string): void {
    this.line(text);
  }

  bulk(b: Uint8Array): void {
    this.line(`$${b.length}`);
    this.bytes(b);
    this.text('\r\n');
  }

  /** bulk of src[off, off+n), with no string or view made. */
  bulkSlice(src: Uint8Array, off: number, n: number): void {
    this.ensure(n + 16);
    const buf = this.buf;
    let p = this.len;
    buf[p++] = 36; // '$'
    let digits = 1;
    for (let v = n; v >= 10; v = (v / 10) | 0) digits++;
    for (let v = n, i = p + digits - 1; i >= p; i--, v = (v / 10) | 0) buf[i] = 48 + (v % 10);
    p += digits;
    buf[p++] = 13;
    buf[p++] = 10;
    copyBytes(src, off, buf, p, n);
    p += n;
    buf[p++] = 13;
    buf[p++] = 10;
    this.len = p;
  }

  bulkText(s: string): void {
    this.bulk(Buffer.from(s, 'latin1'));
  }

  nil(resp: number): void {
    this.text(resp === 2 ? '$-1\r\n' : '_\r\n');
  }

  /** addReplyDouble. */
  double(d: number, resp: number): void {
    if (d === Infinity || d === -Infinity) {
      if (resp === 2) this.bulkText(d > 0 ? 'inf' : '-inf');
      else this.line(d > 0 ? ',inf' : ',-inf');
      return;
    }
    const s = formatG(d, 17);
    if (resp === 2) this.bulkText(s);
    else this.line(`,${s}`);
  }
}

/** luaPushErrorBuff: {err = "CODE message"} from "-CODE message" or "message". */
export function pushErrorTable(L: number, text: string): void {
  let code = 'ERR';
  let msg: string;
  if (text.startsWith('-')) {
    const sp = text.indexOf(' ');
    if (sp < 0) msg = text.slice(1);
    else {
      code = text.slice(1, sp);
      msg = text.slice(sp + 1);
    }
  } else msg = text;
  msg = msg.replace(/^[\r\n]+|[\r\n]+$/g, '');
  let final = `${code} ${msg}`;
  const nul = final.indexOf('\0');
  if (nul >= 0) final = final.slice(0, nul);
  M._lua_createtable(L, 0, 1);
  pushString(L, final);
  M._lua_setfield(L, -2, cs('err'));
}

// ---- RESP -> Lua ----

class ReplyParser {
  pos = 0;
  buf: Buffer = Buffer.alloc(0);

  private lineEnd(): number {
    const e = this.buf.indexOf(13, this.pos);
    return e < 0 ? this.buf.length : e;
  }

  /** A reply header's length (bulk or aggregate count, -1 for nil), read without a string. */
  private takeLength(): number {
    const buf = this.buf;
    let p = this.pos + 1;
    const negative = buf[p] === 45; // '-'
    if (negative) p++;
    let n = 0;
    for (let c = buf[p]; c !== 13; c = buf[++p]) n = n * 10 + c - 48;
    this.pos = p + 2;
    return negative ? -n : n;
  }

  private takeLine(): string {
    const e = this.lineEnd();
    const s = this.buf.toString('latin1', this.pos + 1, e);
    this.pos = e + 2;
    return s;
  }

  /** Parse one reply; push it on L unless L is 0 (skipped). */
  parse(L: number): void {
    const buf = this.buf;
    const type = buf[this.pos];
    if (L !== 0) M._lua_checkstack(L, 5);
    switch (type) {
      case 0x2b: { // '+'
        const e = this.lineEnd();
        if (L !== 0) {
          M._lua_createtable(L, 0, 1);
          pushSlice(L, buf, this.pos + 1, e - this.pos - 1);
          M._lua_setfield(L, -2, cs('ok'));
        }
        this.pos = e + 2;
        return;
      }
      case 0x2d: { // '-'
        const s = this.takeLine();
        if (L !== 0) {
          pushErrorTable(L, `-${s}`);
          pushLiteral(L, 'ignore_error_stats_update');
          M._lua_pushboolean(L, 1);
          M._lua_settable(L, -3);
        }
        return;
      }
      case 0x3a: { // ':'
        const s = this.takeLine();
        if (L !== 0) M._lua_pushnumber(L, Number(s));
        return;
      }
      case 0x24: { // '$'
        const n = this.takeLength();
        if (n < 0) {
          if (L !== 0) M._lua_pushboolean(L, 0);
          return;
        }
        if (L !== 0) pushSlice(L, buf, this.pos, n);
        this.pos += n + 2;
        return;
      }
      case 0x2a: // '*'
      case 0x3e: { // '>'
        const n = this.takeLength();
        if (n < 0) {
          if (L !== 0) M._lua_pushboolean(L, 0);
          return;
        }
        if (L !== 0) M._lua_createtable(L, n, 0);
        for (let j = 0; j < n; j++) {
          if (L !== 0) M._lua_pushnumber(L, j + 1);
          this.parse(L);
          if (L !== 0) M._lua_settable(L, -3);
        }
        return;
      }
      case 0x25: { // '%'
        const n = this.takeLength();
        if (L !== 0) {
          M._lua_createtable(L, 0, 1);
          pushLiteral(L, 'map');
          M._lua_createtable(L, 0, n);
        }
        for (let j = 0; j < n; j++) {
          this.parse(L);
          this.parse(L);
          if (L !== 0) M._lua_settable(L, -3);
        }
        if (L !== 0) M._lua_settable(L, -3);
        return;
      }
      case 0x7e: { // '~'
        const n = this.takeLength();
        if (L !== 0) {
          M._lua_createtable(L, 0, 1);
          pushLiteral(L, 'set');
          M._lua_createtable(L, 0, n);
        }
        for (let j = 0; j < n; j++) {
          this.parse(L);
          if (L !== 0) {
            M._lua_pushboolean(L, 1);
            M._lua_settable(L, -3);
          }
        }
        if (L !== 0) M._lua_settable(L, -3);
        return;
      }
      case 0x7c: { // '|' attribute: skipped, then the reply itself
        const n = this.takeLength();
        for (let j = 0; j < n * 2; j++) this.parse(0);
        this.parse(L);
        return;
      }
      case 0x5f: // '_'
        this.takeLine();
        if (L !== 0) M._lua_pushnil(L);
        return;
      case 0x23: { // '#'
        const s = this.takeLine();
        if (L !== 0) M._lua_pushboolean(L, s === 't' ? 1 : 0);
        return;
      }
      case 0x2c: { // ','
        const s = this.takeLine();
        if (L !== 0) {
          M._lua_createtable(L, 0, 1);
          M._lua_pushnumber(L, parseDouble(s));
          M._lua_setfield(L, -2, cs('double'));
        }
        return;
      }
      case 0x28: { // '('
        const e = this.lineEnd();
        if (L !== 0) {
          M._lua_createtable(L, 0, 1);
          pushBytes(L, buf.subarray(this.pos + 1, e));
          M._lua_setfield(L, -2, cs('big_number'));
        }
        this.pos = e + 2;
        return;
      }
      case 0x3d: { // '=' verbatim: "fmt:" then the string
        const n = this.takeLength();
        if (L !== 0) {
          M._lua_createtable(L, 0, 1);
          pushLiteral(L, 'verbatim_string');
          M._lua_createtable(L, 0, 2);
          pushBytes(L, buf.subarray(this.pos + 4, this.pos + n));
          M._lua_setfield(L, -2, cs('string'));
          pushBytes(L, buf.subarray(this.pos, this.pos + 3));
          M._lua_setfield(L, -2, cs('format'));
          M._lua_settable(L, -3);
        }
        this.pos += n + 2;
        return;
      }
      default:
        // Not RESP (cannot happen for a command's reply): nil.
        this.pos = buf.length;
        if (L !== 0) M._lua_pushnil(L);
    }
  }
}

function parseDouble(s: string): number {
  const l = s.toLowerCase();
  if (l === 'inf' || l === '+inf') return Infinity;
  if (l === '-inf') return -Infinity;
  if (l === 'nan' || l === '-nan') return NaN;
  return Number(s);
}

const parser = new ReplyParser();

/** redisProtocolToLuaType: push the reply's Lua value. */
export function pushRespReply(L: number, reply: Buffer, at = 0): void {
  const saved = parser.buf;
  const savedPos = parser.pos;
  parser.buf = reply;
  parser.pos = at;
  parser.parse(L);
  parser.buf = saved;
  parser.pos = savedPos;
}

// ---- Lua -> RESP ----

/** rawget(t at -1, name): pushes the value, returns its type. */
function rawField(L: number, name: string): number {
  pushLiteral(L, name);
  M._lua_rawget(L, -2);
  return M._lua_type(L, -1) as number;
}

const ARRAY = 0;
const MAP_KEY = 1;
const MAP_VALUE = 2;
const SET = 3;

/** An open container while writing: its kind (and for arrays, the next index and the length). */
interface Frame {
  kind: number;
  j: number;
  n: number;
}

/**
 * luaReplyToRedisReply: the value on top of L's stack (consumed) as a reply. Iterative (an
 * explicit stack of open containers), so a table nested as deep as Lua's own stack allows
 * (lua_checkstack fails at Redis's depth, with Redis's "reached lua stack limit") does not
 * overflow the JavaScript stack.
 */
export function writeLuaReply(L: number, w: RespWriter, resp: number, scriptResp: number): void {
  const frames: Frame[] = [];
  let emit = true;
  for (;;) {
    if (emit) writeValue(L, w, resp, scriptResp, frames);
    const f = frames.at(-1);
    if (f === undefined) return;
    emit = true;
    switch (f.kind) {
      case ARRAY:
        if (f.j <= f.n) {
          M._lua_rawgeti(L, -1, f.j++);
          continue;
        }
        pop(L, 1);
        break;
      case MAP_KEY:
        // stack: t, inner, key
        if (M._lua_next(L, -2) !== 0) {
          M._lua_pushvalue(L, -2);
          f.kind = MAP_VALUE;
          continue;
        }
        pop(L, 2);
        break;
      case MAP_VALUE:
        // stack: t, inner, key, value
        f.kind = MAP_KEY;
        continue;
      case SET:
        if (M._lua_next(L, -2) !== 0) {
          pop(L, 1);
          M._lua_pushvalue(L, -1);
          continue;
        }
        pop(L, 2);
        break;
    }
    frames.pop();
    emit = false;
  }
}

/** Write (and pop) a scalar or special table; for a container, write its header and open a frame. */
function writeValue(L: number, w: RespWriter, resp: number, scriptResp: number, frames: Frame[]): void {
  if (!M._lua_checkstack(L, 4)) {
    w.errorLine('-ERR reached lua stack limit');
    pop(L, 1);
    return;
  }
  const t = M._lua_type(L, -1) as number;
  switch (t) {
    case T_STRING: {
      const at = heapStringAt(L, -1);
      w.bulkSlice(M.HEAPU8, at, heapString.length);
      break;
    }
    case T_BOOLEAN: {
      const b = M._lua_toboolean(L, -1) !== 0;
      if (scriptResp === 2) {
        if (b) w.text(':1\r\n');
        else w.nil(resp);
      } else if (resp === 2) w.text(b ? ':1\r\n' : ':0\r\n');
      else w.text(b ? '#t\r\n' : '#f\r\n');
      break;
    }
    case T_NUMBER:
      w.line(`:${toLongLong(M._lua_tonumber(L, -1) as number)}`);
      break;
    case T_TABLE:
      writeTable(L, w, resp, frames);
      return;
    default:
      w.nil(resp);
  }
  pop(L, 1);
}

function countPairs(L: number): number {
  let n = 0;
  M._lua_pushnil(L);
  while (M._lua_next(L, -2) !== 0) {
    pop(L, 1);
    n++;
  }
  return n;
}

function writeTable(L: number, w: RespWriter, resp: number, frames: Frame[]): void {
  if (rawField(L, 'err') === T_STRING) {
    pop(L, 1);
    M._lua_getfield(L, -1, cs('err'));
    const msg = M._lua_isstring(L, -1) ? toCStr(L, -1)! : '';
    pop(L, 1);
    const text = `-${msg}`.replace(/^[\r\n]+|[\r\n]+$/g, '').replace(/[\r\n]/g, ' ');
    w.errorLine(text.startsWith('-') ? text : `-ERR ${text}`);
    pop(L, 1);
    return;
  }
  pop(L, 1);
  if (rawField(L, 'ok') === T_STRING) {
    const ok = toCStr(L, -1)!.replace(/[\r\n]/g, ' ');
    w.line(`+${ok}`);
    pop(L, 2);
    return;
  }
  pop(L, 1);
  if (rawField(L, 'double') === T_NUMBER) {
    w.double(M._lua_tonumber(L, -1) as number, resp);
    pop(L, 2);
    return;
  }
  pop(L, 1);
  if (rawField(L, 'big_number') === T_STRING) {
    const s = toBytes(L, -1)!;
    for (let i = 0; i < s.length; i++) if (s[i] === 13 || s[i] === 10) s[i] = 32;
    if (resp === 2) w.bulk(s);
    else {
      w.text('(');
      w.bytes(s);
      w.text('\r\n');
    }
    pop(L, 2);
    return;
  }
  pop(L, 1);
  if (rawField(L, 'verbatim_string') === T_TABLE) {
    if (rawField(L, 'format') === T_STRING) {
      const format = toCStr(L, -1)!;
      pushLiteral(L, 'string');
      M._lua_rawget(L, -3);
      if (M._lua_type(L, -1) === T_STRING) {
        const s = toBytes(L, -1)!;
        if (resp === 2) w.bulk(s);
        else {
          let ext = '';
          for (let i = 0; i < 3; i++) ext += i < format.length ? format[i] : ' ';
          w.line(`=${s.length + 4}`);
          w.text(`${ext}:`);
          w.bytes(s);
          w.text('\r\n');
        }
        pop(L, 4);
        return;
      }
      pop(L, 1);
    }
    pop(L, 1);
  }
  pop(L, 1);
  if (rawField(L, 'map') === T_TABLE) {
    const n = countPairs(L);
    w.line(resp === 2 ? `*${n * 2}` : `%${n}`);
    M._lua_pushnil(L);
    frames.push({ kind: MAP_KEY, j: 0, n });
    return;
  }
  pop(L, 1);
  if (rawField(L, 'set') === T_TABLE) {
    const n = countPairs(L);
    w.line(resp === 2 ? `*${n}` : `~${n}`);
    M._lua_pushnil(L);
    frames.push({ kind: SET, j: 0, n });
    return;
  }
  pop(L, 1);
  let n = 0;
  for (;;) {
    M._lua_rawgeti(L, -1, n + 1);
    const nil = M._lua_type(L, -1) === T_NIL;
    pop(L, 1);
    if (nil) break;
    n++;
  }
  w.line(`*${n}`);
  frames.push({ kind: ARRAY, j: 1, n });
}
