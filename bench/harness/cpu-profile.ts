/*
 * Reads a V8 .cpuprofile (node --cpu-prof) and ranks self time: by function (name, file,
 * line), by file and by area (store/, protocol/, src/, Node's JS, native), each as a share of
 * the busy time: "(idle)", the event loop waiting in epoll, is reported apart. "(program)" is
 * native work V8 cannot attribute to a JS frame; "(garbage collector)" is the main thread's
 * GC share; a native function (writeBuffer, now) is a C++ binding called from JS. V8 inlines
 * small functions into their callers, so a caller's self time includes its inlined callees.
 */
import fs from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface SelfTime {
  name: string;
  /** Share of the busy (non-idle) time, percent. */
  percent: number;
  ms: number;
}

export interface ProfileSummary {
  file: string;
  seconds: number;
  samples: number;
  /** Share of the profile the main thread was idle (waiting in epoll), percent. */
  idlePercent: number;
  byFunction: SelfTime[];
  byFile: SelfTime[];
  /** slabcache's layers (store/, protocol/, src/), Node's JS (node:*), and native frames. */
  byArea: SelfTime[];
}

function area(url: string, name: string): string {
  if (url === '') return name === '(garbage collector)' || name === '(program)' ? name : `native: ${name}`;
  if (url.startsWith('node:')) return 'node: JS internals';
  const top = url.split('/')[0];
  return top === url ? url : `${top}/`;
}

function shortUrl(url: string, root: string): string {
  if (url === '') return '';
  const p = url.startsWith('file://') ? url.slice(7) : url;
  return p.startsWith(root) ? path.relative(root, p) : p;
}

export function summariseProfile(file: string, root: string, top = 25): ProfileSummary {
  const prof = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const selfUs = new Map<number, number>();
  const samples = prof.samples ?? [];
  const deltas = prof.timeDeltas ?? [];
  // Sample i stands for the interval up to the next sample.
  for (let i = 0; i < samples.length; i++) {
    const dt = deltas[i + 1] ?? 0;
    selfUs.set(samples[i], (selfUs.get(samples[i]) ?? 0) + Math.max(0, dt));
  }
  let total = 0;
  let idle = 0;
  for (const node of prof.nodes) {
    const us = selfUs.get(node.id) ?? 0;
    total += us;
    if (node.callFrame.functionName === '(idle)') idle += us;
  }
  const busy = total - idle;
  const byFn = new Map<string, number>();
  const byFile = new Map<string, number>();
  const byArea = new Map<string, number>();
  for (const node of prof.nodes) {
    const us = selfUs.get(node.id) ?? 0;
    if (us === 0 || node.callFrame.functionName === '(idle)') continue;
    const cf = node.callFrame;
    const url = shortUrl(cf.url, root);
    const name = cf.functionName || '(anonymous)';
    const fnKey = url === '' ? name : `${name}  ${url}:${cf.lineNumber + 1}`;
    byFn.set(fnKey, (byFn.get(fnKey) ?? 0) + us);
    const fileKey = url === '' ? name : url;
    byFile.set(fileKey, (byFile.get(fileKey) ?? 0) + us);
    const areaKey = area(url, name);
    byArea.set(areaKey, (byArea.get(areaKey) ?? 0) + us);
  }
  const rank = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, percent: (100 * us) / busy, ms: us / 1000 }));
  return {
    file,
    seconds: (prof.endTime - prof.startTime) / 1e6,
    samples: samples.length,
    idlePercent: (100 * idle) / total,
    byFunction: rank(byFn),
    byFile: rank(byFile),
    byArea: rank(byArea),
  };
}
