import type * as z from 'zod';
import type { CommitStep, HistoryEntry, RunEvent, RunRecord } from '../../shared/agents/run-records.js';
import { type QueuedStep, stepJob } from '../../shared/agents/start-run.js';
import { END, nextNode } from '../../shared/agents/workflow.js';
import type { GenerationResult } from '../../shared/jobs.js';
import { zodIssueError } from '../../shared/parse-with.js';
import {
  message,
  outcome,
  type Step,
  type StepContext,
  type StepOutcome,
  type StepStatus,
} from './step-outcome.js';

/** Committing a step's checkpoint (version-checked), failing a run, and what each outcome enqueues next. */

/**
 * The job's step was applied already (or overtaken). When it was this very step (the run is one
 * checkpoint ahead), a crash may have come between its commit and its enqueue: enqueue the next step
 * again (its id is deterministic, so this adds nothing when it is there).
 */
export function stale(step: Step): StepOutcome {
  const { record, job } = step;
  if (record.status === 'running' && job.version === record.checkpoint - 1) {
    return outcome('stale', { enqueue: [stepJob(record.id, record.checkpoint, record.node)] });
  }
  return outcome('stale');
}

/** Ends the run as failed, if it is still at the checkpoint the step read. */
export async function failRun(
  context: StepContext,
  record: RunRecord,
  reason: string,
  expectedVersion = record.checkpoint,
  status: StepStatus = 'failed',
): Promise<StepOutcome> {
  const ended = await context.store.fail(record.id, reason, expectedVersion);
  return outcome(ended ? status : 'stale', { detail: reason, enqueue: ended ? parentNotice(record) : [] });
}

/** Ends the step's run as failed, if it is still at the checkpoint the step read. */
export function failStep(step: Step, reason: string): Promise<StepOutcome> {
  return failRun(step.context, step.record, reason);
}

/** When a sub-run ends, the job that hands its result to the parent's map branch. */
export function parentNotice(record: RunRecord): QueuedStep[] {
  const parent = record.parent;
  if (!parent) return [];
  return [
    {
      jobId: `${parent.runId}.${parent.version}.b${parent.branch}.done`,
      data: {
        runId: parent.runId,
        version: parent.version,
        node: parent.node,
        branch: parent.branch,
        childRunId: record.id,
      },
    },
  ];
}

function changedFields(before: unknown, after: unknown): string[] {
  const a = (before ?? {}) as Record<string, unknown>;
  const b = (after ?? {}) as Record<string, unknown>;
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter(
    (key) => JSON.stringify(a[key]) !== JSON.stringify(b[key]),
  );
}

export interface Advance {
  kind: HistoryEntry['kind'];
  startedAt: number;
  result?: GenerationResult;
  turn?: number;
  toolCalls?: string[];
  events?: RunEvent[];
  consumedSignal?: boolean;
  note?: string;
}

/** Merges a node's patch into the state, picks the next node and commits; the next step is enqueued. */
export async function advance(
  step: Step,
  patchOf: () => unknown | Promise<unknown>,
  details: Advance,
): Promise<StepOutcome> {
  const { record, workflow } = step;
  let newState: unknown;
  let next: string;
  try {
    const patch = await patchOf();
    const merged = { ...(record.state as Record<string, unknown>), ...(patch as Record<string, unknown>) };
    const parsed = (workflow.state as z.ZodType).safeParse(merged);
    if (!parsed.success) throw zodIssueError(parsed.error, 'state');
    newState = parsed.data;
    next = nextNode(workflow, record.node, newState);
  } catch (error) {
    return commitOrStale(step, {
      newState: record.state,
      nextNode: record.node,
      failure: `node '${record.node}': ${message(error)}`,
      ...history(step, details, []),
    });
  }
  const patchKeys = changedFields(record.state, newState);
  return commitOrStale(step, {
    newState,
    nextNode: next === END ? undefined : next,
    ...(next === END ? { result: newState } : {}),
    ...(details.consumedSignal ? { consumedSignal: true } : {}),
    ...history(step, details, patchKeys),
  });
}

export function history(
  step: Step,
  details: Advance,
  patch: string[],
): Pick<CommitStep, 'historyEntry' | 'usage' | 'events'> {
  const { record, now } = step;
  const usage = details.result
    ? {
        inputTokens: details.result.usage.inputTokens,
        outputTokens: details.result.usage.outputTokens,
        costUsd: details.result.costUsd,
      }
    : { inputTokens: 0, outputTokens: 0, costUsd: 0 };
  const ms = details.result ? details.result.latencyMs + (now - details.startedAt) : now - details.startedAt;
  return {
    usage,
    historyEntry: {
      node: record.node,
      kind: details.kind,
      ...(details.turn !== undefined ? { turn: details.turn } : {}),
      ...(details.result ? { provider: details.result.provider, model: details.result.model } : {}),
      ...usage,
      ms,
      startedAt: details.startedAt,
      patch,
      ...(details.toolCalls ? { toolCalls: details.toolCalls } : {}),
      ...(details.note ? { note: details.note } : {}),
    },
    events: [
      ...(details.events ?? []),
      { type: 'step-finish', node: record.node, data: { kind: details.kind, patch, ms, ...usage } },
    ],
  };
}

export async function commitOrStale(
  step: Step,
  commit: Omit<CommitStep, 'runId' | 'expectedVersion'>,
): Promise<StepOutcome> {
  const { record, context } = step;
  const committed = await context.store.commitStep({
    runId: record.id,
    expectedVersion: record.checkpoint,
    ...commit,
    // Each entry keeps the checkpoint it ran at and the state it left, so a run can be replayed from it.
    ...(commit.historyEntry
      ? { historyEntry: { ...commit.historyEntry, version: record.checkpoint, state: commit.newState } }
      : {}),
  });
  switch (committed.outcome) {
    case 'ok':
      if (committed.status === 'running' && commit.nextNode !== undefined) {
        return outcome('committed', { enqueue: [stepJob(record.id, committed.version, commit.nextNode)] });
      }
      if (committed.status === 'waiting') return outcome('waiting');
      return outcome(committed.status === 'completed' ? 'committed' : 'failed', {
        ...(committed.reason ? { detail: committed.reason } : {}),
        enqueue: parentNotice(record),
      });
    case 'stale':
      return outcome('stale');
    case 'over':
      return outcome('over', { detail: committed.status });
    case 'missing':
      return outcome('missing');
  }
}
