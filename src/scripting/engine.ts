/*
 * The scripting engine of one server (Redis 7.0's eval.c, script.c and the run half of
 * functions.c): the Lua VM (lua-vm.ts), the EVAL script cache, the FUNCTION libraries
 * (function-libraries.ts), and the run context of the script being executed.
 *
 * A script's redis.call runs on the engine's own Client (Redis's script "fake client"): its
 * argument view points straight into the VM's memory, server.callCommand runs the command with
 * the usual stats, keyspace signals and blocked-client wakeups, and the RESP reply it wrote goes
 * back to the VM, which turns it into Lua values. scriptCall's checks run first, with Redis's
 * error texts: unknown command, arity, NOSCRIPT, writes from read-only runs, OOM on the first
 * write. Blocking commands answer at once (denyBlocking), as for Redis's CLIENT_DENY_BLOCKING.
 *
 * Runaway scripts: the VM's count hook (every 100000 instructions, as Redis) asks interrupt().
 * Before busy-reply-threshold nothing happens: like redis-server, the server is simply busy.
 * Past it the script is suspended (a coroutine yield inside the VM) and resumed from
 * setImmediate, so the event loop turns between slices: meanwhile every command without the
 * allow-busy flag answers -BUSY (server.busyReply, a generic check in connection.ts), the
 * caller's own pipeline waits (its `postponed` slot holds the script's command), the store is
 * frozen (no expiry or eviction, as Redis's script time snapshot), and SCRIPT KILL / FUNCTION
 * KILL / SHUTDOWN get through. A script can only be suspended where Lua 5.1 can yield: in its
 * own code, not inside pcall, a metamethod, a sort comparator or a coroutine of its own, and
 * not when it runs inside MULTI/EXEC (EXEC must answer in one go). There the event loop cannot
 * turn, so no SCRIPT KILL could arrive: past the threshold such a script is ended as SCRIPT
 * KILL ends one, unless it has written (then, as UNKILLABLE in Redis, it runs to its end).
 *
 * A short script never leaves the event-loop turn it started in: the hook's check is one call
 * and a subtraction.
 */
import { performance } from 'node:perf_hooks';
import net from 'node:net';
import { createHash } from 'node:crypto';
import { Client, SavedArguments } from '../client.ts';
import { RequestParser } from '../../protocol/parser.ts';
import { E_BUSY_FUNCTION, E_BUSY_SCRIPT, E_NOSCRIPT, E_NOT_INTEGER, E_OOM, errorText } from '../../protocol/replies.ts';
import { CommandFlag, type CommandEntry } from '../registry.ts';
import type { ServerState } from '../server-state.ts';
import { AclContext, AclResult, aclErrorMessage } from '../acl.ts';
import { aclDenial, lastDenial } from '../commands/acl.ts';
import { parsed } from '../numbers.ts';
import { Status } from '../../store/types.ts';
import { LuaVM, type LuaHost } from './lua-vm.ts';
import { extractShebangFlags, ScriptFlag } from './shebang.ts';
import { FunctionLibraries, type FunctionInfo } from './function-libraries.ts';

/** A script in the EVAL cache. */
interface CachedScript {
  readonly body: Buffer;
  readonly flags: number;
}

/** Redis's CMD_MAY_REPLICATE commands that scripts may call: writes for read-only runs. */
const MAY_REPLICATE = new Set(['pfcount', 'publish', 'spublish']);
const E_UNKILLABLE = '-UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.';
const E_OOM_TEXT = errorText(E_OOM);
const EMPTY_REPLY = Buffer.from('$-1\r\n');

/**
 * The run context of the script being executed (scriptRunCtx). Scripts do not nest and a
 * suspended one answers -BUSY to every other EVAL/FCALL, so the engine sets up one object
 * for each run (init) instead of allocating one per call.
 */
