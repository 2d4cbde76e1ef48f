/*
 * The README chart: a hand-written SVG, no charting dependency. Two panels side by side,
 * one row per workload, a bar per server (redis-server, slabcache, and the do-nothing Node
 * floor when it ran): median throughput (higher is better) and median
 * p99 latency (lower is better). Workloads differ by 30x in throughput, so each row is
 * scaled to its largest bar and every bar carries its value; the ratio slabcache/redis sits
 * at the right of each panel. Where the issue sets a throughput target, a dashed mark on
 * the slabcache bar shows where the target falls.
 */
import type { LoadServer } from './processes.ts';
import { ratioOf, SERVER_LABEL, THROUGHPUT_TARGETS, type Figures, type Summary, type WorkloadResult } from './summary.ts';

const COLORS: Record<LoadServer, string> = { redis: '#c8423b', slabcache: '#2f6db3', floor: '#9a9a9a' };

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function kops(x: number): string {
  if (!Number.isFinite(x)) return '-';
  if (x >= 1e6) return (x / 1e6).toFixed(2) + 'M';
  if (x >= 1e3) return (x / 1e3).toFixed(x >= 1e5 ? 0 : 1) + 'k';
  return x.toFixed(0);
}

export interface ChartInfo {
  title: string;
  subtitle: string;
  /** Lines under the chart (how it was measured). */
  footer: string[];
}

export function renderChart(results: readonly WorkloadResult[], info: ChartInfo): string {
  const rows = results.filter((r) => r.median.redis !== undefined || r.median.slabcache !== undefined);
  const kinds: LoadServer[] = ['redis', 'slabcache'];
  if (rows.some((r) => r.median.floor !== undefined)) kinds.push('floor');
  const width = 980;
  const labelW = 150;
  const panelW = 320;
  const ratioW = 62;
  const gap = 36;
  const barH = 13;
  const rowH = barH * kinds.length + 14;
  const top = 92;
  const footer = [
    'Bars of each row are scaled to its largest; medians over interleaved rounds; ratio = slabcache / redis-server.',
    ...info.footer,
  ];
  const height = top + rows.length * rowH + 12 + footer.length * 16;
  const panelX = [labelW + 10, labelW + 10 + panelW + ratioW + gap];
  const o: string[] = [];
  o.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`);
  o.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  o.push(`<text x="12" y="24" font-size="16" font-weight="bold" fill="#222">${esc(info.title)}</text>`);
  o.push(`<text x="12" y="42" fill="#555">${esc(info.subtitle)}</text>`);
  // legend
  let lx = 12;
  for (const k of kinds) {
    o.push(`<rect x="${lx}" y="52" width="12" height="12" fill="${COLORS[k]}"/>`);
    o.push(`<text x="${lx + 17}" y="62" fill="#222">${SERVER_LABEL[k]}</text>`);
    lx += 110;
  }
  o.push(`<line x1="${lx}" y1="58" x2="${lx + 14}" y2="58" stroke="#222" stroke-width="2" stroke-dasharray="3,2"/>`);
  o.push(`<text x="${lx + 19}" y="62" fill="#222">issue's throughput target for slabcache</text>`);
  const panels: Array<{ title: string; pick: (s: Figures) => number; text: (x: number) => string; betterHigh: boolean }> = [
    { title: 'Throughput, ops/s (higher is better)', pick: (s) => s.rps, text: kops, betterHigh: true },
    { title: 'p99 latency, ms (lower is better)', pick: (s) => s.p99, text: (x) => (Number.isFinite(x) ? x.toFixed(2) : '-'), betterHigh: false },
  ];
  panels.forEach((p, pi) => {
    const x0 = panelX[pi];
    o.push(`<text x="${x0}" y="${top - 10}" font-weight="bold" fill="#222">${esc(p.title)}</text>`);
    o.push(`<text x="${x0 + panelW + ratioW - 4}" y="${top - 10}" text-anchor="end" fill="#555">ratio</text>`);
    o.push(`<line x1="${x0}" y1="${top - 4}" x2="${x0}" y2="${top + rows.length * rowH - 6}" stroke="#999"/>`);
    rows.forEach((r, ri) => {
      const y = top + ri * rowH;
      const values = kinds.map((k) => (r.median[k] !== undefined ? p.pick(r.median[k]!) : NaN));
      const max = Math.max(...values.filter((v) => Number.isFinite(v)), 1e-9);
      const scale = (panelW - 62) / max;
      const target = pi === 0 ? THROUGHPUT_TARGETS[r.workload.id] : undefined;
      const targetX = target !== undefined && Number.isFinite(values[0]) ? x0 + values[0] * target * scale : NaN;
      kinds.forEach((k, ki) => {
        const v = values[ki];
        const by = y + ki * barH;
        if (!Number.isFinite(v)) {
          o.push(`<text x="${x0 + 4}" y="${by + barH - 3}" fill="#888">${esc(`${SERVER_LABEL[k]}: ${r.skipped[k] ?? 'no result'}`)}</text>`);
          return;
        }
        const w = Math.max(1, v * scale);
        o.push(`<rect x="${x0}" y="${by}" width="${w.toFixed(1)}" height="${barH - 2}" fill="${COLORS[k]}"><title>${esc(`${r.workload.label}, ${SERVER_LABEL[k]}: ${p.text(v)}`)}</title></rect>`);
        const textX = k === 'slabcache' && Number.isFinite(targetX) ? Math.max(x0 + w, targetX) : x0 + w;
        o.push(`<text x="${(textX + 4).toFixed(1)}" y="${by + barH - 3}" fill="#222">${esc(p.text(v))}</text>`);
      });
      if (Number.isFinite(targetX)) {
        o.push(`<line x1="${targetX.toFixed(1)}" y1="${y + barH - 2}" x2="${targetX.toFixed(1)}" y2="${y + 2 * barH}" stroke="#222" stroke-width="2" stroke-dasharray="3,2"/>`);
      }
      const ratio = ratioOf(r, p.pick);
      if (Number.isFinite(ratio)) {
        const good = p.betterHigh ? ratio >= 1 : ratio <= 1;
        o.push(`<text x="${x0 + panelW + ratioW - 4}" y="${y + barH + 4}" text-anchor="end" font-weight="bold" fill="${good ? '#1d7a33' : '#a12a22'}">${ratio.toFixed(2)}x</text>`);
      }
      if (pi === 0) o.push(`<text x="${labelW}" y="${y + barH + 4}" text-anchor="end" fill="#222">${esc(r.workload.label)}</text>`);
    });
  });
  footer.forEach((line, i) => {
    o.push(`<text x="12" y="${height - 10 - (footer.length - 1 - i) * 16}" fill="#555">${esc(line)}</text>`);
  });
  o.push('</svg>');
  return o.join('\n') + '\n';
}
