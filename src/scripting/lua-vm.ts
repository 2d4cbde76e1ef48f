/*
 * The Lua VM: Redis 7.0.15's own Lua 5.1 with cjson, cmsgpack, bit and struct, and Redis's
 * script_lua.c / function_lua.c engine code, compiled to WebAssembly (lua/lua.wasm, built by
 * lua/build.sh from lua/*.c). Lua 5.1 itself rather than a JavaScript Lua or a later Lua: every
 * number printing rule, library function and error text scripts can see is Redis's own, and
 * measured against wasmoon (Lua 5.4 in WebAssembly) and fengari (Lua 5.3 in JavaScript) it has
 * the cheapest calls (see the closing note of issue 10 for the figures).
 *
 * This module is the boundary: it instantiates the module (compiled once per process, one
 * instance and so one pair of interpreters per server), keeps views over its memory fresh after
 * growth, and exposes typed entry points. Data crosses as bytes in buffers the engine owns
 * (`io()`): script bodies and KEYS/ARGV in, RESP replies out, redis.call argument vectors as
 * (offset, length) pairs into the VM's memory that a Client's argument view can point at
 * directly, so a redis.call copies its arguments zero times and its reply once.
 *
 * Lua errors unwind through here: the engine's luaD_throw calls luawasm_throw, which throws
 * LUA_THROW, and luaD_rawrunprotected calls luawasm_try, which catches it and restores the C
 * stack pointer. Anything else thrown through the VM (a bug, a V8 stack overflow) leaves the
 * interpreter in an unknown state: callers must treat it as fatal for this VM (`broken`).
 */
import { readFileSync } from 'node:fs';

/** What the engine asks of the server while a script runs (implemented by script-run.ts). */
export interface LuaHost {
  /** redis.call/pcall: argc arguments in the VM's argv view; a reply length or -(len+1) of a rejection text. */
  call(argc: number, resp: number): number;
  log(level: number, message: string): void;
  /** Count hook: 0 go on, 1 yield to the event loop, 2 kill. */
  interrupt(): number;
  /** redis.acl_check_cmd: -1 unknown command, 0 denied, 1 permitted. */
  aclCheck(argc: number): number;
  /** redis.register_function during FUNCTION LOAD: 0, or -(len+1) of an error text. */
  registerFunction(name: Buffer, description: Buffer | null, ref: number, flags: number): number;
}

const LUA_THROW = Symbol('lua error');

// io_t field offsets in 32-bit words (slabcache_lua.c).
const IO_IN = 0;
const IO_IN_CAP = 1;
const IO_OUT = 2;
const IO_OUT_LEN = 3;
const IO_ARGV_OFF = 5;
const IO_ARGV_LEN = 6;
const IO_ARGV_CAP = 7;
const IO_REPLY = 8;
const IO_REPLY_CAP = 9;
const IO_NAME_BYTE = 40;
const IO_OUT_ERROR = 42;

interface Exports {
  memory: WebAssembly.Memory;
  __stack_pointer: WebAssembly.Global;
  _initialize(): void;
  io(): number;
  reserve_in(n: number): number;
  reserve_reply(n: number): number;
  run_resume(): number;
  eval_init(): void;
  eval_compile(len: number): number;
  eval_run(nkeys: number, nargs: number, resp: number, hook: number): number;
  eval_memory(): number;
  fn_init(): void;
  fn_create(len: number, timeoutMs: number): number;
  fn_free(ref: number): void;
  fn_run(ref: number, nkeys: number, nargs: number, resp: number, hook: number): number;
  fn_memory(): number;
  lzf_pack(len: number, outlen: number): number;
  lzf_unpack(len: number, outlen: number): number;
  crc64_of(len: number): bigint;
  invoke(f: number, L: number, ud: number): void;
}

let compiled: WebAssembly.Module | null = null;

function wasmModule(): WebAssembly.Module {
  compiled ??= new WebAssembly.Module(readFileSync(new URL('./lua/lua.wasm', import.meta.url)));
  return compiled;
}