class ScriptRun {
  caller: Client;
  isEval = true;
  /** The script's sha1 or the function's name (what errors and FUNCTION STATS quote). */
  name = '';
  readOnly = false;
  allowOom = false;
  /** Used memory was over maxmemory when the script started (pre_command_oom_state). */
  oomAtStart = false;
  /** It can be suspended (not inside MULTI/EXEC). */
  canYield = true;
  start = 0;
  writeDirty = false;
  killed = false;
  timedOut = false;
  suspended = false;
  /** The caller's reply is to be dropped (CLIENT REPLY OFF/SKIP when it was suspended). */
  silent = false;
  /** The caller's command, kept while suspended (FUNCTION STATS shows it). */
  command: Buffer[] | null = null;
  /** What the run starts: the EVAL script's sha1 (isEval), or the function's registry reference, and the number of keys. */
  sha = '';
  fnRef = 0;
  numkeys = 0;

  constructor(idle: Client) {
    this.caller = idle;
  }

  init(caller: Client, isEval: boolean, name: string, readOnly: boolean, allowOom: boolean, oomAtStart: boolean): this {
    this.caller = caller;
    this.isEval = isEval;
    this.name = name;
    this.readOnly = readOnly;
    this.allowOom = allowOom;
    this.oomAtStart = oomAtStart;
    this.canYield = caller.multi === null;
    // The batch's clock when there is one (the command started about then): one read fewer.
    this.start = caller.server.commandClock !== 0 ? caller.server.commandClock : performance.now();
    this.writeDirty = false;
    this.killed = false;
    this.timedOut = false;
    this.suspended = false;
    this.silent = false;
    this.command = null;
    return this;
  }
}

export class ScriptingEngine implements LuaHost {
  readonly server: ServerState;
  readonly functions: FunctionLibraries;
  /** sha1 (lower-case hex) -> script. */
  readonly scripts = new Map<string, CachedScript>();
  /** Bytes of cached script bodies (used_memory_scripts_eval's share). */
  scriptsBytes = 0;
  /** The script being executed (also while suspended), or null. */
  run: ScriptRun | null = null;
  private vm: LuaVM;
  private readonly fake: Client;
  /** The run context every run reuses (see ScriptRun). */
  private readonly runSlot: ScriptRun;
  private busyThreshold: number;
  private frozenBefore = false;

  constructor(server: ServerState) {
    this.server = server;
    this.vm = new LuaVM();
    this.vm.setHost(this);
    this.functions = new FunctionLibraries(this.vm);
    this.fake = new Client(server.nextClientId++, new net.Socket(), new RequestParser(), server);
    this.fake.denyBlocking = true;
    this.fake.reply.hardLimit = 0;
    this.runSlot = new ScriptRun(this.fake);
    this.busyThreshold = Number(server.config.value('busy-reply-threshold'));
    server.config.onChange('busy-reply-threshold', (_name, value) => {
      this.busyThreshold = Number(value);
    });
  }

  // ---- EVAL, EVALSHA, EVAL_RO, EVALSHA_RO -------------------------------------------------

  /** evalGenericCommand. */
  eval(c: Client, evalsha: boolean, ro: boolean): void {
    if (evalsha && c.argLen[1] !== 40) {
      c.reply.raw(E_NOSCRIPT);
      return;
    }
    const numkeys = this.numkeysOrReply(c, false);
    if (numkeys < 0) return;
    const sha = evalsha ? this.shaOf(c) : sha1hex(c.argBuf, c.argOff[1], c.argLen[1]);
    let script = this.scripts.get(sha);
    if (script === undefined) {
      if (evalsha) {
        c.reply.raw(E_NOSCRIPT);
        return;
      }
      const created = this.createScript(c, Buffer.from(c.argBuf.subarray(c.argOff[1], c.argOff[1] + c.argLen[1])), sha);
      if (created === null) return;
      script = created;
    }
    const run = this.prepare(c, sha, script.flags, ro, true);
    if (run === null) return;
    this.vm.setName(run.name);
    run.sha = sha;
    run.numkeys = numkeys;
    this.execute(run);
  }

