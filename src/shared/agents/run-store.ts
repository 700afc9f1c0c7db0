import type { Keys } from '../keys.js';
import type { Redis } from '../redis.js';
import { runScript } from '../run-script.js';
import {
  type BranchOutcome,
  type BranchState,
  type CommitBranch,
  type CommitOutcome,
  type CommitStep,
  type CreateRun,
  encodeEvents,
  type HistoryEntry,
  parseEvent,
  parseRun,
  type RunEvent,
  type RunLeftovers,
  type RunRecord,
  type RunStatus,
  type RunStoreOptions,
  type StoredRunEvent,
} from './run-records.js';
import {
  commitBranchScript,
  commitStepScript,
  createRunScript,
  emitScript,
  endRunScript,
  noteChildScript,
  noteRequestScript,
  signalScript,
} from './run-scripts.js';

/** Workflow runs in Redis: a record hash, a history list, an event stream, changed only by the scripts. */
export class RunStore {
  private readonly ttl: number;
  private readonly maxEvents: number;
  private readonly now: () => number;

  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    options: RunStoreOptions,
  ) {
    if (!(options.recordTtlMs > 0)) throw new RangeError('recordTtlMs: expected a positive number of ms');
    this.ttl = Math.round(options.recordTtlMs);
    this.maxEvents = options.maxEvents ?? 2_000;
    this.now = options.clock ?? Date.now;
  }

  /** Creates a run at its start node, checkpoint 0. False when it exists already (a retried start). */
  async create(run: CreateRun): Promise<boolean> {
    const now = this.now();
    const fields: Record<string, string> = {
      id: run.id,
      workflow: run.workflow,
      workflowVersion: run.workflowVersion,
      status: 'running',
      state: JSON.stringify(run.state),
      node: run.start,
      checkpoint: '0',
      input: JSON.stringify(run.input ?? null),
      createdAt: String(now),
      updatedAt: String(now),
      deadlineAt: String(run.deadlineAt),
      maxTokens: String(run.budgets?.maxTokens ?? 0),
      maxCostUsd: String(run.budgets?.maxCostUsd ?? 0),
      tokens: '0',
      costUsd: '0',
      ...(run.parent ? { parent: JSON.stringify(run.parent) } : {}),
      ...(run.initialize ? { init: '1' } : {}),
      ...(run.replayOf ? { replayOf: JSON.stringify(run.replayOf) } : {}),
    };
    const created = await this.run(createRunScript, run.id, [
      JSON.stringify(fields),
      now,
      JSON.stringify({ workflow: run.workflow, version: run.workflowVersion }),
    ]);
    return created === 1;
  }

  async get(runId: string): Promise<RunRecord | undefined> {
    return parseRun(await this.redis.hgetall(this.keys.run(runId)));
  }

  async history(runId: string): Promise<HistoryEntry[]> {
    return (await this.redis.lrange(this.keys.runHistory(runId), 0, -1)).map((entry) => JSON.parse(entry));
  }

  /** Events after `afterId` (exclusive); '0' reads from the start. */
  async events(runId: string, afterId = '0', count = 1_000): Promise<StoredRunEvent[]> {
    const entries = await this.redis.xrange(this.keys.runEvents(runId), `(${afterId}`, '+', 'COUNT', count);
    return entries.map(([id, fields]) => parseEvent(id, fields));
  }

  /** Runs newest first. Ids whose records have expired are dropped from the index. */
  async list(options: { limit?: number; offset?: number } = {}): Promise<RunRecord[]> {
    const offset = options.offset ?? 0;
    const ids = await this.redis.zrevrange(this.keys.runs, offset, offset + (options.limit ?? 50) - 1);
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hgetall(this.keys.run(id));
    const replies = (await pipeline.exec()) ?? [];
    const runs: RunRecord[] = [];
    const gone: string[] = [];
    replies.forEach(([, fields], index) => {
      const record = parseRun((fields ?? {}) as Record<string, string>);
      if (record) runs.push(record);
      else gone.push(ids[index]!);
    });
    if (gone.length) await this.redis.zrem(this.keys.runs, ...gone);
    return runs;
  }

  async commitStep(step: CommitStep): Promise<CommitOutcome> {
    const reply = (await this.run(commitStepScript, step.runId, [
      step.expectedVersion,
      step.nextNode ?? '',
      step.status ?? 'running',
      JSON.stringify(step.newState),
      step.conversation ? JSON.stringify(step.conversation) : '',
      step.historyEntry ? JSON.stringify(step.historyEntry) : '',
      Math.round((step.usage?.inputTokens ?? 0) + (step.usage?.outputTokens ?? 0)),
      step.usage?.costUsd ?? 0,
      encodeEvents(step.events),
      step.result === undefined ? '' : JSON.stringify(step.result),
      step.failure ?? '',
      step.consumedSignal ? '1' : '0',
    ])) as [string, ...Array<string | number>];
    switch (reply[0]) {
      case 'ok':
        return {
          outcome: 'ok',
          version: Number(reply[1]),
          status: reply[2] as RunStatus,
          ...(reply[3] ? { reason: String(reply[3]) } : {}),
        };
      case 'stale':
        return { outcome: 'stale', version: Number(reply[1]) };
      case 'over':
        return { outcome: 'over', status: reply[1] as RunStatus };
      default:
        return { outcome: 'missing' };
    }
  }

  async commitBranch(step: CommitBranch): Promise<BranchOutcome> {
    const reply = (await this.run(commitBranchScript, step.runId, [
      step.version,
      step.branch,
      step.expectedTurn,
      JSON.stringify(step.state),
      step.state.done ? '1' : '0',
      step.historyEntry ? JSON.stringify(step.historyEntry) : '',
      Math.round((step.usage?.inputTokens ?? 0) + (step.usage?.outputTokens ?? 0)),
      step.usage?.costUsd ?? 0,
      encodeEvents(step.events),
    ])) as [string, ...Array<string | number>];
    switch (reply[0]) {
      case 'ok':
        return {
          outcome: 'ok',
          done: Number(reply[1]),
          status: reply[2] as RunStatus,
          ...(reply[3] ? { reason: String(reply[3]) } : {}),
        };
      case 'stale-branch':
        return { outcome: 'stale-branch', turns: Number(reply[1]), done: Number(reply[2]) };
      case 'stale':
        return { outcome: 'stale', version: Number(reply[1]) };
      case 'over':
        return { outcome: 'over', status: reply[1] as RunStatus };
      default:
        return { outcome: 'missing' };
    }
  }

  /** The branches of the run's current map step: each one's applied turns and state. */
  async branches(
    runId: string,
  ): Promise<{ done: number; branches: Map<number, { turns: number; state?: BranchState }> }> {
    const fields = await this.redis.hgetall(this.keys.runBranches(runId));
    const branches = new Map<number, { turns: number; state?: BranchState }>();
    for (const [field, value] of Object.entries(fields)) {
      const match = /^([bt]):(\d+)$/.exec(field);
      if (!match) continue;
      const index = Number(match[2]);
      const entry = branches.get(index) ?? { turns: 0 };
      if (match[1] === 't') entry.turns = Number(value);
      else entry.state = JSON.parse(value);
      branches.set(index, entry);
    }
    return { done: Number(fields['done'] ?? 0), branches };
  }

  /** Ends a run as failed; with `expectedVersion`, only if it is still at that checkpoint. */
  async fail(runId: string, reason: string, expectedVersion?: number): Promise<boolean> {
    const [ended] = (await this.run(endRunScript, runId, [expectedVersion ?? '', 'failed', reason])) as [
      number,
    ];
    return ended === 1;
  }

  /**
   * Cancels a run that is not over. Returns what it left in flight (the idempotency keys of the
   * generation requests it issued, and its sub-runs), so they can be cancelled too; undefined when it
   * was over already.
   */
  async cancel(runId: string, reason = 'cancelled'): Promise<RunLeftovers | undefined> {
    const [ended, requests = [], children = []] = (await this.run(endRunScript, runId, [
      '',
      'cancelled',
      reason,
    ])) as [number, string[]?, string[]?];
    return ended === 1 ? { requests, children } : undefined;
  }

  /** What an ended run may have left in flight: its generation requests' idempotency keys and its sub-runs. */
  async leftovers(runId: string): Promise<RunLeftovers> {
    const [requests, children] = await Promise.all([
      this.redis.smembers(this.keys.runRequests(runId)),
      this.redis.smembers(this.keys.runChildren(runId)),
    ]);
    return { requests, children };
  }

  /**
   * Hands human input to a run waiting at a human node. The caller then enqueues the step job
   * `{runId, version, node}` returned here.
   */
  async signal(
    runId: string,
    data: unknown,
  ): Promise<
    | { outcome: 'ok'; version: number; node: string }
    | { outcome: 'not-waiting'; status: RunStatus }
    | { outcome: 'missing' }
  > {
    const reply = (await this.run(signalScript, runId, [JSON.stringify(data ?? null)])) as [
      string,
      ...Array<string | number>,
    ];
    if (reply[0] === 'ok') return { outcome: 'ok', version: Number(reply[1]), node: String(reply[2]) };
    if (reply[0] === 'not-waiting') return { outcome: 'not-waiting', status: reply[1] as RunStatus };
    return { outcome: 'missing' };
  }

  /** Appends progress events outside a commit (a step starting); nothing when the run is over. */
  async emit(runId: string, events: RunEvent[]): Promise<void> {
    if (events.length) await this.run(emitScript, runId, [encodeEvents(events)]);
  }

  /** Remembers the idempotency key of a generation request the run issued. */
  async noteRequest(runId: string, idempotencyKey: string): Promise<void> {
    await this.run(noteRequestScript, runId, [idempotencyKey]);
  }

  /** Remembers a sub-run of the run (before it is created), so cancelling the run reaches it. */
  async noteChild(runId: string, childRunId: string): Promise<void> {
    await this.run(noteChildScript, runId, [childRunId]);
  }

  private run(script: string, runId: string, args: Array<string | number>): Promise<unknown> {
    return runScript(
      this.redis,
      script,
      [
        this.keys.run(runId),
        this.keys.runHistory(runId),
        this.keys.runEvents(runId),
        this.keys.runBranches(runId),
        this.keys.runRequests(runId),
        this.keys.runs,
        this.keys.runExpiries,
        this.keys.runChildren(runId),
      ],
      [this.now(), this.ttl, this.maxEvents, runId, ...args],
    );
  }
}
