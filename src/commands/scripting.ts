/*
 * Scripting commands (Redis 7.0 eval.c and functions.c): EVAL, EVALSHA, EVAL_RO, EVALSHA_RO,
 * SCRIPT LOAD|EXISTS|FLUSH|KILL|DEBUG|HELP, FCALL, FCALL_RO and FUNCTION
 * LOAD|DELETE|FLUSH|LIST|STATS|DUMP|RESTORE|KILL|HELP. The engine (src/scripting/engine.ts)
 * runs the scripts; these handlers parse arguments and reply. SCRIPT DEBUG answers as a
 * redis-server does when the debugging session cannot start here: LDB is not implemented.
 */
import { performance } from 'node:perf_hooks';
import { R_OK } from '../../protocol/replies.ts';
import type { Client } from '../client.ts';
import type { Registry } from '../registry.ts';
import { globMatchString } from '../glob.ts';
import { replyHelp } from './keys.ts';
import { scriptingEngine, existingScriptingEngine } from '../scripting/engine.ts';
import { SCRIPT_FLAG_NAMES } from '../scripting/shebang.ts';

const SCRIPT_HELP = [
  'SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'DEBUG (YES|SYNC|NO)',
  '    Set the debug mode for subsequent scripts executed.',
  'EXISTS <sha1> [<sha1> ...]',
  '    Return information about the existence of the scripts in the script cache.',
  'FLUSH [ASYNC|SYNC]',
  '    Flush the Lua scripts cache. Very dangerous on replicas.',
  '    When called without the optional mode argument, the behavior is determined by the',
  '    lazyfree-lazy-user-flush configuration directive. Valid modes are:',
  '    * ASYNC: Asynchronously flush the scripts cache.',
  '    * SYNC: Synchronously flush the scripts cache.',
  'KILL',
  '    Kill the currently executing Lua script.',
  'LOAD <script>',
  '    Load a script into the scripts cache without executing it.',
  'HELP',
  '    Prints this help.',
];

const FUNCTION_HELP = [
  'FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'LOAD [REPLACE] <FUNCTION CODE>',
  '    Create a new library with the given library name and code.',
  'DELETE <LIBRARY NAME>',
  '    Delete the given library.',
  'LIST [LIBRARYNAME PATTERN] [WITHCODE]',
  '    Return general information on all the libraries:',
  '    * Library name',
  '    * The engine used to run the Library',
  '    * Library description',
  '    * Functions list',
  '    * Library code (if WITHCODE is given)',
  '    It also possible to get only function that matches a pattern using LIBRARYNAME argument.',
  'STATS',
  '    Return information about the current function running:',
  '    * Function name',
  '    * Command used to run the function',
  '    * Duration in MS that the function is running',
  '    If no function is running, return nil',
  '    In addition, returns a list of available engines.',
  'KILL',
  '    Kill the current running function.',
  'FLUSH [ASYNC|SYNC]',
  '    Delete all the libraries.',
  '    When called without the optional mode argument, the behavior is determined by the',
  '    lazyfree-lazy-user-flush configuration directive. Valid modes are:',
  '    * ASYNC: Asynchronously flush the libraries.',
  '    * SYNC: Synchronously flush the libraries.',
  'DUMP',
  '    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command',
  'RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]',
  '    Restore the libraries represented by the given payload, it is possible to give a restore policy to',
  '    control how to handle existing libraries (default APPEND):',
  '    * FLUSH: delete all existing libraries.',
  '    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.',
  '    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old',
  '      libraries with the new libraries (notice that even on this option there is a chance of failure',
  '      in case of functions name collision with another library).',
  'HELP',
  '    Prints this help.',
];

/** addReplySubcommandSyntaxError. */
function subcommandSyntaxError(c: Client): void {
  const sub = c.argBuf.toString('latin1', c.argOff[1], c.argOff[1] + Math.min(c.argLen[1], 128));
  c.reply.error(`ERR unknown subcommand or wrong number of arguments for '${sub}'. Try ${c.argString(0).toUpperCase()} HELP.`);
}

function argBytes(c: Client, i: number): Buffer {
  return Buffer.from(c.argBuf.subarray(c.argOff[i], c.argOff[i] + c.argLen[i]));
}

// ---- EVAL family ----

function cmdEval(c: Client): void {
  scriptingEngine(c.server).eval(c, false, false);
}

function cmdEvalRo(c: Client): void {
  scriptingEngine(c.server).eval(c, false, true);
}

function cmdEvalsha(c: Client): void {
  scriptingEngine(c.server).eval(c, true, false);
}