  /**
   * EVALSHA's sha1 argument in lower case. The last one is kept with its bytes: a client
   * calling the same script again (a job queue's few scripts, over and over) gets the same
   * string back without converting its argument.
   */
  private shaOf(c: Client): string {
    const buf = c.argBuf;
    const off = c.argOff[1];
    const last = this.lastShaBytes;
    let same = this.lastSha !== '';
    for (let i = 0; same && i < 40; i++) same = buf[off + i] === last[i];
    if (same) return this.lastSha;
    const sha = c.argLower(1);
    buf.copy(last, 0, off, off + 40);
    this.lastSha = sha;
    return sha;
  }

  private lastSha = '';
  private readonly lastShaBytes = Buffer.alloc(40);

  /** SCRIPT LOAD: the sha1, or null after replying the error. */
  load(c: Client, body: Buffer): string | null {
    const sha = sha1hex(body, 0, body.length);
    if (this.scripts.has(sha)) return sha;
    return this.createScript(c, body, sha) === null ? null : sha;
  }

  /** SCRIPT FLUSH: a new interpreter, an empty cache. */
  flushScripts(): void {
    this.scripts.clear();
    this.scriptsBytes = 0;
    this.vm.evalReset();
  }

  /** Memory of the EVAL interpreter (used_memory_vm_eval). */
  evalVmMemory(): number {
    return this.vm.evalMemory();
  }

  /** luaCreateFunction: shebang flags, compile, cache; null after replying the error. */
  private createScript(c: Client, body: Buffer, sha: string): CachedScript | null {
    const header = extractShebangFlags(body.toString('latin1', 0, Math.min(body.length, 4096)));
    if (typeof header === 'string') {
      c.reply.error(`ERR ${header}`);
      return null;
    }
    const vm = this.vm;
    const code = body.subarray(header.shebangLen);
    vm.setName(sha);
    if (this.guard(c, () => vm.evalCompile(sha, code)) !== 0) {
      if (!vm.broken) c.reply.raw(vm.outputView());
      return null;
    }
    const script: CachedScript = { body, flags: header.flags };
    this.scripts.set(sha, script);
    this.scriptsBytes += body.length + 40;
    return script;
  }

  // ---- FCALL, FCALL_RO ----------------------------------------------------------------------

  /** fcallCommandGeneric. */
  fcall(c: Client, ro: boolean): void {
    const fn = this.functions.lookup(c.argString(1));
    if (fn === undefined) {
      c.reply.error('ERR Function not found');
      return;
    }
    const numkeys = this.numkeysOrReply(c, true);
    if (numkeys < 0) return;
    const run = this.prepare(c, fn.name, fn.flags, ro, false);
    if (run === null) return;
    this.vm.setName(fn.name);
    run.fnRef = fn.ref;
    run.numkeys = numkeys;
    this.execute(run);
  }

  lookupFunction(name: string): FunctionInfo | undefined {
    return this.functions.lookup(name);
  }

  // ---- SCRIPT KILL, FUNCTION KILL -------------------------------------------------------------

  /** scriptKill. */
  kill(c: Client, isEval: boolean): void {
    const run = this.run;
    if (run === null) {
      c.reply.error('NOTBUSY No scripts in execution right now.');
      return;
    }
    if (run.writeDirty) {
      c.reply.error(E_UNKILLABLE.slice(1));
      return;
    }
    if (isEval && !run.isEval) {
      c.reply.raw(E_BUSY_FUNCTION);
      return;
    }
    if (!isEval && run.isEval) {
      c.reply.raw(E_BUSY_SCRIPT);
      return;
    }
    run.killed = true;
    c.reply.simple('OK');
  }

  // ---- running a script ---------------------------------------------------------------------

  /** The numkeys argument: its value, or -1 after replying the error. */
  private numkeysOrReply(c: Client, fcall: boolean): number {
    if (!c.argInt64(2) || parsed.isBig) {
      if (fcall) c.reply.error('ERR Bad number of keys provided');
      else c.reply.raw(E_NOT_INTEGER);
      return -1;
    }
    const numkeys = parsed.num;
    if (numkeys > c.argc - 3) {
      c.reply.error("ERR Number of keys can't be greater than number of args");
      return -1;
    }
    if (numkeys < 0) {
      c.reply.error("ERR Number of keys can't be negative");
      return -1;
    }
    return numkeys;
  }

