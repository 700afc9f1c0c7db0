import { randomUUID } from 'node:crypto';
import { AgentQueue } from '../shared/agents/agent-queue.js';
import { readCatalogs, type ServedWorkflow, servedTools, servedWorkflows } from '../shared/agents/catalog.js';
import {
  type HistoryEntry,
  isFinished,
  type RunBudgets,
  type RunRecord,
  type RunStatus,
  RunStore,
  type StoredRunEvent,
} from '../shared/agents/run-store.js';
import { stepJob } from '../shared/agents/start-run.js';
import type { Settings } from '../shared/config/settings.js';
import { AtlasError, ValidationError } from '../shared/errors.js';
import type { Keys } from '../shared/keys.js';
import { createRedis, type Redis } from '../shared/redis.js';

export interface StartWorkflowOptions {
  /** @default the highest version a live worker serves */
  version?: string;
  /** @default settings.agents.defaultDeadlineMs */
  deadlineMs?: number;
  budgets?: RunBudgets;
  /**
   * Return as soon as the run is accepted (the default); `false` waits for it to end and returns it
   * in `run`.
   */
  detach?: boolean;
}

export interface StartedRun {
  id: string;
  workflow: string;
  version: string;
  /** The ended run, when started with `detach: false`. */
  run?: RunView;
}

/** A step of a run as `get` shows it: its node, provider, model, tokens, cost and time. */
export type StepView = Omit<HistoryEntry, 'state'>;

export interface RunView {
  id: string;
  workflow: string;
  version: string;
  status: RunStatus;
  state: unknown;
  /** The node the run is at ('' once it completed). */
  node: string;
  checkpoint: number;
  input: unknown;
  createdAt: number;
  updatedAt: number;
  deadlineAt: number;
  finishedAt?: number;
  budgets: RunBudgets;
  usage: { tokens: number; costUsd: number };
  error?: string;
  result?: unknown;
  replayOf?: { runId: string; step: number };
  history: StepView[];
}

/**
 * Workflow runs from the producer side: start (by name, checked against what live agent workers
 * serve), inspect, list, signal, cancel, replay, follow and wait. Runs execute on agent workers; this
 * only reads and writes their records and adds jobs to the agent queue.
 */
export class WorkflowsClient {
  private readonly store: RunStore;
  private readonly queue: AgentQueue;
  private readonly readers = new Set<Redis>();

  constructor(
    private readonly settings: Settings,
    private readonly redis: Redis,
    private readonly keys: Keys,
    /** Cancels one generation request (the client's `cancel`). */
    private readonly cancelRequest: (requestId: string) => Promise<boolean>,
  ) {
    this.store = new RunStore(redis, keys, { recordTtlMs: settings.agents.recordTtlMs });
    this.queue = new AgentQueue(redis, keys);
  }

  /** Every name@version live agent workers serve. */
  async served(): Promise<ServedWorkflow[]> {
    return servedWorkflows(await readCatalogs(this.redis, this.keys));
  }

  /** Every tool live agent workers list, with its JSON Schema. */
  async tools() {
    return servedTools(await readCatalogs(this.redis, this.keys));
  }

