/*
 * FUNCTION libraries (Redis 7.0 functions.c): load, delete, flush, list, dump and restore.
 *
 * A library context holds the libraries by name (case-sensitive, as librariesDictType) and
 * every function of every library by name (case-insensitive, as functionDictType, which is how
 * FCALL finds them). Each function is a Lua function kept in the VM's registry (its `ref`).
 * Loading runs the library's code in the VM; its redis.register_function calls come back here
 * (registerFunction) and fill the library being created. RESTORE loads into a fresh context
 * and joins it with the current one, with Redis's FLUSH/APPEND/REPLACE policies and errors.
 *
 * DUMP's payload is Redis's: each library as an RDB_OPCODE_FUNCTION2 string (LZF-compressed
 * when that saves at least 4 bytes, as rdbSaveRawString), then RDB version 10 and a CRC64,
 * so payloads move between slabcache and redis-server 7.0 both ways.
 *
 * Libraries are listed in load order; Redis lists them in its hash table's order.
 */
import type { LuaVM } from './lua-vm.ts';
import { crc64 } from './crc64.ts';
import { lzfCompress, lzfDecompress } from './lzf.ts';
import { extractLibraryMetadata, isValidName } from './shebang.ts';

export interface FunctionInfo {
  readonly name: string;
  readonly description: Buffer | null;
  readonly flags: number;
  /** The Lua function in the VM's registry. */
  ref: number;
  readonly library: Library;
}

export interface Library {
  readonly name: string;
  /** The whole payload given to FUNCTION LOAD, shebang included. */
  readonly code: Buffer;
  /** By name, case-sensitive, in registration order. */
  readonly functions: Map<string, FunctionInfo>;
}

/** functionsLibCtx. */
class LibraryContext {
  readonly libraries = new Map<string, Library>();
  /** By lower-case name. */
  readonly functions = new Map<string, FunctionInfo>();

  link(lib: Library): void {
    for (const fn of lib.functions.values()) this.functions.set(fn.name.toLowerCase(), fn);
    this.libraries.set(lib.name, lib);
  }

  unlink(lib: Library): void {
    for (const fn of lib.functions.values()) this.functions.delete(fn.name.toLowerCase());
    this.libraries.delete(lib.name);
  }

  functionCount(): number {
    return this.functions.size;
  }
}

const RDB_OPCODE_FUNCTION2 = 245;
const RDB_OPCODE_FUNCTION = 246;
const RDB_VERSION = 10;
/** FUNCTION LOAD's time limit for running a library's code (LOAD_TIMEOUT_MS). */
const LOAD_TIMEOUT_MS = 500;
const INVALID_NAME = 'Library names can only contain letters, numbers, or underscores(_) and must be at least one character long';

export class FunctionLibraries {
  private vm: LuaVM;
  private current = new LibraryContext();
  /** The library whose code is running (FUNCTION LOAD), receiving register_function calls. */
  private pending: Library | null = null;

  constructor(vm: LuaVM) {
    this.vm = vm;
  }

  get libraries(): ReadonlyMap<string, Library> {
    return this.current.libraries;
  }

  /** FCALL's lookup, case-insensitive. */
  lookup(name: string): FunctionInfo | undefined {
    return this.current.functions.get(name.toLowerCase());
  }

  functionCount(): number {
    return this.current.functionCount();
  }

  /** functionLibCreateFunction, called by redis.register_function: null, or an error text. */
  registerFunction(nameBytes: Buffer, description: Buffer | null, ref: number, flags: number): string | null {
    const lib = this.pending;
    if (lib === null) return 'redis.register_function can only be called on FUNCTION LOAD command';
    const name = nameBytes.toString('latin1');
    if (!isValidName(name)) return INVALID_NAME;
    if (lib.functions.has(name)) return 'Function already exists in the library';
    lib.functions.set(name, { name, description, flags, ref, library: lib });
    return null;
  }

  /** FUNCTION LOAD [REPLACE]: the library's name, or an error text (without "ERR "). */
  load(code: Buffer, replace: boolean): { name: string } | string {
    return this.create(code, replace, this.current, LOAD_TIMEOUT_MS);
  }

  /** FUNCTION DELETE: false when there is no such library. */
  delete(name: string): boolean {
    const lib = this.current.libraries.get(name);
    if (lib === undefined) return false;
    this.current.unlink(lib);
    this.free(lib);
    return true;
  }

  /** FUNCTION FLUSH. */
  flush(): void {
    this.clear(this.current);
  }