  /** scriptPrepareForRun's checks on the script's flags; the run context, or null after replying. */
  private prepare(c: Client, name: string, flags: number, ro: boolean, isEval: boolean): ScriptRun | null {
    const server = this.server;
    const compat = (flags & ScriptFlag.EVAL_COMPAT_MODE) !== 0;
    const oom = server.settings.maxmemory > 0 && !c.noEvict && server.store.evictIfNeeded() === Status.OOM;
    if (!compat) {
      if ((flags & ScriptFlag.NO_WRITES) === 0) {
        if (ro) {
          c.reply.error('ERR Can not execute a script with write flag using *_ro command.');
          return null;
        }
      }
      if (oom && (flags & (ScriptFlag.ALLOW_OOM | ScriptFlag.NO_WRITES)) === 0) {
        // processCommand rejects such a script as a deny-oom command; inside EXEC it gets here.
        if (c.multi === null) c.reply.raw(E_OOM);
        else c.reply.error("OOM allow-oom flag is not set on the script, can not run it when used memory > 'maxmemory'");
        return null;
      }
    }
    const readOnly = ro || (!compat && (flags & ScriptFlag.NO_WRITES) !== 0);
    const allowOom = !compat && (flags & ScriptFlag.ALLOW_OOM) !== 0;
    const fake = this.fake;
    fake.db = c.db;
    fake.resp = 2;
    return (this.run === null ? this.runSlot : new ScriptRun(fake)).init(c, isEval, name, readOnly, allowOom, oom);
  }

  /** The script or function `run` names, with its caller's keys and arguments (the VM's entry, for guard). */
  private readonly startRun = (): number => {
    const run = this.run!;
    const c = run.caller;
    const hookOn = this.busyThreshold > 0;
    return run.isEval
      ? this.vm.evalRun(run.sha, c.argBuf, c.argOff, c.argLen, 3, run.numkeys, c.argc, c.resp, hookOn)
      : this.vm.fnRun(run.fnRef, c.argBuf, c.argOff, c.argLen, 3, run.numkeys, c.argc, c.resp, hookOn);
  };

  private execute(run: ScriptRun): void {
    this.run = run;
    const status = this.guard(run.caller, this.startRun);
    // The VM has read the last redis.call's reply, which call() left in the script client's writer.
    this.fake.reply.truncate(0);
    if (this.vm.broken) {
      this.run = null;
      return;
    }
    if (status === 0) {
      this.run = null;
      this.deliver(run);
      run.caller = this.fake;
      return;
    }
    this.suspend(run);
  }

  /** Run a VM entry point; a fault inside the VM replaces the VM (its state is unknown) and is rethrown. */
  private guard(c: Client, step: () => number): number {
    try {
      return step();
    } catch (err) {
      if (!this.vm.broken) throw err;
      this.server.logger.error({ err, client: c.id }, 'the Lua VM failed; scripts and functions are reloaded in a new one');
      this.replaceVm();
      throw err;
    }
  }

  /** A fresh VM: the script cache is emptied (scripts are compiled again on EVAL), libraries reloaded. */
  private replaceVm(): void {
    this.run = null;
    this.server.busyReply = null;
    this.vm.close();
    this.vm = new LuaVM();
    this.vm.setHost(this);
    this.scripts.clear();
    this.scriptsBytes = 0;
    this.functions.moveTo(this.vm);
  }

  /** The script's reply (or error) to its caller. */
  private deliver(run: ScriptRun): void {
    const vm = this.vm;
    const reply = run.caller.reply;
    const error = vm.outputError();
    if (error === 1) reply.raw(vm.outputView());
    else {
      reply.rawSlice(vm.outputBytes(), 0, vm.outputLength());
      if (error === 2) reply.errorCount++;
    }
  }

