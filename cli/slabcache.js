#!/usr/bin/env node
/*
 * The `slabcache` command (package.json "bin", and `npm start`). Plain JavaScript, so that any
 * Node can run it far enough to say what it needs. It runs, in this order of preference:
 *   - the TypeScript sources (cli/main.ts) when they are here and this Node strips types: a
 *     source checkout, where npm scripts run on the pinned Node 24;
 *   - the JavaScript built from them (dist/, `npm run build`; the published package ships
 *     only this), on Node 20 or newer;
 *   - otherwise one line on stderr saying what is missing, and exit code 1.
 * Start-up times of each form are in the README ("Running in production").
 *
 * Before any of that it gives Node the V8 flags the server is measured with (node-flags.json:
 * a young generation capped at 4 MB per semi-space, which halves the RSS of 100k small hashes
 * and costs no CPU per command; the README's "Running in production" has the figures). V8 reads
 * them only at start-up, so when one is missing from this process's flags and NODE_OPTIONS the
 * launcher replaces itself (process.execve: same PID, same arguments, flags added). A flag the
 * user set wins. Where execve is missing (Windows, Node before 22.15) or fails, the server runs
 * without them: it works the same, with more RSS.
 */
import fs from 'node:fs';

const MIN_NODE_MAJOR = 20;

function fail(message) {
  process.stderr.write(`slabcache: ${message}\n`);
  process.exit(1);
}

if (Number(process.versions.node.split('.')[0]) < MIN_NODE_MAJOR) {
  fail(`needs Node.js ${MIN_NODE_MAJOR} or newer (this is ${process.version})`);
}
const wanted = JSON.parse(fs.readFileSync(new URL('./node-flags.json', import.meta.url), 'utf8'));
const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
const flagName = (flag) => flag.split('=')[0].replaceAll('_', '-');
const missing = wanted.filter((flag) => !given.some((g) => flagName(g) === flagName(flag)));
if (missing.length > 0 && typeof process.execve === 'function') {
  try {
    process.execve(process.execPath, [process.execPath, ...missing, ...process.execArgv, ...process.argv.slice(1)], process.env);
  } catch {
    // The system refused the exec: this process goes on without the flags.
  }
}
const sources = new URL('./main.ts', import.meta.url);
const built = new URL('../dist/cli/main.js', import.meta.url);
if (process.features.typescript && fs.existsSync(sources)) {
  await import(sources.href);
} else if (fs.existsSync(built)) {
  await import(built.href);
} else {
  fail(`this checkout has no built JavaScript and Node ${process.version} cannot run TypeScript: ` +
    'install the dev dependencies (`npm install`; npm start then runs on the pinned Node 24) and `npm run build`, or use Node 22.18 or newer');
}