  /** FUNCTION DUMP's payload. */
  dump(): Buffer {
    const parts: Buffer[] = [];
    for (const lib of this.current.libraries.values()) {
      parts.push(Buffer.from([RDB_OPCODE_FUNCTION2]));
      parts.push(this.rdbString(lib.code));
    }
    parts.push(Buffer.from([RDB_VERSION & 0xff, (RDB_VERSION >> 8) & 0xff]));
    const body = Buffer.concat(parts);
    const crc = Buffer.alloc(8);
    crc.writeBigUInt64LE(crc64(body));
    return Buffer.concat([body, crc]);
  }

  /** FUNCTION RESTORE payload [FLUSH|APPEND|REPLACE]: null, or an error text (without "ERR "). */
  restore(data: Buffer, policy: 'flush' | 'append' | 'replace'): string | null {
    if (!this.verifyPayload(data)) return 'DUMP payload version or checksum are wrong';
    const ctx = new LibraryContext();
    let pos = 0;
    let error: string | null = null;
    const reader = new RdbReader(data);
    while (data.length - pos > 10) {
      reader.pos = pos;
      const type = data[reader.pos++];
      if (type !== RDB_OPCODE_FUNCTION2 && type !== RDB_OPCODE_FUNCTION) {
        error = 'given type is not a function';
        break;
      }
      let payload: Buffer | null;
      if (type === RDB_OPCODE_FUNCTION) {
        const name = reader.string();
        const engine = name === null ? null : reader.string();
        const hasDesc = engine === null ? null : reader.length();
        const desc = hasDesc === null || hasDesc === 0 ? null : reader.string();
        const blob = hasDesc === null || (hasDesc !== 0 && desc === null) ? null : reader.string();
        payload = blob === null ? null : Buffer.concat([Buffer.from(`#!${engine!.toString('latin1')} name=${name!.toString('latin1')}\n`, 'latin1'), blob]);
        if (payload === null) {
          error = 'failed loading the given functions payload';
          break;
        }
      } else {
        payload = reader.string();
        if (payload === null) {
          error = 'Failed loading library payload';
          break;
        }
      }
      const created = this.create(payload, false, ctx, 0);
      if (typeof created === 'string') {
        error = created;
        break;
      }
      pos = reader.pos;
    }
    if (error === null) {
      if (policy === 'flush') {
        this.clear(this.current);
        for (const lib of ctx.libraries.values()) this.current.link(lib);
        return null;
      }
      error = this.join(ctx, policy === 'replace');
      if (error === null) return null;
    }
    this.clear(ctx);
    return error;
  }

  /** Load every library again in a new VM (the old one failed). */
  moveTo(vm: LuaVM): void {
    const libraries = [...this.current.libraries.values()];
    this.vm = vm;
    this.current = new LibraryContext();
    for (const lib of libraries) this.create(lib.code, false, this.current, 0);
  }

  /** functionsCreateWithLibraryCtx. */
  private create(code: Buffer, replace: boolean, ctx: LibraryContext, timeoutMs: number): { name: string } | string {
    const md = extractLibraryMetadata(code.toString('latin1'));
    if (typeof md === 'string') return md;
    if (!isValidName(md.name)) return INVALID_NAME;
    if (md.engine.toLowerCase() !== 'lua') return `Engine '${md.engine}' not found`;
    let old = ctx.libraries.get(md.name) ?? null;
    if (old !== null && !replace) return `Library '${md.name}' already exists`;
    if (old !== null) ctx.unlink(old);
    const lib: Library = { name: md.name, code, functions: new Map() };
    const vm = this.vm;
    const body = Buffer.from(md.code, 'latin1');
    this.pending = lib;
    let failed: number;
    try {
      failed = vm.fnCreate(body, timeoutMs);
    } finally {
      this.pending = null;
    }
    let error: string | null = null;
    if (failed !== 0) error = vm.output().toString('latin1');
    else if (lib.functions.size === 0) error = 'No functions registered';
    else {
      for (const fn of lib.functions.values()) {
        if (ctx.functions.has(fn.name.toLowerCase())) {
          error = `Function ${fn.name} already exists`;
          break;
        }
      }
    }
    if (error !== null) {
      this.free(lib);
      if (old !== null) ctx.link(old);
      return error;
    }
    ctx.link(lib);
    if (old !== null) this.free(old);
    old = null;
    return { name: md.name };
  }

