#!/usr/bin/env node
/*
 * slabcache's command line: `slabcache [options] [config-file]`. Options and config-file
 * directives use redis-server's names and value syntax; any `--<directive> <value>` Redis
 * accepts on its command line is accepted here too (the named options below are the ones
 * --help documents). Precedence as in Redis: the config file first, then the command line.
 * The only place that touches process.argv and process.exit: bad input is one clear line on
 * stderr and exit code 1, never a stack trace.
 */
import fs from 'node:fs';
import { Command, CommanderError } from 'commander';
import { startServer } from '../src/server.ts';
import { parseConfigFile, ConfigError } from '../src/config-table.ts';
import packageJson from '../package.json' with { type: 'json' };

const NAMED_OPTIONS: Array<[flag: string, directive: string, help: string]> = [
  ['--port <port>', 'port', 'TCP port (default 6379; 0 picks a free port)'],
  ['--bind <addresses...>', 'bind', 'addresses to listen on (default "127.0.0.1 -::1")'],
  ['--maxmemory <bytes>', 'maxmemory', 'memory limit, e.g. 100mb, 2gb (default 0: no limit)'],
  ['--maxmemory-policy <policy>', 'maxmemory-policy', 'noeviction, allkeys-lru, allkeys-lfu, allkeys-random, volatile-lru, volatile-lfu, volatile-random, volatile-ttl'],
  ['--requirepass <password>', 'requirepass', 'password for the default user'],
  ['--databases <count>', 'databases', 'number of databases (default 16)'],
  ['--maxclients <count>', 'maxclients', 'maximum connected clients (default 10000)'],
  ['--timeout <seconds>', 'timeout', 'close clients idle this long (default 0: never)'],
  ['--shards <count>', 'shards', 'store shards, a power of two (default 64)'],
  ['--metrics-port <port>', 'metrics-port', 'HTTP metrics port (default 9121; 0 turns it off)'],
  ['--loglevel <level>', 'loglevel', 'debug, verbose, notice, warning, nothing (default notice)'],
];

function fail(message: string): never {
  process.stderr.write(`slabcache: ${message}\n`);
  process.exit(1);
}

/** Split argv into redis-style `--directive value...` pairs, in order. */
function directivesFromArgs(args: string[]): { file: string | null; pairs: Array<[string, string]> } {
  let file: string | null = null;
  const pairs: Array<[string, string]> = [];
  let i = 0;
  if (args.length > 0 && !args[0].startsWith('--')) file = args[i++];
  while (i < args.length) {
    const arg = args[i];
    if (!arg.startsWith('--') || arg.length === 2) fail(`unexpected argument '${arg}' (options are --name value; see --help)`);
    const name = arg.slice(2).toLowerCase();
    const values: string[] = [];
    i++;
    while (i < args.length && !(args[i].startsWith('--') && args[i].length > 2 && Number.isNaN(Number(args[i])))) values.push(args[i++]);
    if (values.length === 0) fail(`option --${name} needs a value`);
    pairs.push([name, values.join(' ')]);
  }
  return { file, pairs };
}

async function main(): Promise<void> {
  const program = new Command('slabcache')
    .description(packageJson.description)
    .version(packageJson.version, '-v, --version')
    .argument('[config-file]', 'a redis.conf-style file')
    .allowUnknownOption(true)
    .allowExcessArguments(true)
    .helpOption('-h, --help')
    .exitOverride();
  for (const [flag, , help] of NAMED_OPTIONS) program.option(flag, help);
  program.addHelpText('after', '\nAny other redis.conf directive is accepted as --<directive> <value>, as redis-server accepts it.');
  try {
    program.parse(process.argv);
  } catch (err) {
    if (err instanceof CommanderError) process.exit(err.exitCode);
    throw err;
  }
  const { file, pairs } = directivesFromArgs(process.argv.slice(2));
  const directives: Array<[string, string]> = [];
  let source = 'embedded defaults';
  if (file !== null) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      fail(`cannot read config file '${file}': ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    try {
      directives.push(...parseConfigFile(text, file));
    } catch (err) {
      if (err instanceof ConfigError) fail(err.message);
      throw err;
    }
    source = file;
  }
  directives.push(...pairs);
  const merged: Record<string, string> = {};
  for (const [name, value] of directives) merged[name] = value;
  let server;
  try {
    server = await startServer(merged, { configSource: source, logger: undefined });
  } catch (err) {
    fail((err as Error).message);
  }
  const logger = server.state.logger;
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'received signal, shutting down');
    void server.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('slabcache:shutdown' as never, () => process.exit(0));
}

void main();
