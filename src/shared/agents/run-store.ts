import type { Keys } from '../keys.js';
import type { Redis } from '../redis.js';
import { runScript } from '../run-script.js';
import type { Conversation } from './agent.js';
import {
  commitBranchScript,
  commitStepScript,
  createRunScript,
  emitScript,
  endRunScript,
  noteRequestScript,
  signalScript,
} from './run-scripts.js';

export type RunStatus = 'running' | 'waiting' | 'completed' | 'failed' | 'cancelled';

export function isFinished(status: RunStatus): boolean {
  return status === 'completed' || status === 'failed' || status === 'cancelled';
}

export interface RunBudgets {
  maxTokens?: number;
  maxCostUsd?: number;
}

/** The map branch a sub-run reports back to when it ends. */
export interface ParentLink {
  runId: string;
  version: number;
  node: string;
  branch: number;
}

export interface RunRecord {
  id: string;
  workflow: string;
  workflowVersion: string;
  status: RunStatus;
  state: unknown;
  /** The node the run is at ('' once completed). */
  node: string;
  /** Checkpoint version: bumped by every committed step. */
  checkpoint: number;
  input: unknown;
  createdAt: number;
  updatedAt: number;
  deadlineAt: number;
  budgets: RunBudgets;
  usage: { tokens: number; costUsd: number };
  finishedAt?: number;
  error?: string;
  result?: unknown;
  /** An agent node's conversation between its LLM calls. */
  conversation?: Conversation;
  /** Human input handed to a waiting run, not yet consumed. */
  signal?: unknown;
  parent?: ParentLink;
  /**
   * The input has not been checked against the workflow's state schema yet (a run started by a client,
   * which does not have the definition): the first step parses it, and its first commit stores the result.
   */
  initialize?: boolean;
  /** The run this one replays, and the step (history index) it starts from. */
  replayOf?: { runId: string; step: number };
}

export interface HistoryEntry {
  index: number;
  node: string;
  kind: 'agent' | 'function' | 'map' | 'human' | 'branch';
  /** For a map branch's steps. */
  branch?: number;
  /** LLM call number within an agent node or branch. */
  turn?: number;
  provider?: string;
  model?: string;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  ms: number;
  startedAt: number;
  /** Names of the state fields the step changed. */
  patch: string[];
  toolCalls?: string[];
  note?: string;
  /** The checkpoint the step ran at. */
  version?: number;
  /** The state after the step (steps that commit a checkpoint): what a replay starts from. */
  state?: unknown;
}

export const runEventTypes = [
  'run-started',
  'step-start',
  'text-delta',
  'tool-call',
  'step-finish',
  'signal',
  'run-finished',
] as const;
export type RunEventType = (typeof runEventTypes)[number];

export interface RunEvent {
  type: RunEventType;
  node: string;
  data: unknown;
}

export interface StoredRunEvent extends RunEvent {
  /** Stream entry id: read on from here. */
  id: string;
  at: number;
}

