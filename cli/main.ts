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
import { ConfigError } from '../src/config-table.ts';
import packageJson from '../package.json' with { type: 'json' };

const NAMED_OPTIONS: Array<[flag: string, directive: string, help: string]> = [
  ['--port <port>', 'port', 'TCP port (default 6379; 0 picks a free port, or with --tls-port serves TLS only)'],
  ['--tls-port <port>', 'tls-port', 'TLS port (default 0: off); needs --tls-cert-file, --tls-key-file and, unless --tls-auth-clients no, --tls-ca-cert-file'],
  ['--tls-cert-file <file>', 'tls-cert-file', "the server's certificate chain (PEM)"],
  ['--tls-key-file <file>', 'tls-key-file', "the server's private key (PEM)"],
  ['--tls-ca-cert-file <file>', 'tls-ca-cert-file', 'CA certificates that client certificates must chain to (PEM)'],
  ['--tls-auth-clients <mode>', 'tls-auth-clients', 'yes (a client certificate is required, the default), optional, no'],
  ['--bind <addresses...>', 'bind', 'addresses to listen on (default "127.0.0.1 -::1")'],
  ['--maxmemory <bytes>', 'maxmemory', 'memory limit, e.g. 100mb, 2gb (default 0: no limit)'],
  ['--maxmemory-policy <policy>', 'maxmemory-policy', 'noeviction, allkeys-lru, allkeys-lfu, allkeys-random, volatile-lru, volatile-lfu, volatile-random, volatile-ttl'],
  ['--requirepass <password>', 'requirepass', 'password for the default user'],
  ['--databases <count>', 'databases', 'number of databases (default 16)'],
  ['--maxclients <count>', 'maxclients', 'maximum connected clients (default 10000)'],
  ['--timeout <seconds>', 'timeout', 'close clients idle this long (default 0: never)'],
  ['--shards <count>', 'shards', 'store shards, a power of two (default 64)'],
  ['--metrics-port <port>', 'metrics-port', 'HTTP metrics port (default 9121; 0 turns it off)'],
  ['--http-api-token <token>', 'http-api-token', 'turn on the REST API (Upstash-compatible) on the metrics port, with this bearer token'],
  ['--loglevel <level>', 'loglevel', 'debug, verbose, notice, warning (default notice)'],
];

function fail(message: string): never {
  process.stderr.write(`slabcache: ${message}\n`);
  process.exit(1);
}

/** Quote one argument for a redis.conf line (sdssplitargs reads it back unchanged). */
function quoteArgument(value: string): string {
  return '"' + value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\r/g, '\\r') + '"';
}

/**
 * Turn argv into redis.conf lines, as redis-server does with its command line: an optional
 * config file first, then each `--directive value...` as one more line.
 */
function directivesFromArgs(args: string[]): { file: string | null; lines: string[] } {
  let file: string | null = null;
  const lines: string[] = [];
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
    lines.push([name, ...values.map(quoteArgument)].join(' '));
  }
  return { file, lines };
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
  const { file, lines } = directivesFromArgs(process.argv.slice(2));
  let text = '';
  if (file !== null) {
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      fail(`cannot read config file '${file}': ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  }
  text += '\n' + lines.join('\n');
  let server;
  try {
    server = await startServer({}, { configText: text, configSource: file ?? undefined });
  } catch (err) {
    fail(err instanceof ConfigError || err instanceof Error ? err.message : String(err));
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
