/*
 * Differential suite: every script in test/differential/corpus/ runs against a fresh
 * redis-server (the reference) and a fresh slabcache (or, with DIFF_TARGET=redis or while
 * startServer is not implemented, a second redis-server), started with the same directives,
 * and the replies must be byte-identical except where a script marks a legitimate difference.
 *
 * Env: DIFF_TARGET=auto|slabcache|redis (see test/helpers/target-server.ts), DIFF_ALL=1 to
 * list every mismatch of a script instead of stopping at the first.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, test } from 'vitest';
import { haveRedisServer, startRedisServer, type RedisServerHandle } from '../helpers/redis-server.ts';
import { startTarget, type TargetServer } from '../helpers/target-server.ts';
import { formatMismatch, missingCommands, runScript } from './runner.ts';
import { parseScript, type Script } from './script.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const corpusDir = path.join(here, 'corpus');
const scripts: Script[] = fs
  .readdirSync(corpusDir)
  .filter((f) => f.endsWith('.txt'))
  .sort()
  .map((f) => parseScript(f.replace(/\.txt$/, ''), f, fs.readFileSync(path.join(corpusDir, f), 'utf8')));

const enabled = haveRedisServer();
const all = process.env['DIFF_ALL'] === '1';
// DIFF_TRANSCRIPT=dir writes <script>.log there: each command with redis-server's reply.
const transcriptDir = process.env['DIFF_TRANSCRIPT'];

test('the corpus holds at least 300 commands', () => {
  const total = scripts.reduce((n, s) => n + s.commandCount, 0);
  expect(total).toBeGreaterThanOrEqual(300);
});

test('the messaging corpora (issue 9) hold at least 400 commands, several of them multi-connection', () => {
  const messaging = scripts.filter((s) => /^(transactions|pubsub|keyspace-events|tracking|client-pause)/.test(s.name));
  expect(messaging.reduce((n, s) => n + s.commandCount, 0)).toBeGreaterThanOrEqual(400);
  const multiConnection = messaging.filter((s) => s.items.some((it) => it.kind === 'step' && it.step.conn > 1));
  expect(multiConnection.length).toBeGreaterThanOrEqual(5);
});

describe.skipIf(!enabled)('differential: redis-server vs the server under test', () => {
  let ref: RedisServerHandle | null = null;
  let target: TargetServer | null = null;

  afterEach(async () => {
    await Promise.all([ref?.stop(), target?.stop()]);
    ref = null;
    target = null;
  });

  for (const script of scripts) {
    test(`${script.name} (${script.commandCount} commands)`, async (ctx) => {
      ref = await startRedisServer(script.directives);
      target = await startTarget(script.directives);
      const targetLabel = target.kind === 'slabcache' ? 'slabcache' : 'redis-server#2';
      const missing = await missingCommands({ label: targetLabel, host: target.host, port: target.port }, script.requires, script.directives['requirepass']);
      if (missing.length > 0) {
        console.warn(`${script.file} skipped: ${targetLabel} does not implement ${missing.join(', ')} yet`);
        ctx.skip();
        return;
      }
      const transcript: string[] | undefined = transcriptDir ? [] : undefined;
      let result;
      try {
        result = await runScript(
          script,
          { label: 'redis-server', host: ref.host, port: ref.port },
          { label: targetLabel, host: target.host, port: target.port },
          { all, transcript },
        );
      } finally {
        if (transcriptDir && transcript) {
          fs.mkdirSync(transcriptDir, { recursive: true });
          fs.writeFileSync(path.join(transcriptDir, `${script.name}.log`), transcript.join('\n') + '\n');
        }
      }
      if (result.mismatches.length > 0) {
        const text = result.mismatches.map((m) => formatMismatch(m, 'redis-server', targetLabel)).join('\n\n');
        expect.fail(`${result.mismatches.length} mismatch(es) in ${script.file} (${targetLabel} vs redis-server ${ref.version}):\n\n${text}`);
      }
    }, 60_000);
  }
});
