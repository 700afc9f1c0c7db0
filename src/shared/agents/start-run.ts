import { randomUUID } from 'node:crypto';
import type * as z from 'zod';
import { ValidationError } from '../errors.js';
import { parseWith } from '../parse-with.js';
import type { ParentLink, RunBudgets } from './run-records.js';
import type { RunStore } from './run-store.js';
import { type AnyWorkflow, type WorkflowRegistry, workflowKey } from './workflow.js';

/** Data of an agent-step job: do the node `node` of run `runId` at checkpoint `version`. */
export interface AgentStepJob {
  runId: string;
  version: number;
  node: string;
  /** A fan-out branch of a map step… */
  branch?: number;
  /** …and the LLM turn of it this job carries the result of. */
  turn?: number;
  /** A sub-run of a map branch has ended: the branch's result is its state. */
  childRunId?: string;
}

export interface QueuedStep {
  jobId: string;
  data: AgentStepJob;
}

/** The job of a run's step at `version`; its id is deterministic, so enqueueing it twice adds it once. */
export function stepJob(runId: string, version: number, node: string): QueuedStep {
  return { jobId: `${runId}.${version}`, data: { runId, version, node } };
}

export interface StartRunOptions {
  /** @default the highest registered version */
  version?: string;
  /** @default a random UUID */
  runId?: string;
  /** @default 24 hours */
  deadlineMs?: number;
  budgets?: RunBudgets;
  parent?: ParentLink;
  now?: number;
}

/** The initial state of a run: the input, checked (and given its defaults) by the workflow's state schema. */
export function initialState(workflow: AnyWorkflow, input: unknown): unknown {
  return parseWith(workflow.state as z.ZodType, input ?? {}, 'input');
}

/**
 * Creates a run of a registered workflow and returns the job of its first step, for the caller to
 * enqueue on the agent queue. A retried start with the same `runId` creates nothing twice.
 */
export async function startRun(
  store: RunStore,
  workflows: WorkflowRegistry,
  name: string,
  input: unknown,
  options: StartRunOptions = {},
): Promise<{ runId: string; created: boolean; job: QueuedStep }> {
  const workflow = options.version ? workflows.get(name, options.version) : workflows.latest(name);
  if (!workflow) {
    const known = workflows.list().map((entry) => workflowKey(entry.name, entry.version));
    throw new ValidationError(
      'workflow',
      `unknown workflow ${options.version ? workflowKey(name, options.version) : name}; known: ${known.join(', ') || 'none'}`,
    );
  }
  const state = initialState(workflow, input);
  const runId = options.runId ?? randomUUID();
  if (/[:\s]/.test(runId)) throw new ValidationError('runId', "expected an id without ':' or spaces");
  const created = await store.create({
    id: runId,
    workflow: workflow.name,
    workflowVersion: workflow.version,
    input,
    state,
    start: workflow.start,
    deadlineAt: (options.now ?? Date.now()) + (options.deadlineMs ?? 24 * 3_600_000),
    ...(options.budgets ? { budgets: options.budgets } : {}),
    ...(options.parent ? { parent: options.parent } : {}),
  });
  return { runId, created, job: stepJob(runId, 0, workflow.start) };
}