/** WASI calls the C library may make (stdio is never used by the engine): all refused. */
function wasiStubs(): Record<string, (...args: number[]) => number> {
  const EBADF = 8;
  const ENOSYS = 52;
  return {
    fd_close: () => EBADF,
    fd_fdstat_get: () => EBADF,
    fd_fdstat_set_flags: () => EBADF,
    fd_prestat_get: () => EBADF,
    fd_prestat_dir_name: () => EBADF,
    fd_read: () => EBADF,
    fd_renumber: () => EBADF,
    fd_seek: () => EBADF,
    fd_write: () => EBADF,
    path_open: () => ENOSYS,
    proc_exit: () => {
      throw new Error('Lua VM aborted');
    },
  };
}

export class LuaVM {
  /** Something other than a Lua error was thrown through the VM: it must not be used again. */
  broken = false;
  private readonly x: Exports;
  private readonly ioAddr: number;
  private host: LuaHost | null = null;
  private viewOf: ArrayBuffer | null = null;
  private u8: Buffer = Buffer.alloc(0);
  private i32: Int32Array = new Int32Array(0);
  private argvOffView: Int32Array = new Int32Array(0);
  private argvLenView: Int32Array = new Int32Array(0);

  constructor() {
    const vm = this;
    const instance = new WebAssembly.Instance(wasmModule(), {
      env: {
        luawasm_throw: () => {
          throw LUA_THROW;
        },
        luawasm_try: (f: number, L: number, ud: number): number => {
          const sp = vm.x.__stack_pointer.value as number;
          try {
            vm.x.invoke(f, L, ud);
            return 0;
          } catch (err) {
            if (err !== LUA_THROW) {
              vm.broken = true;
              throw err;
            }
            vm.x.__stack_pointer.value = sp;
            return 1;
          }
        },
      },
      host: {
        call: (argc: number, resp: number) => vm.host!.call(argc, resp),
        log: (level: number, ptr: number, len: number) => vm.host!.log(level, vm.bytes(ptr, len).toString('latin1')),
        interrupt: () => vm.host!.interrupt(),
        acl_check: (argc: number) => vm.host!.aclCheck(argc),
        register_function: (name: number, nlen: number, desc: number, dlen: number, ref: number, flags: number) =>
          vm.host!.registerFunction(Buffer.from(vm.bytes(name, nlen)), dlen < 0 ? null : Buffer.from(vm.bytes(desc, dlen)), ref, flags),
        now: () => performance.now(),
      },
      wasi_snapshot_preview1: wasiStubs(),
    });
    this.x = instance.exports as unknown as Exports;
    this.x._initialize();
    this.ioAddr = this.x.io();
    this.x.eval_init();
    this.x.fn_init();
  }

  setHost(host: LuaHost): void {
    this.host = host;
  }

  /** The VM's memory as a Buffer (valid until the memory grows: call again after any VM call). */
  memory(): Buffer {
    this.refresh();
    return this.u8;
  }

  /** redis.call's argument offsets and lengths (argc entries valid), views over VM memory. */
  argvOffsets(): Int32Array {
    this.refresh();
    return this.argvOffView;
  }

  argvLengths(): Int32Array {
    this.refresh();
    return this.argvLenView;
  }

  /** Hand a redis.call reply (or, with asError, a rejection text as latin1) back to the engine. */
  putReply(bytes: Uint8Array): number {
    this.refresh();
    let ptr = this.i32[IO_REPLY];
    if (bytes.length + 1 > this.i32[IO_REPLY_CAP]) {
      ptr = this.x.reserve_reply(Math.max(bytes.length + 1, 4096));
      this.refresh();
    }
    this.u8.set(bytes, ptr);
    return bytes.length;
  }

  /** The reply (or error text) the engine wrote, copied out. */
  output(): Buffer {
    this.refresh();
    return Buffer.from(this.bytes(this.i32[IO_OUT], this.i32[IO_OUT_LEN]));
  }

  /** The reply the engine wrote, as a view valid until the next VM call. */
  outputView(): Buffer {
    this.refresh();
    return this.bytes(this.i32[IO_OUT], this.i32[IO_OUT_LEN]);
  }

