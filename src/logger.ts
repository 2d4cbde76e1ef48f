/*
 * pino logger: one JSON line per event, or readable lines when stdout is a terminal.
 * The server logs events (start, stop, a client closed for a reason), never per command.
 */
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

/** Redis loglevel names mapped to pino levels. */
const LEVELS: Record<string, LevelWithSilent> = {
  debug: 'debug',
  verbose: 'debug',
  notice: 'info',
  warning: 'warn',
  nothing: 'silent',
};

export function pinoLevel(redisLevel: string): LevelWithSilent {
  return LEVELS[redisLevel] ?? 'info';
}

export function createLogger(redisLevel: string, pretty = process.stdout.isTTY === true): Logger {
  const level = pinoLevel(redisLevel);
  if (pretty) {
    return pino({ level, base: undefined, transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:standard' } } });
  }
  return pino({ level, base: { pid: process.pid } });
}
