import type { Part } from './lifecycle';

/**
 * CloudWatch Embedded Metric Format: a JSON log line CloudWatch Logs turns into a metric by
 * itself (the awslogs driver ships stdout there), so a task publishes custom metrics without an
 * agent, an SDK call or a PutMetricData permission. Autoscaling tracks what these lines carry.
 */
export interface EmfMetric {
  value: number;
  unit: 'Count' | 'Seconds' | 'Milliseconds' | 'Percent' | 'None';
}

export function emfLine(opts: {
  namespace: string;
  dimensions: Record<string, string>;
  metrics: Record<string, EmfMetric>;
  timestamp: number;
}): string {
  return JSON.stringify({
    _aws: {
      Timestamp: opts.timestamp,
      CloudWatchMetrics: [
        {
          Namespace: opts.namespace,
          Dimensions: [Object.keys(opts.dimensions)],
          Metrics: Object.entries(opts.metrics).map(([Name, m]) => ({ Name, Unit: m.unit })),
        },
      ],
    },
    ...opts.dimensions,
    ...Object.fromEntries(Object.entries(opts.metrics).map(([name, m]) => [name, m.value])),
  });
}

/** Writes one EMF line every `everyMs` (and a last one at stop) with what `sample` reads. */
export function emfReporter(opts: {
  namespace: string;
  dimensions: Record<string, string>;
  everyMs: number;
  sample: () => Record<string, EmfMetric>;
  write?: (line: string) => void;
  now?: () => number;
}): Part {
  const write = opts.write ?? ((line: string) => void process.stdout.write(`${line}\n`));
  const now = opts.now ?? Date.now;
  const report = () =>
    write(
      emfLine({
        namespace: opts.namespace,
        dimensions: opts.dimensions,
        metrics: opts.sample(),
        timestamp: now(),
      }),
    );
  let timer: NodeJS.Timeout | undefined;
  return {
    name: 'emf-metrics',
    start: () => {
      report();
      timer = setInterval(report, opts.everyMs);
      timer.unref();
      return Promise.resolve();
    },
    stop: () => {
      clearInterval(timer);
      report();
      return Promise.resolve();
    },
  };
}