  /** 0: the output is not an error; 1: an error to count in errorstats; 2: an error already counted. */
  outputError(): number {
    this.refresh();
    return this.i32[IO_OUT_ERROR];
  }

  /** Set the running script's name (its sha1, or the function's name), latin1, < 128 bytes. */
  setName(name: string): void {
    this.refresh();
    const at = this.ioAddr + IO_NAME_BYTE;
    const n = this.u8.write(name, at, 127, 'latin1');
    this.u8[at + n] = 0;
  }

  /** Space for `n` input bytes; returns its offset in memory() (call memory() after). */
  reserveInput(n: number): number {
    this.refresh();
    if (n > this.i32[IO_IN_CAP]) {
      this.x.reserve_in(Math.max(n, 4096));
      this.refresh();
    }
    return this.i32[IO_IN];
  }

  evalReset(): void {
    this.x.eval_init();
  }

  /** Compile input[0..len) as the function named by setName(); 0 or 1 (error reply in output). */
  evalCompile(len: number): number {
    return this.x.eval_compile(len);
  }

  /** Run the setName() script with KEYS/ARGV in the input; 0 ended (reply in output), 1 yielded. */
  evalRun(nkeys: number, nargs: number, resp: number, hook: boolean): number {
    return this.x.eval_run(nkeys, nargs, resp, hook ? 1 : 0);
  }

  fnCreate(len: number, timeoutMs: number): number {
    return this.x.fn_create(len, timeoutMs);
  }

  fnFree(ref: number): void {
    this.x.fn_free(ref);
  }

  fnRun(ref: number, nkeys: number, nargs: number, resp: number, hook: boolean): number {
    return this.x.fn_run(ref, nkeys, nargs, resp, hook ? 1 : 0);
  }

  /** Resume a yielded script: 0 ended (reply in output), 1 yielded again. */
  resume(): number {
    return this.x.run_resume();
  }

  evalMemory(): number {
    return this.x.eval_memory();
  }

  functionsMemory(): number {
    return this.x.fn_memory();
  }

  /** Redis's lzf_compress into at most outlen bytes, or null when it does not fit. */
  lzfCompress(data: Uint8Array, outlen: number): Buffer | null {
    this.memory().set(data, this.reserveInput(data.length));
    return this.x.lzf_pack(data.length, outlen) === 0 ? null : this.output();
  }

  /** lzf_decompress to exactly outlen bytes, or null when the data is not that. */
  lzfDecompress(data: Uint8Array, outlen: number): Buffer | null {
    this.memory().set(data, this.reserveInput(data.length));
    return this.x.lzf_unpack(data.length, outlen) !== outlen ? null : this.output();
  }

  /** Redis's crc64 (Jones polynomial) of data. */
  crc64(data: Uint8Array): bigint {
    this.memory().set(data, this.reserveInput(data.length));
    return BigInt.asUintN(64, this.x.crc64_of(data.length));
  }

  /** Bytes of linear memory the VM holds. */
  heapBytes(): number {
    return this.x.memory.buffer.byteLength;
  }

  private bytes(ptr: number, len: number): Buffer {
    this.refresh();
    return this.u8.subarray(ptr, ptr + len);
  }

  private refresh(): void {
    const ab = this.x.memory.buffer;
    if (ab !== this.viewOf) {
      this.viewOf = ab;
      this.u8 = Buffer.from(ab);
      this.i32 = new Int32Array(ab, this.ioAddr, 48);
      this.argvOffView = new Int32Array(0);
      this.argvLenView = new Int32Array(0);
    }
    const cap = this.i32[IO_ARGV_CAP];
    if (this.argvOffView.length !== cap || this.argvOffView.byteOffset !== this.i32[IO_ARGV_OFF] || this.argvLenView.byteOffset !== this.i32[IO_ARGV_LEN]) {
      this.argvOffView = new Int32Array(ab, this.i32[IO_ARGV_OFF], cap);
      this.argvLenView = new Int32Array(ab, this.i32[IO_ARGV_LEN], cap);
    }
  }
}