  /** Starts a run of a workflow some live agent worker serves; an unknown name or version is a ValidationError naming it. */
  async start(name: string, input: unknown, options: StartWorkflowOptions = {}): Promise<StartedRun> {
    const served = await this.served();
    const named = served.filter((entry) => entry.name === name);
    const known = served.map((entry) => `${entry.name}@${entry.version}`).join(', ');
    const servedLine = served.length
      ? `served: ${known}`
      : 'no agent worker is running (start one with `atlas worker --agent`)';
    const workflow = options.version
      ? named.find((entry) => entry.version === options.version)
      : named.at(-1);
    if (!workflow) {
      const what = options.version ? `${name}@${options.version}` : `'${name}'`;
      throw new ValidationError('workflow', `unknown workflow ${what}; ${servedLine}`);
    }
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      throw new ValidationError('input', 'expected a JSON object');
    }
    for (const field of workflow.required) {
      if ((input as Record<string, unknown>)[field] === undefined) {
        throw new ValidationError(`input.${field}`, `required by ${workflow.name}@${workflow.version}`);
      }
    }
    const deadlineMs = options.deadlineMs ?? this.settings.agents.defaultDeadlineMs;
    if (!(deadlineMs > 0)) throw new ValidationError('deadlineMs', 'expected a positive number of ms');
    const id = randomUUID();
    const deadlineAt = Date.now() + deadlineMs;
    await this.store.create({
      id,
      workflow: workflow.name,
      workflowVersion: workflow.version,
      input,
      state: input,
      start: workflow.start,
      deadlineAt,
      ...(options.budgets ? { budgets: options.budgets } : {}),
      initialize: true,
    });
    await this.enqueueFirst(id, workflow.start, deadlineAt);
    const started: StartedRun = { id, workflow: workflow.name, version: workflow.version };
    if (options.detach === false) started.run = await this.wait(id);
    return started;
  }

  /** The run with its step history, or undefined when unknown or expired. */
  async get(runId: string): Promise<RunView | undefined> {
    const record = await this.store.get(runId);
    if (!record) return undefined;
    const history = await this.store.history(runId);
    return view(record, history);
  }

  /** Runs newest first (without their history). */
  async list(options: { status?: RunStatus; limit?: number } = {}): Promise<Array<Omit<RunView, 'history'>>> {
    const limit = options.limit ?? 50;
    const runs = await this.store.list({ limit: options.status ? Math.max(limit * 10, 200) : limit });
    return runs
      .filter((run) => !options.status || run.status === options.status)
      .slice(0, limit)
      .map((run) => {
        const { history: _history, ...rest } = view(run, []);
        return rest;
      });
  }

  /** Hands human input to a run waiting at a human node, and resumes it. */
  async signal(runId: string, data: unknown): Promise<void> {
    const signalled = await this.store.signal(runId, data);
    if (signalled.outcome === 'missing') throw unknownRun(runId);
    if (signalled.outcome === 'not-waiting') {
      throw new ValidationError('run', `run ${runId} is not waiting for input (it is ${signalled.status})`);
    }
    const job = stepJob(runId, signalled.version, signalled.node);
    await this.queue.addStep(job.jobId, job.data);
  }

  /**
   * Cancels a run and the generation requests it has in flight (their workers abort the provider
   * calls). False when the run had already ended.
   */
  async cancel(runId: string): Promise<boolean> {
    const requestKeys = await this.store.cancel(runId, 'cancelled by the caller');
    if (requestKeys === undefined) {
      if (!(await this.store.get(runId))) throw unknownRun(runId);
      return false;
    }
    for (const key of requestKeys) {
      const requestId = await this.redis.get(this.keys.idempotency(key));
      if (requestId) await this.cancelRequest(requestId);
    }
    if (requestKeys.length) await this.redis.unlink(...requestKeys.map((key) => this.keys.idempotency(key)));
    await this.queue.unwatchDeadline(runId);
    return true;
  }

  /**
   * Starts a new run from the checkpoint a step of `runId` started from (`fromStep`: its index in the
   * history), with the same workflow version, input, budgets and deadline span. The original run is
   * left as it is. An agent node replayed from a later LLM turn starts its conversation over.
   */
  async replay(runId: string, options: { fromStep: number }): Promise<StartedRun> {
    const record = await this.store.get(runId);
    if (!record) throw unknownRun(runId);
    const history = await this.store.history(runId);
    const entry = history[options.fromStep];
    if (!Number.isInteger(options.fromStep) || !entry) {
      throw new ValidationError(
        'fromStep',
        history.length
          ? `expected a step of run ${runId}, 0 to ${history.length - 1}`
          : `run ${runId} has no steps yet`,
      );
    }
    if (entry.version === undefined) {
      throw new ValidationError('fromStep', `step ${options.fromStep} has no checkpoint to replay from`);
    }
    const at = entry.version;
    const before = history.findLast((step) => step.version === at - 1 && step.state !== undefined);
    if (at > 0 && !before) {
      throw new ValidationError('fromStep', `the state before step ${options.fromStep} was not recorded`);
    }
    const id = randomUUID();
    const deadlineAt = Date.now() + Math.max(1, record.deadlineAt - record.createdAt);
    await this.store.create({
      id,
      workflow: record.workflow,
      workflowVersion: record.workflowVersion,
      input: record.input,
      state: at === 0 ? record.input : before!.state,
      start: entry.node,
      deadlineAt,
      budgets: record.budgets,
      replayOf: { runId, step: options.fromStep },
      ...(at === 0 ? { initialize: true } : {}),
    });
    await this.enqueueFirst(id, entry.node, deadlineAt);
    return { id, workflow: record.workflow, version: record.workflowVersion };
  }

  /**
   * The run's events (run-started, step-start, text-delta, tool-call, step-finish, signal,
   * run-finished) after `after` (exclusive; default from the start), as they happen, until it ends.
   */
  async *follow(
    runId: string,
    options: { after?: string; signal?: AbortSignal } = {},
  ): AsyncGenerator<StoredRunEvent> {
    const reader = createRedis(this.settings.redis, { role: 'blocking', name: 'atlas-run-events' });
    this.readers.add(reader);
    let last = options.after ?? '0';
    try {
      while (!options.signal?.aborted) {
        const events = await this.store.events(runId, last);
        for (const event of events) {
          last = event.id;
          yield event;
          if (event.type === 'run-finished') return;
        }
        if (events.length === 0) {
          const record = await this.store.get(runId);
          if (!record) throw unknownRun(runId);
          if (isFinished(record.status)) return;
          await reader.xread('COUNT', 1, 'BLOCK', 1_000, 'STREAMS', this.keys.runEvents(runId), last);
        }
      }
    } finally {
      this.readers.delete(reader);
      reader.disconnect();
    }
  }

  /** Resolves to the run once it has ended (completed, failed or cancelled). */
  async wait(runId: string, options: { timeoutMs?: number } = {}): Promise<RunView> {
    const timeout = options.timeoutMs === undefined ? undefined : AbortSignal.timeout(options.timeoutMs);
    for await (const _event of this.follow(runId, { ...(timeout ? { signal: timeout } : {}) })) {
      // Read to the end.
    }
    const run = await this.get(runId);
    if (!run) throw unknownRun(runId);
    if (isFinished(run.status)) return run;
    throw new AtlasError('timeout', `run ${runId} did not end within ${options.timeoutMs} ms`);
  }

  async close(): Promise<void> {
    for (const reader of this.readers) reader.disconnect();
    await this.queue.close();
  }

  private async enqueueFirst(runId: string, node: string, deadlineAt: number): Promise<void> {
    const first = stepJob(runId, 0, node);
    await this.queue.addStep(first.jobId, first.data);
    await this.queue.watchDeadline(runId, node, deadlineAt);
  }
}

function unknownRun(runId: string): ValidationError {
  return new ValidationError('runId', `no run '${runId}' (unknown, or expired)`);
}

function view(record: RunRecord, history: HistoryEntry[]): RunView {
  return {
    id: record.id,
    workflow: record.workflow,
    version: record.workflowVersion,
    status: record.status,
    state: record.state,
    node: record.node,
    checkpoint: record.checkpoint,
    input: record.input,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    deadlineAt: record.deadlineAt,
    ...(record.finishedAt ? { finishedAt: record.finishedAt } : {}),
    budgets: record.budgets,
    usage: record.usage,
    ...(record.error ? { error: record.error } : {}),
    ...(record.result !== undefined ? { result: record.result } : {}),
    ...(record.replayOf ? { replayOf: record.replayOf } : {}),
    history: history.map(({ state: _state, ...step }) => step),
  };
}