function cmdEvalshaRo(c: Client): void {
  scriptingEngine(c.server).eval(c, true, true);
}

// ---- SCRIPT ----

function cmdScriptLoad(c: Client): void {
  const sha = scriptingEngine(c.server).load(c, argBytes(c, 2));
  if (sha !== null) c.reply.bulkString(sha);
}

function cmdScriptExists(c: Client): void {
  const scripts = existingScriptingEngine(c.server)?.scripts;
  c.reply.arrayLen(c.argc - 2);
  for (let j = 2; j < c.argc; j++) c.reply.int(scripts !== undefined && scripts.has(c.argString(j).toLowerCase()) ? 1 : 0);
}

/** FLUSH [ASYNC|SYNC]: false after replying the error for anything else. */
function flushModeOrReply(c: Client, error: string): boolean {
  if (c.argc === 2 || (c.argc === 3 && (c.argIs(2, 'sync') || c.argIs(2, 'async')))) return true;
  c.reply.error(error);
  return false;
}

function cmdScriptFlush(c: Client): void {
  if (!flushModeOrReply(c, 'ERR SCRIPT FLUSH only support SYNC|ASYNC option')) return;
  existingScriptingEngine(c.server)?.flushScripts();
  c.reply.raw(R_OK);
}

function cmdScriptKill(c: Client): void {
  scriptingEngine(c.server).kill(c, true);
}

function cmdScriptDebug(c: Client): void {
  if (c.argIs(2, 'no')) {
    c.reply.raw(R_OK);
    return;
  }
  if (c.argIs(2, 'yes') || c.argIs(2, 'sync')) {
    c.reply.error('ERR SCRIPT DEBUG is not supported by this server (no Lua debugger)');
    return;
  }
  c.reply.error('ERR Use SCRIPT DEBUG YES/SYNC/NO');
}

// ---- FCALL ----

function cmdFcall(c: Client): void {
  scriptingEngine(c.server).fcall(c, false);
}

function cmdFcallRo(c: Client): void {
  scriptingEngine(c.server).fcall(c, true);
}

// ---- FUNCTION ----

function cmdFunctionLoad(c: Client): void {
  let replace = false;
  let pos = 2;
  while (pos < c.argc - 1) {
    if (c.argIs(pos, 'replace')) {
      replace = true;
      pos++;
      continue;
    }
    c.reply.error(`ERR Unknown option given: ${c.argString(pos)}`);
    return;
  }
  if (pos >= c.argc) {
    c.reply.error('ERR Function code is missing');
    return;
  }
  const result = scriptingEngine(c.server).functions.load(argBytes(c, pos), replace);
  if (typeof result === 'string') c.reply.error(`ERR ${result}`);
  else c.reply.bulkLatin1(result.name);
}

function cmdFunctionDelete(c: Client): void {
  if (!scriptingEngine(c.server).functions.delete(c.argBuf.toString('latin1', c.argOff[2], c.argOff[2] + c.argLen[2]))) {
    c.reply.error('ERR Library not found');
    return;
  }
  c.reply.raw(R_OK);
}

function cmdFunctionFlush(c: Client): void {
  if (c.argc > 3) {
    subcommandSyntaxError(c);
    return;
  }
  if (!flushModeOrReply(c, 'ERR FUNCTION FLUSH only supports SYNC|ASYNC option')) return;
  existingScriptingEngine(c.server)?.functions.flush();
  c.reply.raw(R_OK);
}

function cmdFunctionList(c: Client): void {
  let withCode = false;
  let pattern: string | null = null;
  for (let i = 2; i < c.argc; i++) {
    if (!withCode && c.argIs(i, 'withcode')) {
      withCode = true;
      continue;
    }
    if (pattern === null && c.argIs(i, 'libraryname')) {
      if (i >= c.argc - 1) {
        c.reply.error('ERR library name argument was not given');
        return;
      }
      pattern = c.argBuf.toString('latin1', c.argOff[i + 1], c.argOff[i + 1] + c.argLen[i + 1]);
      i++;
      continue;
    }
    c.reply.error(`ERR Unknown argument ${c.argString(i)}`);
    return;
  }
  const engine = existingScriptingEngine(c.server);
  const libraries = engine === undefined ? [] : [...engine.functions.libraries.values()];
  const shown = pattern === null ? libraries : libraries.filter((lib) => globMatchLatin1(pattern, lib.name));
  const reply = c.reply;
  reply.arrayLen(shown.length);
  for (const lib of shown) {
    reply.mapLen(withCode ? 4 : 3);
    reply.bulkString('library_name');
    reply.bulkLatin1(lib.name);
    reply.bulkString('engine');
    reply.bulkString('LUA');
    reply.bulkString('functions');
    reply.arrayLen(lib.functions.size);
    for (const fn of lib.functions.values()) {
      reply.mapLen(3);
      reply.bulkString('name');
      reply.bulkLatin1(fn.name);
      reply.bulkString('description');
      if (fn.description !== null) reply.bulkBytes(fn.description);
      else reply.nullBulk();
      reply.bulkString('flags');
      const names = SCRIPT_FLAG_NAMES.filter(([bit]) => (fn.flags & bit) !== 0);
      reply.setLen(names.length);
      for (const [, name] of names) reply.simple(name);
    }
    if (withCode) {
      reply.bulkString('library_code');
      reply.bulkBytes(lib.code);
    }
  }
}