  /** Past busy-reply-threshold: let the event loop turn; other clients get -BUSY meanwhile. */
  private suspend(run: ScriptRun): void {
    const c = run.caller;
    run.suspended = true;
    run.silent = c.replyOff || c.skipCurrentReply;
    const command: Buffer[] = [];
    for (let i = 0; i < c.argc; i++) command.push(Buffer.from(c.argBuf.subarray(c.argOff[i], c.argOff[i] + c.argLen[i])));
    run.command = command;
    // Nothing more of the caller's runs until the script ends (Redis protects the client).
    c.postponed = new SavedArguments(c);
    const store = this.server.store;
    this.frozenBefore = store.frozen;
    store.frozen = true;
    this.server.busyReply = run.isEval ? E_BUSY_SCRIPT : E_BUSY_FUNCTION;
    setImmediate(this.resumeStep);
  }

  private readonly resumeStep = (): void => {
    const run = this.run;
    if (run === null) return;
    if (this.server.shuttingDown) run.killed = true;
    let status: number;
    try {
      status = this.guard(run.caller, () => this.vm.resume());
    } catch (err) {
      this.server.logger.error({ err }, 'internal error while running a script');
      status = -1;
    }
    this.fake.reply.truncate(0);
    if (status === 1) {
      setImmediate(this.resumeStep);
      return;
    }
    this.run = null;
    this.server.busyReply = null;
    const server = this.server;
    server.store.frozen = this.frozenBefore || server.pause.type !== 0;
    const c = run.caller;
    if (!c.closed) {
      if (status === -1) c.reply.error("ERR internal error while executing a script (logged by the server)");
      else if (!run.silent) this.deliver(run);
      c.postponed = null;
      c.queueOutput();
    }
    if (server.blocking.pending) server.blocking.afterCommand(c, false);
    if (server.tracking.hasPending()) server.tracking.afterCommand(c);
    run.caller = this.fake;
    if (!c.closed) server.resumeClient(c);
  };

  // ---- LuaHost: what the VM asks while a script runs ----------------------------------------

  replyOffset = 0;

  /**
   * scriptCall: the checks, then the command on the script client; its reply goes to the VM,
   * read where the script client's writer holds it when that is one range (no view made).
   */
  call(argc: number, resp: number): Buffer | string {
    const vm = this.vm;
    const fake = this.fake;
    const run = this.run!;
    // The previous call's reply has been turned into Lua values: drop it, reuse its buffer.
    fake.reply.truncate(0);
    fake.reply.recycle();
    fake.argc = argc;
    fake.argBuf = vm.argBuf;
    fake.argOff = vm.argOff;
    fake.argLen = vm.argLen;
    fake.resp = resp as 2 | 3;
    const cmd = this.lookupCommand(fake);
    if (cmd === undefined) return this.reject(null, 'Unknown Redis command called from script');
    if ((cmd.arity > 0 && cmd.arity !== argc) || argc < -cmd.arity || cmd.handler === null) {
      return this.reject(cmd, 'Wrong number of args calling Redis command from script');
    }
    const flags = cmd.flags;
    if ((flags & CommandFlag.NOSCRIPT) !== 0) return this.reject(cmd, 'This Redis command is not allowed from script');
    fake.user = run.caller.user;
    if (!fake.user.permissive && aclDenial(fake, cmd, AclContext.LUA, run.caller) !== null) {
      return this.reject(cmd, `The user executing the script ${aclErrorMessage(lastDenial.result)}`);
    }
    if (run.readOnly && ((flags & CommandFlag.WRITE) !== 0 || (cmd.parent === null && MAY_REPLICATE.has(cmd.name)))) {
      return this.reject(cmd, 'Write commands are not allowed from read-only scripts.');
    }
    if (!run.allowOom && run.oomAtStart && !run.writeDirty && (flags & CommandFlag.DENYOOM) !== 0 && this.server.settings.maxmemory > 0) {
      return this.reject(cmd, `-${E_OOM_TEXT}`);
    }
    if ((flags & CommandFlag.WRITE) !== 0) run.writeDirty = true;
    this.server.callCommand(fake, cmd);
    const reply = fake.reply;
    const span = reply.pendingSpan();
    if (span !== null) {
      this.replyOffset = reply.pendingStart();
      return span;
    }
    this.replyOffset = 0;
    return reply.take() ?? EMPTY_REPLY;
  }