  /** libraryJoin: move src's libraries into the current context; null or an error text. */
  private join(src: LibraryContext, replace: boolean): string | null {
    const dst = this.current;
    const replaced: Library[] = [];
    const undo = (): void => {
      for (const lib of replaced) dst.link(lib);
    };
    for (const lib of src.libraries.values()) {
      const old = dst.libraries.get(lib.name);
      if (old === undefined) continue;
      if (!replace) {
        undo();
        return `Library ${lib.name} already exists`;
      }
      dst.unlink(old);
      replaced.push(old);
    }
    for (const fn of src.functions.values()) {
      if (dst.functions.has(fn.name.toLowerCase())) {
        undo();
        return `Function ${fn.name} already exists`;
      }
    }
    for (const lib of src.libraries.values()) dst.link(lib);
    src.libraries.clear();
    src.functions.clear();
    for (const lib of replaced) this.free(lib);
    return null;
  }

  private clear(ctx: LibraryContext): void {
    for (const lib of ctx.libraries.values()) this.free(lib);
    ctx.libraries.clear();
    ctx.functions.clear();
  }

  private free(lib: Library): void {
    for (const fn of lib.functions.values()) {
      if (fn.ref >= 0) this.vm.fnFree(fn.ref);
      fn.ref = -1;
    }
  }

  /** verifyDumpPayload: RDB version not newer than ours and the CRC64 matches. */
  private verifyPayload(data: Buffer): boolean {
    if (data.length < 10) return false;
    const footer = data.length - 10;
    const version = data[footer] | (data[footer + 1] << 8);
    if (version > RDB_VERSION) return false;
    return crc64(data.subarray(0, data.length - 8)) === data.readBigUInt64LE(data.length - 8);
  }

  /** rdbSaveRawString for a library's code (never integer-like: it starts with "#!"). */
  private rdbString(s: Buffer): Buffer {
    if (s.length > 20 && s.length > 4) {
      const packed = lzfCompress(s, s.length - 4);
      if (packed !== null) return Buffer.concat([Buffer.from([0xc3]), rdbLength(packed.length), rdbLength(s.length), packed]);
    }
    return Buffer.concat([rdbLength(s.length), s]);
  }
}

/** rdbSaveLen. */
function rdbLength(len: number): Buffer {
  if (len < 64) return Buffer.from([len]);
  if (len < 16384) return Buffer.from([0x40 | (len >> 8), len & 0xff]);
  if (len <= 0xffffffff) {
    const b = Buffer.alloc(5);
    b[0] = 0x80;
    b.writeUInt32BE(len, 1);
    return b;
  }
  const b = Buffer.alloc(9);
  b[0] = 0x81;
  b.writeBigUInt64BE(BigInt(len), 1);
  return b;
}

/** rdbLoadLen / rdbGenericLoadStringObject over a payload; null on malformed input. */
class RdbReader {
  pos = 0;
  private readonly data: Buffer;
  /** The last length read was an encoding marker (RDB_ENCVAL). */
  private encoded = false;

  constructor(data: Buffer) {
    this.data = data;
  }

  length(): number | null {
    const d = this.data;
    if (this.pos >= d.length) return null;
    const first = d[this.pos++];
    const type = first >> 6;
    this.encoded = false;
    if (type === 3) {
      this.encoded = true;
      return first & 0x3f;
    }
    if (type === 0) return first & 0x3f;
    if (type === 1) {
      if (this.pos >= d.length) return null;
      return ((first & 0x3f) << 8) | d[this.pos++];
    }
    if (first === 0x80) {
      if (this.pos + 4 > d.length) return null;
      const v = d.readUInt32BE(this.pos);
      this.pos += 4;
      return v;
    }
    if (first === 0x81) {
      if (this.pos + 8 > d.length) return null;
      const v = Number(d.readBigUInt64BE(this.pos));
      this.pos += 8;
      return v;
    }
    return null;
  }

  string(): Buffer | null {
    const len = this.length();
    if (len === null) return null;
    const d = this.data;
    if (this.encoded) {
      if (len === 0 || len === 1 || len === 2) {
        const size = 1 << len;
        if (this.pos + size > d.length) return null;
        const v = len === 0 ? d.readInt8(this.pos) : len === 1 ? d.readInt16LE(this.pos) : d.readInt32LE(this.pos);
        this.pos += size;
        return Buffer.from(String(v));
      }
      if (len === 3) {
        const clen = this.length();
        const olen = clen === null ? null : this.length();
        if (clen === null || olen === null || this.pos + clen > d.length) return null;
        const out = lzfDecompress(d.subarray(this.pos, this.pos + clen), olen);
        this.pos += clen;
        return out;
      }
      return null;
    }
    if (this.pos + len > d.length) return null;
    const out = Buffer.from(d.subarray(this.pos, this.pos + len));
    this.pos += len;
    return out;
  }
}