function globMatchLatin1(pattern: string, text: string): boolean {
  return globMatchString(Buffer.from(pattern, 'latin1').toString(), Buffer.from(text, 'latin1').toString(), true);
}

function cmdFunctionStats(c: Client): void {
  const engine = existingScriptingEngine(c.server);
  const run = engine?.run ?? null;
  if (run !== null && run.isEval) {
    c.reply.error('BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.');
    return;
  }
  const reply = c.reply;
  reply.mapLen(2);
  reply.bulkString('running_script');
  if (run === null) reply.nullBulk();
  else {
    reply.mapLen(3);
    reply.bulkString('name');
    reply.bulkLatin1(run.name);
    reply.bulkString('command');
    const command = run.command ?? [];
    reply.arrayLen(command.length);
    for (const arg of command) reply.bulkBytes(arg);
    reply.bulkString('duration_ms');
    reply.int(Math.floor(performance.now() - run.start));
  }
  reply.bulkString('engines');
  reply.mapLen(1);
  reply.bulkString('LUA');
  reply.mapLen(2);
  reply.bulkString('libraries_count');
  reply.int(engine === undefined ? 0 : engine.functions.libraries.size);
  reply.bulkString('functions_count');
  reply.int(engine === undefined ? 0 : engine.functions.functionCount());
}

function cmdFunctionDump(c: Client): void {
  c.reply.bulkBytes(scriptingEngine(c.server).functions.dump(c.server.config.flag('rdbcompression')));
}

function cmdFunctionRestore(c: Client): void {
  if (c.argc > 4) {
    subcommandSyntaxError(c);
    return;
  }
  let policy: 'flush' | 'append' | 'replace' = 'append';
  if (c.argc === 4) {
    if (c.argIs(3, 'append')) policy = 'append';
    else if (c.argIs(3, 'replace')) policy = 'replace';
    else if (c.argIs(3, 'flush')) policy = 'flush';
    else {
      c.reply.error('ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.');
      return;
    }
  }
  const error = scriptingEngine(c.server).functions.restore(argBytes(c, 2), policy);
  if (error !== null) c.reply.error(`ERR ${error}`);
  else c.reply.raw(R_OK);
}

function cmdFunctionKill(c: Client): void {
  scriptingEngine(c.server).kill(c, false);
}

export function registerScriptingCommands(registry: Registry): void {
  registry.add('eval', cmdEval);
  registry.add('evalsha', cmdEvalsha);
  registry.add('eval_ro', cmdEvalRo);
  registry.add('evalsha_ro', cmdEvalshaRo);
  registry.add('script', null);
  registry.add('script|load', cmdScriptLoad);
  registry.add('script|exists', cmdScriptExists);
  registry.add('script|flush', cmdScriptFlush);
  registry.add('script|kill', cmdScriptKill);
  registry.add('script|debug', cmdScriptDebug);
  registry.add('script|help', (c) => replyHelp(c, SCRIPT_HELP));
  registry.add('fcall', cmdFcall);
  registry.add('fcall_ro', cmdFcallRo);
  registry.add('function', null);
  registry.add('function|load', cmdFunctionLoad);
  registry.add('function|delete', cmdFunctionDelete);
  registry.add('function|flush', cmdFunctionFlush);
  registry.add('function|list', cmdFunctionList);
  registry.add('function|stats', cmdFunctionStats);
  registry.add('function|dump', cmdFunctionDump);
  registry.add('function|restore', cmdFunctionRestore);
  registry.add('function|kill', cmdFunctionKill);
  registry.add('function|help', (c) => replyHelp(c, FUNCTION_HELP));
}
