/*
 * The protocol fuzzer's seed corpus: the commands of the differential corpus
 * (test/differential/corpus/*.txt), split with Redis's quoting rules, minus the commands that
 * would change what the fuzzer can check or stop the server. Excluded (see README "Fuzzing"):
 * - stop or reconfigure the server: SHUTDOWN, DEBUG, CONFIG, SAVE/BGSAVE/BGREWRITEAOF,
 *   REPLICAOF/SLAVEOF/FAILOVER/SYNC/PSYNC, MIGRATE, CLUSTER, MODULE, ACL;
 * - change the connection's reply stream: CLIENT (REPLY OFF, PAUSE, KILL, TRACKING), MONITOR,
 *   the SUBSCRIBE family (several replies per command, pushes), MULTI/EXEC/DISCARD/WATCH (the
 *   sentinel would be queued);
 * - may wait: BLPOP and the other blocking pops, WAIT, XREAD/XREADGROUP with BLOCK;
 * - may run forever or for long: EVAL/EVALSHA/FCALL/FUNCTION/SCRIPT (the corpus tests busy
 *   scripts), PFSELFTEST, PFDEBUG;
 * - allocate hundreds of MB by design: SETRANGE/SETBIT/BITFIELD with offsets past 1M;
 * - reply billions of elements by design: SRANDMEMBER/HRANDFIELD/ZRANDMEMBER with a count of
 *   7 digits or more. The corpus has negative counts at the edge of the accepted range (an
 *   error there); one flipped digit brings one inside it, and both servers then build a reply
 *   of 4.6e18 elements (a stalled run: redis-server stopped answering, slabcache grew to 4 GB).
 * The command level (command-fuzz.ts) covers most of these deliberately instead.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { splitArgs } from '../../src/split-args.ts';

const CORPUS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'differential', 'corpus');

const EXCLUDED = new Set([
  'shutdown', 'debug', 'config', 'save', 'bgsave', 'bgrewriteaof', 'replicaof', 'slaveof', 'failover',
  'sync', 'psync', 'migrate', 'cluster', 'module', 'acl',
  'client', 'monitor', 'subscribe', 'psubscribe', 'ssubscribe', 'unsubscribe', 'punsubscribe', 'sunsubscribe',
  'multi', 'exec', 'discard', 'watch',
  'blpop', 'brpop', 'brpoplpush', 'blmove', 'blmpop', 'bzpopmin', 'bzpopmax', 'bzmpop', 'wait', 'waitaof',
  'eval', 'evalsha', 'eval_ro', 'evalsha_ro', 'fcall', 'fcall_ro', 'function', 'script', 'pfselftest', 'pfdebug',
]);
const BIG_OFFSET_COMMANDS = new Set(['setrange', 'setbit', 'bitfield', 'bitfield_ro']);
const RANDOM_COUNT_COMMANDS = new Set(['srandmember', 'hrandfield', 'zrandmember']);

export function loadCorpus(dir = CORPUS_DIR): Buffer[][] {
  const out: Buffer[][] = [];
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.txt')).sort()) {
    for (const raw of fs.readFileSync(path.join(dir, file), 'latin1').split('\n')) {
      const line = raw.trim();
      if (line === '' || line[0] === '#' || line[0] === '%' || line[0] === '{' || line[0] === '}' || line.includes('${')) continue;
      const words = splitArgs(line);
      if (words === null) continue;
      // Leading !modifiers; a raw or inline send is not an argument vector.
      let i = 0;
      let rawSend = false;
      while (i < words.length && words[i]!.startsWith('!')) {
        if (/^!(raw|inline)/.test(words[i]!)) rawSend = true;
        i++;
      }
      const hash = words.indexOf('#', i);
      const args = words.slice(i, hash < 0 ? words.length : hash);
      if (rawSend || args.length === 0) continue;
      const name = args[0]!.toLowerCase();
      if (EXCLUDED.has(name)) continue;
      if ((name === 'xread' || name === 'xreadgroup') && args.some((a) => a.toLowerCase() === 'block')) continue;
      if (BIG_OFFSET_COMMANDS.has(name) && args.some((a) => /^#?\d{7,}$/.test(a))) continue;
      if (RANDOM_COUNT_COMMANDS.has(name) && args.some((a) => /^[-+]?\d{7,}$/.test(a))) continue;
      out.push(args.map((a) => Buffer.from(a, 'latin1')));
    }
  }
  return out;
}
