import type { Conversation } from './agent.js';

/** A workflow run as stored: its record, history entries, events and the inputs of the scripts that change it. */

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

/** What an ended run may have left in flight. */
export interface RunLeftovers {
  /** Idempotency keys of the generation requests it issued. */
  requests: string[];
  /** Ids of its sub-runs. */
  children: string[];
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

export function encodeEvents(events: readonly RunEvent[] | undefined): string {
  return JSON.stringify(
    (events ?? []).map((event) => [event.type, event.node, JSON.stringify(event.data ?? null)]),
  );
}

export function parseEvent(id: string, fields: string[]): StoredRunEvent {
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

export function parseRun(fields: Record<string, string>): RunRecord | undefined {
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
