/** Types of `parse-prometheus-text-format`, a parser of Prometheus's text format (it ships none). */
declare module 'parse-prometheus-text-format' {
  /** One sample: a counter's or gauge's value, or a histogram's buckets, count and sum. */
  export interface PrometheusSample {
    value?: string;
    labels?: Record<string, string>;
    buckets?: Record<string, string>;
    count?: string;
    sum?: string;
  }
  /** One metric family, as its `# HELP` and `# TYPE` lines declare it. */
  export interface PrometheusFamily {
    name: string;
    help: string;
    type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
    metrics: PrometheusSample[];
  }
  /** Parses the text; throws on a line the format does not allow. */
  export default function parsePrometheusTextFormat(text: string): PrometheusFamily[];
}