export interface StepUsage {
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

export interface CommitStep {
  runId: string;
  expectedVersion: number;
  /** The node the run goes to, or undefined when it is complete. */
  nextNode: string | undefined;
  /** The whole state after the step (the version check guarantees it was computed from the checkpoint). */
  newState: unknown;
  /** @default 'running' */
  status?: 'running' | 'waiting';
  conversation?: Conversation;
  historyEntry?: Omit<HistoryEntry, 'index'>;
  usage?: StepUsage;
  events?: RunEvent[];
  /** The run's result when it completes. */
  result?: unknown;
  /** The step ends the run as failed, with this reason. */
  failure?: string;
  consumedSignal?: boolean;
}

export type CommitOutcome =
  | { outcome: 'ok'; version: number; status: RunStatus; reason?: string }
  | { outcome: 'stale'; version: number }
  | { outcome: 'over'; status: RunStatus }
  | { outcome: 'missing' };

export interface CommitBranch {
  runId: string;
  version: number;
  branch: number;
  /** Turns the branch had applied when this one was computed. */
  expectedTurn: number;
  state: BranchState;
  historyEntry?: Omit<HistoryEntry, 'index'>;
  usage?: StepUsage;
  events?: RunEvent[];
}

export type BranchOutcome =
  | { outcome: 'ok'; done: number; status: RunStatus; reason?: string }
  | { outcome: 'stale-branch'; turns: number; done: number }
  | { outcome: 'stale'; version: number }
  | { outcome: 'over'; status: RunStatus }
  | { outcome: 'missing' };

/** One fan-out branch of a map step: its conversation while it works, its result once done. */
export interface BranchState {
  conversation?: Conversation;
  done: boolean;
  result?: unknown;
  error?: string;
}

export interface RunStoreOptions {
  /** How long a finished run's keys are kept (and an unfinished run's after its deadline). */
  recordTtlMs: number;
  /** @default 2000 */
  maxEvents?: number;
  clock?: () => number;
}

export interface CreateRun {
  id: string;
  workflow: string;
  workflowVersion: string;
  input: unknown;
  state: unknown;
  start: string;
  deadlineAt: number;
  budgets?: RunBudgets;
  parent?: ParentLink;
  /** Check the input against the state schema at the first step. */
  initialize?: boolean;
  replayOf?: { runId: string; step: number };
}

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
   * Cancels a run that is not over. Returns the idempotency keys of the generation requests it issued
   * (so their requests can be cancelled too), or undefined when it was not running.
   */
  async cancel(runId: string, reason = 'cancelled'): Promise<string[] | undefined> {
    const [ended, requestKeys = []] = (await this.run(endRunScript, runId, ['', 'cancelled', reason])) as [
      number,
      string[]?,
    ];
    return ended === 1 ? requestKeys : undefined;
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
      ],
      [this.now(), this.ttl, this.maxEvents, runId, ...args],
    );
  }
}

function encodeEvents(events: readonly RunEvent[] | undefined): string {
  return JSON.stringify(
    (events ?? []).map((event) => [event.type, event.node, JSON.stringify(event.data ?? null)]),
  );
}

function parseEvent(id: string, fields: string[]): StoredRunEvent {
  const map: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) map[fields[i]!] = fields[i + 1]!;
  return {
    id,
    type: map['type'] as RunEventType,
    node: map['node'] ?? '',
    at: Number(map['at']),
    data: JSON.parse(map['data'] ?? 'null'),
  };
}

function parseRun(fields: Record<string, string>): RunRecord | undefined {
  if (!fields['id']) return undefined;
  const json = (name: string) => (fields[name] ? JSON.parse(fields[name]) : undefined);
  const maxTokens = Number(fields['maxTokens'] ?? 0);
  const maxCostUsd = Number(fields['maxCostUsd'] ?? 0);
  return {
    id: fields['id'],
    workflow: fields['workflow'] ?? '',
    workflowVersion: fields['workflowVersion'] ?? '',
    status: fields['status'] as RunStatus,
    state: json('state'),
    node: fields['node'] ?? '',
    checkpoint: Number(fields['checkpoint'] ?? 0),
    input: json('input'),
    createdAt: Number(fields['createdAt']),
    updatedAt: Number(fields['updatedAt'] ?? fields['createdAt']),
    deadlineAt: Number(fields['deadlineAt']),
    budgets: { ...(maxTokens > 0 ? { maxTokens } : {}), ...(maxCostUsd > 0 ? { maxCostUsd } : {}) },
    usage: { tokens: Number(fields['tokens'] ?? 0), costUsd: Number(fields['costUsd'] ?? 0) },
    ...(fields['finishedAt'] ? { finishedAt: Number(fields['finishedAt']) } : {}),
    ...(fields['error'] ? { error: fields['error'] } : {}),
    ...(fields['result'] ? { result: json('result') } : {}),
    ...(fields['conversation'] ? { conversation: json('conversation') } : {}),
    ...(fields['signal'] !== undefined ? { signal: json('signal') } : {}),
    ...(fields['parent'] ? { parent: json('parent') } : {}),
    ...(fields['init'] === '1' ? { initialize: true } : {}),
    ...(fields['replayOf'] ? { replayOf: json('replayOf') } : {}),
  };
}
