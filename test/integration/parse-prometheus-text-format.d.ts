// Minimal types for parse-prometheus-text-format 1.x (a port of prom2json's parser), used by
// the sidecar test to read /metrics as Prometheus tooling does.
declare module 'parse-prometheus-text-format' {
  interface MetricFamily {
    name: string;
    help: string;
    type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
    metrics: Array<Record<string, unknown>>;
  }
  /** Throws (InvalidLineError) on a line it cannot read. */
  function parsePrometheusTextFormat(text: string): MetricFamily[];
  export default parsePrometheusTextFormat;
}
