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
 * under rdbcompression when that saves at least 4 bytes, as rdbSaveRawString), then RDB
 * version 10 and a CRC64, so payloads move between slabcache and redis-server 7.0 both ways.
 *
 * Libraries are listed in load order; Redis lists them in its hash table's order.
 */
import type { LuaVM } from './lua-vm.ts';
import { RdbReader } from '../rdb/rdb-reader.ts';
import { RdbWriter } from '../rdb/rdb-writer.ts';
import { sealDumpPayload, verifyDumpPayload } from '../rdb/dump-payload.ts';
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

  /** FUNCTION DUMP's payload (library code LZF-compressed when rdbcompression is on, as rdbSaveRawString does). */
  dump(compress: boolean): Buffer {
    const w = new RdbWriter();
    for (const lib of this.current.libraries.values()) {
      w.byte(RDB_OPCODE_FUNCTION2);
      w.string(lib.code, 0, lib.code.length, compress);
    }
    sealDumpPayload(w);
    return w.result();
  }

  /** FUNCTION RESTORE payload [FLUSH|APPEND|REPLACE]: null, or an error text (without "ERR "). */
  restore(data: Buffer, policy: 'flush' | 'append' | 'replace'): string | null {
    if (!verifyDumpPayload(data, 0, data.length)) return 'DUMP payload version or checksum are wrong';
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
        payload = blob === null ? null : Buffer.concat([Buffer.from(`#!${Buffer.from(engine!).toString('latin1')} name=${Buffer.from(name!).toString('latin1')}\n`, 'latin1'), blob]);
        if (payload === null) {
          error = 'failed loading the given functions payload';
          break;
        }
      } else {
        const code = reader.string();
        payload = code === null ? null : Buffer.from(code);
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
}
