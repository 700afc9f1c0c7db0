import { type Job, Queue } from 'bullmq';
import { type BreakerTransition, readBreakerTransitions } from '../../shared/fleet-health.js';
import { type InstanceStatus, readFleetStatus } from '../../shared/fleet-status.js';
import type { Hop } from '../../shared/jobs.js';
import { counterLabels, readMetricsCounters } from '../../shared/metrics-counters.js';
import type { ServerContext } from '../server-context.js';

export interface DashboardRequest {
  id: string;
  status: string;
  instance: string;
  createdAt: number;
  finishedAt?: number;
  latencyMs?: number;
  hops: Hop[];
  error?: string;
}

export interface DashboardBatch {
  batchId: string;
  state: string;
  collection: string;
  done: number;
  total: number;
  createdAt: number;
  summary?: { added: number; updated: number; skipped: number; deleted: number; failed: number };
}

export interface DashboardSnapshot {
  at: number;
  instances: Array<InstanceStatus & { attempts: { completed: number; errors: number } }>;
  warnings: string[];
  transitions: BreakerTransition[];
  requests: DashboardRequest[];
  batches: DashboardBatch[];
  workflows: DashboardRun[];
}

/** A workflow run with its step timeline. */
export interface DashboardRun {
  id: string;
  workflow: string;
  version: string;
  status: string;
  node: string;
  createdAt: number;
  finishedAt?: number;
  usage: { tokens: number; costUsd: number };
  error?: string;
  steps: Array<{
    node: string;
    kind: string;
    branch?: number;
    provider?: string;
    model?: string;
    tokens: number;
    costUsd: number;
    ms: number;
  }>;
}

const recentPerQueue = 8;
const recentRequests = 15;
const recentRuns = 10;

/** Everything the dashboard shows, read from Redis in a few round trips. */
export class DashboardReader {
  private readonly batches: Queue;

  constructor(private readonly context: ServerContext) {
    this.batches = new Queue(context.keys.ingestionBatchQueue, {
      connection: context.redis,
      prefix: context.keys.bullPrefix,
    });
    // Connection errors reach each read's caller; unheard, BullMQ prints every one to stderr.
    this.batches.on('error', () => undefined);
  }

  async read(): Promise<DashboardSnapshot> {
    const { redis, keys, queues, settings } = this.context;
    const [status, counters, transitions, requests, batches, workflows] = await Promise.all([
      readFleetStatus(redis, keys, queues, settings),
      readMetricsCounters(redis, keys),
      readBreakerTransitions(redis, keys, 200),
      this.recentRequests(),
      this.recentBatches(),
      this.recentRuns(),
    ]);
    const attempts = new Map<string, { completed: number; errors: number }>();
    for (const [field, value] of Object.entries(counters.attempts)) {
      const [instance = '', outcome] = counterLabels(field);
      const entry = attempts.get(instance) ?? { completed: 0, errors: 0 };
      if (outcome === 'completed') entry.completed += Number(value);
      else entry.errors += Number(value);
      attempts.set(instance, entry);
    }
    return {
      at: Date.now(),
      instances: status.instances.map((instance) => ({
        ...instance,
        attempts: attempts.get(instance.instance) ?? { completed: 0, errors: 0 },
      })),
      warnings: status.warnings,
      transitions,
      requests,
      batches,
      workflows,
    };
  }

  async close(): Promise<void> {
    await this.batches.close();
  }

  /** The newest jobs of every generation queue, one row per request, newest first. */
  private async recentRequests(): Promise<DashboardRequest[]> {
    const { queues, settings, client } = this.context;
    const jobs = (
      await Promise.all(
        Object.keys(settings.providers).map((instance) =>
          queues
            .get(instance)
            .getJobs(
              ['active', 'waiting', 'prioritized', 'delayed', 'completed', 'failed'],
              0,
              recentPerQueue - 1,
            ),
        ),
      )
    )
      .flat()
      .filter((job): job is Job => Boolean(job))
      .sort((a, b) => b.timestamp - a.timestamp);
    const ids = [...new Set(jobs.map((job) => (job.data as { requestId: string }).requestId))].slice(
      0,
      recentRequests,
    );
    const states = await Promise.all(ids.map((id) => client.get(id)));
    return states.flatMap((state, index) =>
      state
        ? [
            {
              id: ids[index]!,
              status: state.status,
              instance: state.instance,
              createdAt: state.createdAt,
              ...(state.finishedAt ? { finishedAt: state.finishedAt } : {}),
              ...(state.result ? { latencyMs: state.result.latencyMs } : {}),
              hops: state.attempts,
              ...(state.error ? { error: `${state.error.kind}: ${state.error.message}` } : {}),
            },
          ]
        : [],
    );
  }

  /** The newest workflow runs, each with its steps. */
  private async recentRuns(): Promise<DashboardRun[]> {
    const { workflows } = this.context.client;
    const runs = await workflows.list({ limit: recentRuns });
    const views = await Promise.all(runs.map((run) => workflows.get(run.id)));
    return views.flatMap((run) =>
      run
        ? [
            {
              id: run.id,
              workflow: run.workflow,
              version: run.version,
              status: run.status,
              node: run.node,
              createdAt: run.createdAt,
              ...(run.finishedAt ? { finishedAt: run.finishedAt } : {}),
              usage: run.usage,
              ...(run.error ? { error: run.error } : {}),
              steps: run.history.map((step) => ({
                node: step.node,
                kind: step.kind,
                ...(step.branch === undefined ? {} : { branch: step.branch }),
                ...(step.provider ? { provider: step.provider } : {}),
                ...(step.model ? { model: step.model } : {}),
                tokens: step.inputTokens + step.outputTokens,
                costUsd: step.costUsd,
                ms: step.ms,
              })),
            },
          ]
        : [],
    );
  }

  private async recentBatches(): Promise<DashboardBatch[]> {
    const jobs = await this.batches.getJobs(
      ['active', 'waiting-children', 'waiting', 'completed', 'failed'],
      0,
      9,
    );
    const rows = await Promise.all(
      jobs
        .filter((job): job is Job => Boolean(job))
        .sort((a, b) => b.timestamp - a.timestamp)
        .slice(0, 10)
        .map(async (job): Promise<DashboardBatch> => {
          const data = job.data as {
            batchId: string;
            documentIds: string[];
            options: { collection: string };
          };
          const [state, counts] = await Promise.all([job.getState(), job.getDependenciesCount()]);
          const done = (counts.processed ?? 0) + (counts.failed ?? 0) + (counts.ignored ?? 0);
          const summary = job.returnvalue as DashboardBatch['summary'] | undefined;
          return {
            batchId: data.batchId,
            state,
            collection: data.options.collection,
            done: state === 'completed' ? data.documentIds.length : done,
            total: data.documentIds.length,
            createdAt: job.timestamp,
            ...(summary
              ? {
                  summary: {
                    added: summary.added,
                    updated: summary.updated,
                    skipped: summary.skipped,
                    deleted: summary.deleted,
                    failed: summary.failed,
                  },
                }
              : {}),
          };
        }),
    );
    return rows;
  }
}
