/*
 * Prometheus text exposition (format 0.0.4): a writer that appends metric families to a
 * string, and the cumulative histogram type the runtime monitor keeps.
 *
 * What: family() writes the # HELP and # TYPE lines, sample() one line per series. Label sets
 * are rendered once by labels() (values escaped: backslash, double quote, newline) and passed
 * as a string, so a family with a fixed label set costs one concatenation per sample. Values
 * follow Go's ParseFloat syntax as Prometheus reads it: integers as digits, NaN, +Inf, -Inf.
 *
 * Invariants (the caller's part): all samples of a family follow its # TYPE line, with no
 * other family in between; a series (name + label set) appears once per page.
 *
 * Why hand-written instead of prom-client: the counters already live in plain numbers and
 * typed arrays on the command path; a registry of metric objects would either be updated on
 * that path or copied into at scrape time. Writing the text from the counters directly costs
 * one pass and no objects, and lets the sidecar build the page in bounded slices.
 */

export type MetricType = 'counter' | 'gauge' | 'histogram';

const ESCAPES = /[\\"\n]/g;
const NEEDS_ESCAPE = /[\\"\n]/;
const HELP_ESCAPES = /[\\\n]/g;
const HELP_NEEDS_ESCAPE = /[\\\n]/;

function escapeChar(ch: string): string {
  return ch === '\n' ? '\\n' : '\\' + ch;
}

/** A label value as it appears between the quotes. */
export function escapeLabelValue(value: string): string {
  return NEEDS_ESCAPE.test(value) ? value.replace(ESCAPES, escapeChar) : value;
}

/** Render a label set: `{a="x",b="y"}`, or '' for none. */
export function labels(pairs: Record<string, string | number>): string {
  let out = '';
  for (const name in pairs) {
    out += (out === '' ? '{' : ',') + name + '="' + escapeLabelValue(String(pairs[name])) + '"';
  }
  return out === '' ? '' : out + '}';
}

/** A sample value: integers as digits, non-finite values as Prometheus spells them. */
export function formatValue(v: number): string {
  if (Number.isFinite(v)) return String(v);
  if (Number.isNaN(v)) return 'NaN';
  return v > 0 ? '+Inf' : '-Inf';
}

/** Bucket upper bound label (`le`), `+Inf` for the last. */
function formatBound(b: number): string {
  return b === Infinity ? '+Inf' : String(b);
}

/**
 * A histogram whose buckets only grow (Prometheus histogram semantics): `counts[i]` is the
 * number of observations <= bounds[i] (cumulative), `count` all observations, `sum` their total.
 */
export class CumulativeHistogram {
  readonly bounds: Float64Array;
  readonly counts: Float64Array;
  count = 0;
  sum = 0;

  constructor(bounds: readonly number[]) {
    this.bounds = Float64Array.from(bounds);
    this.counts = new Float64Array(bounds.length);
  }

  observe(value: number): void {
    const b = this.bounds;
    for (let i = b.length - 1; i >= 0 && value <= b[i]; i--) this.counts[i]++;
    this.count++;
    this.sum += value;
  }
}

export class PromWriter {
  /** Text written since the last take(). */
  text = '';

  family(name: string, type: MetricType, help: string): void {
    const h = HELP_NEEDS_ESCAPE.test(help) ? help.replace(HELP_ESCAPES, escapeChar) : help;
    this.text += '# HELP ' + name + ' ' + h + '\n# TYPE ' + name + ' ' + type + '\n';
  }

  /** One series; `labelText` from labels(), or '' for none. */
  sample(name: string, labelText: string, value: number): void {
    this.text += name + labelText + ' ' + formatValue(value) + '\n';
  }

  /** A whole family with a single unlabelled sample. */
  single(name: string, type: MetricType, help: string, value: number): void {
    this.family(name, type, help);
    this.sample(name, '', value);
  }

  /**
   * The series of one histogram: its buckets, _sum and _count. `extra` is an already rendered
   * label list without braces (`kind="major"`) or '' (the family line is the caller's).
   */
  histogram(name: string, extra: string, h: CumulativeHistogram): void {
    const sep = extra === '' ? '' : ',';
    for (let i = 0; i < h.bounds.length; i++) {
      this.text += name + '_bucket{' + extra + sep + 'le="' + formatBound(h.bounds[i]) + '"} ' + formatValue(h.counts[i]) + '\n';
    }
    this.text += name + '_bucket{' + extra + sep + 'le="+Inf"} ' + formatValue(h.count) + '\n';
    const braces = extra === '' ? '' : '{' + extra + '}';
    this.text += name + '_sum' + braces + ' ' + formatValue(h.sum) + '\n';
    this.text += name + '_count' + braces + ' ' + formatValue(h.count) + '\n';
  }

  /** The text written so far, leaving the writer empty. */
  take(): string {
    const t = this.text;
    this.text = '';
    return t;
  }
}
