/**
 * CloudWatch metrics through Powertools Metrics: EMF lines that CloudWatch Logs turns into
 * metrics, so no PutMetricData rights are needed. The lines go where the step's log lines go:
 * stdout in Lambda, the log sink in local runs and tests.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MetricsOptions } from '@aws-lambda-powertools/metrics/types';
import type { Logger } from '../../domain/ports';
import { PowertoolsLog, type LineSink } from '../../domain/logging/logger';

export { MetricUnit };

/** infra/watchdog.ts reads the metrics from this namespace. */
const METRICS_NAMESPACE = 'certflow';

/** Powertools Metrics publishing to a sink instead of stdout: same EMF document. */
class SinkMetrics extends Metrics {
  private sink: LineSink | undefined;

  constructor(sink: LineSink, options: MetricsOptions) {
    super(options);
    this.sink = sink;
  }

  // Also called by Powertools itself when 100 metrics are stored.
  override publishStoredMetrics(): this {
    if (!this.sink) return super.publishStoredMetrics();
    try {
      if (this.hasStoredMetrics()) this.sink(JSON.stringify(this.serializeMetrics()));
    } finally {
      this.clearMetrics();
      this.clearDimensions();
      this.clearMetadata();
    }
    return this;
  }
}

/**
 * Metrics for a step, published beside its log lines. Without Powertools' default `service`
 * dimension: the alarms select on the dimensions the step sets (CertificateId, or none).
 * A Logger port that is not Powertools-backed (a test's recording one) gets each EMF document
 * as a `metrics` entry.
 */
export function metricsFor(log: Logger): Metrics {
  const options: MetricsOptions = {
    namespace: METRICS_NAMESPACE,
    // Powertools' own warnings (e.g. a timestamp CloudWatch would reject) go to the step's log.
    logger: {
      debug: () => {},
      info: () => {},
      warn: (...content: unknown[]) => log.warn(String(content[0])),
      error: (...content: unknown[]) => log.error(String(content[0])),
    },
  };
  let metrics: Metrics;
  if (log instanceof PowertoolsLog) metrics = log.sink ? new SinkMetrics(log.sink, options) : new Metrics(options);
  else metrics = new SinkMetrics((line) => log.info('metrics', JSON.parse(line) as Record<string, unknown>), options);
  metrics.clearDefaultDimensions();
  return metrics;
}
