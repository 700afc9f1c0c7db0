import { Counter, Gauge, type Metric, Registry } from 'prom-client';
import { readFleetStatus } from '../shared/fleet-status.js';
import {
  counterLabels,
  latencyBucketsSeconds,
  type MetricsCounters,
  readMetricsCounters,
} from '../shared/metrics-counters.js';
import type { ServerContext } from './server-context.js';

/**
 * The Prometheus exposition, built afresh per scrape from Redis: queue depths, live workers and breaker
 * states as they are now, and the counters every worker keeps (so traffic from any producer counts).
 */
export async function renderMetrics(context: ServerContext): Promise<{ contentType: string; text: string }> {
  const { redis, keys, queues, settings } = context;
  const [status, counters] = await Promise.all([
    readFleetStatus(redis, keys, queues, settings),
    readMetricsCounters(redis, keys),
  ]);
  const registry = new Registry();
  const jobs = new Gauge({
    name: 'atlas_queue_jobs',
    help: 'Jobs in each generation queue, by state.',
    labelNames: ['instance', 'state'],
    registers: [registry],
  });
  const workers = new Gauge({
    name: 'atlas_workers_live',
    help: 'Workers whose heartbeat is current, by instance.',
    labelNames: ['instance'],
    registers: [registry],
  });
  const breaker = new Gauge({
    name: 'atlas_breaker_state',
    help: 'Circuit breaker of each instance: 1 on its current state (closed, open, half-open).',
    labelNames: ['instance', 'state'],
    registers: [registry],
  });
  for (const instance of status.instances) {
    for (const state of ['waiting', 'active', 'delayed', 'completed', 'failed'] as const)
      jobs.set({ instance: instance.instance, state }, instance[state]);
    workers.set({ instance: instance.instance }, instance.liveWorkers);
    for (const state of ['closed', 'open', 'half-open'])
      breaker.set({ instance: instance.instance, state }, instance.breaker === state ? 1 : 0);
  }
  addCounters(registry, counters);
  registry.registerMetric(latencyHistogram(counters.latency));
  return { contentType: registry.contentType, text: await registry.metrics() };
}

function addCounters(registry: Registry, counters: MetricsCounters): void {
  const attempts = new Counter({
    name: 'atlas_attempts_total',
    help: 'Attempts of requests on each instance, by outcome (completed, error) and error kind.',
    labelNames: ['instance', 'outcome', 'kind'],
    registers: [registry],
  });
  for (const [field, value] of Object.entries(counters.attempts)) {
    const [instance = '', outcome = '', kind = ''] = counterLabels(field);
    attempts.inc({ instance, outcome, kind }, Number(value));
  }
  const requests = new Counter({
    name: 'atlas_requests_total',
    help: 'Requests ended, by the instance that ended them, status (completed, failed) and error kind.',
    labelNames: ['instance', 'status', 'kind'],
    registers: [registry],
  });
  for (const [field, value] of Object.entries(counters.requests)) {
    const [instance = '', status = '', kind = ''] = counterLabels(field);
    requests.inc({ instance, status, kind }, Number(value));
  }
  const tokens = new Counter({
    name: 'atlas_tokens_total',
    help: 'Tokens of completed attempts, by instance and direction (input, output).',
    labelNames: ['instance', 'direction'],
    registers: [registry],
  });
  const cost = new Counter({
    name: 'atlas_cost_usd_total',
    help: 'Estimated cost of completed attempts in US dollars, by instance.',
    labelNames: ['instance'],
    registers: [registry],
  });
  for (const [field, value] of Object.entries(counters.usage)) {
    const [instance = '', name = ''] = counterLabels(field);
    if (name === 'cost_usd') cost.inc({ instance }, Number(value));
    else tokens.inc({ instance, direction: name.replace('_tokens', '') }, Number(value));
  }
}

/** The workers keep one count per bucket; Prometheus wants them cumulative, with `+Inf`, sum and count. */
function latencyHistogram(fields: Record<string, string>): Metric {
  const byInstance = new Map<string, Map<string, number>>();
  for (const [field, value] of Object.entries(fields)) {
    const [instance = '', bucket = ''] = counterLabels(field);
    if (!byInstance.has(instance)) byInstance.set(instance, new Map());
    byInstance.get(instance)!.set(bucket, Number(value));
  }
  const values: Array<{ metricName: string; labels: Record<string, string | number>; value: number }> = [];
  for (const [instance, buckets] of byInstance) {
    let cumulative = 0;
    for (const bound of [...latencyBucketsSeconds.map(String), '+Inf']) {
      cumulative += buckets.get(bound) ?? 0;
      values.push({
        metricName: 'atlas_attempt_duration_seconds_bucket',
        labels: { instance, le: bound },
        value: cumulative,
      });
    }
    values.push({
      metricName: 'atlas_attempt_duration_seconds_sum',
      labels: { instance },
      value: buckets.get('sum') ?? 0,
    });
    values.push({
      metricName: 'atlas_attempt_duration_seconds_count',
      labels: { instance },
      value: cumulative,
    });
  }
  const metric = {
    name: 'atlas_attempt_duration_seconds',
    help: 'Duration of attempts on each instance, in seconds.',
    type: 'histogram',
    aggregator: 'sum',
    get: async () => ({ ...metric, values }),
  };
  return metric as unknown as Metric;
}