  log(level: number, message: string): void {
    const logger = this.server.logger;
    if (level >= 3) logger.warn(message);
    else if (level === 2) logger.info(message);
    else logger.debug(message);
  }

  interrupt(): number {
    const run = this.run;
    if (run === null) return 0;
    if (run.killed) return 2;
    if (!run.timedOut) {
      const elapsed = performance.now() - run.start;
      if (elapsed < this.busyThreshold) return 0;
      run.timedOut = true;
      this.server.logger.warn(`Slow script detected: still in execution after ${Math.floor(elapsed)} milliseconds. You can try killing the script using the ${run.isEval ? 'SCRIPT KILL' : 'FUNCTION KILL'} command. Script name is: ${run.name}.`);
    }
    if (!run.canYield) return this.unyieldable();
    return 1;
  }

  /**
   * Past busy-reply-threshold where the script cannot be suspended (inside MULTI/EXEC, or, as
   * the VM reports through this call, inside pcall, a metamethod, a sort comparator or a
   * coroutine of its own): the event loop cannot turn, so no SCRIPT KILL could ever arrive.
   * A script that has not written is ended as SCRIPT KILL would end it; one that has written
   * runs on (Redis too would only let SHUTDOWN NOSAVE stop it).
   */
  unyieldable(): number {
    const run = this.run;
    if (run === null || run.writeDirty) return 0;
    run.killed = true;
    this.server.logger.warn(`Script ${run.name} ended: past busy-reply-threshold where it cannot be suspended (inside MULTI, pcall, a metamethod or a coroutine), it is killed as by ${run.isEval ? 'SCRIPT KILL' : 'FUNCTION KILL'}.`);
    return 2;
  }

  aclCheck(argc: number): number {
    const fake = this.fake;
    fake.argc = argc;
    fake.argBuf = this.vm.argBuf;
    fake.argOff = this.vm.argOff;
    fake.argLen = this.vm.argLen;
    const cmd = this.lookupCommand(fake);
    if (cmd === undefined) return -1;
    const user = this.run === null ? fake.user : this.run.caller.user;
    return user.permissive || this.server.acl.check(user, cmd, fake) === AclResult.OK ? 1 : 0;
  }

  registerFunction(name: Buffer, description: Buffer | null, ref: number, flags: number): string | null {
    return this.functions.registerFunction(name, description, ref, flags);
  }

  /** lookupCommand(argv, argc): the command, or its subcommand when it has them and argc > 1. */
  private lookupCommand(c: Client): CommandEntry | undefined {
    const cmd = this.server.registry.lookup(c.argBuf, c.argOff[0], c.argLen[0]);
    if (cmd === undefined || cmd.subcommands === null || c.argc === 1) return cmd;
    return cmd.subcommands.get(c.argLower(1));
  }

  /** A rejected redis.call: counted as Redis's afterErrorReply and rejected_calls do. */
  private reject(cmd: CommandEntry | null, text: string): string {
    const stats = this.server.stats;
    if (cmd !== null) stats.rejectedCalls[cmd.id]++;
    const counted = text.startsWith('-') ? text.slice(1) : `ERR ${text}`;
    const bytes = Buffer.from(counted, 'latin1');
    this.server.onErrorReply(bytes, 0, bytes.length);
    return text;
  }
}

function sha1hex(buf: Uint8Array, off: number, len: number): string {
  return createHash('sha1').update(buf.subarray(off, off + len)).digest('hex');
}

const engines = new WeakMap<ServerState, ScriptingEngine>();

/** The server's scripting engine, created on first use (two Lua interpreters: ~10-20 ms, ~70 KB of the shared WebAssembly heap). */
export function scriptingEngine(server: ServerState): ScriptingEngine {
  let engine = engines.get(server);
  if (engine === undefined) {
    engine = new ScriptingEngine(server);
    engines.set(server, engine);
  }
  return engine;
}

/** The engine if one was created (INFO and FUNCTION STATS need not create it). */
export function existingScriptingEngine(server: ServerState): ScriptingEngine | undefined {
  return engines.get(server);
}
