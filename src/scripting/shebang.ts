/*
 * Script and library headers, parsed as Redis 7.0 parses them: sdssplitargs (sds.c) for the
 * words of a "#!" line, evalExtractShebangFlags (eval.c) for EVAL's "#!lua flags=..." and
 * functionExtractLibMetaData (functions.c) for FUNCTION LOAD's "#!lua name=...". Texts are
 * latin1 strings (one char per byte), so binary bodies survive; error texts are Redis's.
 */
import { splitArgs } from '../split-args.ts';

/** Script flags (script.h): the bits, their names in Redis's order (scripts_flags_def). */
export const ScriptFlag = {
  NO_WRITES: 1 << 0,
  ALLOW_OOM: 1 << 1,
  ALLOW_STALE: 1 << 2,
  NO_CLUSTER: 1 << 3,
  /** A script with no shebang: EVAL's backwards-compatible mode. */
  EVAL_COMPAT_MODE: 1 << 4,
  ALLOW_CROSS_SLOT: 1 << 5,
} as const;

export const SCRIPT_FLAG_NAMES: ReadonlyArray<readonly [number, string]> = [
  [ScriptFlag.NO_WRITES, 'no-writes'],
  [ScriptFlag.ALLOW_OOM, 'allow-oom'],
  [ScriptFlag.ALLOW_STALE, 'allow-stale'],
  [ScriptFlag.NO_CLUSTER, 'no-cluster'],
  [ScriptFlag.ALLOW_CROSS_SLOT, 'allow-cross-slot-keys'],
];

/** evalExtractShebangFlags: the flags and the shebang's length, or an error text (without "ERR "). */
export function extractShebangFlags(body: string): { flags: number; shebangLen: number } | string {
  if (!body.startsWith('#!')) return { flags: ScriptFlag.EVAL_COMPAT_MODE, shebangLen: 0 };
  const end = body.indexOf('\n');
  if (end < 0) return 'Invalid script shebang';
  const parts = splitArgs(cString(body.slice(0, end)));
  if (parts === null || parts.length === 0) return 'Invalid engine in script shebang';
  if (parts[0] !== '#!lua') return `Unexpected engine in script shebang: ${parts[0]}`;
  let flags = 0;
  for (let j = 1; j < parts.length; j++) {
    const part = parts[j];
    if (!part.startsWith('flags=')) return `Unknown lua shebang option: ${part}`;
    const list = part.slice(6);
    // sdssplitlen: an empty string has no elements.
    for (const name of list === '' ? [] : list.split(',')) {
      const def = SCRIPT_FLAG_NAMES.find(([, n]) => n === name);
      if (def === undefined) return `Unexpected flag in script shebang: ${name}`;
      flags |= def[0];
    }
  }
  return { flags, shebangLen: end };
}

export interface LibraryMetadata {
  engine: string;
  name: string;
  /** The code after the shebang line (from its '\n' on, so line numbers are kept). */
  code: string;
}

/** functionExtractLibMetaData: the library's engine, name and code, or an error text. */
export function extractLibraryMetadata(payload: string): LibraryMetadata | string {
  if (!payload.startsWith('#!')) return 'Missing library metadata';
  const end = payload.indexOf('\n');
  if (end < 0) return 'Invalid library metadata';
  const parts = splitArgs(cString(payload.slice(0, end)));
  if (parts === null || parts.length === 0) return 'Invalid library metadata';
  const engine = parts[0].slice(2);
  let name: string | null = null;
  for (let i = 1; i < parts.length; i++) {
    const part = parts[i];
    if (part.slice(0, 5).toLowerCase() === 'name=') {
      if (name !== null) return 'Invalid metadata value, name argument was given multiple times';
      name = part.slice(5);
      continue;
    }
    return `Invalid metadata value given: ${part}`;
  }
  if (name === null) return 'Library name was not given';
  return { engine, name, code: payload.slice(end) };
}

/** functionsVerifyName: letters, digits and '_', at least one. */
export function isValidName(name: string): boolean {
  return /^[A-Za-z0-9_]+$/.test(name);
}

/** C string view: up to the first NUL byte (the C code reads the header with strchr/strncmp). */
function cString(s: string): string {
  const nul = s.indexOf('\0');
  return nul < 0 ? s : s.slice(0, nul);
}
