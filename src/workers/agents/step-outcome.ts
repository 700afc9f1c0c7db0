import type { RunRecord } from '../../shared/agents/run-records.js';
import type { RunStore } from '../../shared/agents/run-store.js';
import type { AgentStepJob, QueuedStep } from '../../shared/agents/start-run.js';
import type { ToolRegistry } from '../../shared/agents/tools.js';
import type { AnyWorkflow, WorkflowRegistry } from '../../shared/agents/workflow.js';
import type { GenerationRequest } from '../../shared/jobs.js';
import type { ProviderRegistry } from '../../shared/providers/registry.js';

/** What a step runs with, and what it says happened. */

export interface StepContext {
  store: RunStore;
  workflows: WorkflowRegistry;
  /** The worker's tools: those an agent names with `workerTool` are taken from here. */
  tools?: ToolRegistry;
  /** For agents with `taskAware`: pick instance and model per step from the catalogue. */
  providerRegistry?: ProviderRegistry;
  /** The instances task-aware agents that name none choose among, in order. @default every configured instance */
  providerOrder?: readonly string[];
  /** @default Date.now */
  clock?: () => number;
  /** Aborted when the worker shuts down; tools and function nodes receive it. */
  signal?: AbortSignal;
  /**
   * A run of a workflow version this worker lacks: 'fail' ends it naming `name@version`; 'wait'
   * leaves it untouched for a worker that has the version. @default 'wait'
   */
  unknownVersion?: 'fail' | 'wait';
  /** Queue continuations return to. @default 'agent' */
  agentQueue?: string;
  /** Checkpoints a run may commit before it is stopped as runaway. @default no limit */
  maxStepsPerRun?: number;
}

/** How the processor's results leave the process: the worker host binds these to BullMQ and the client. */
export interface StepDispatch {
  submitGeneration(request: GenerationRequest): Promise<unknown>;
  enqueueStep(jobId: string, data: AgentStepJob): Promise<unknown>;
}

export type StepStatus =
  | 'committed'
  | 'issued'
  | 'waiting'
  | 'stale'
  | 'over'
  | 'missing'
  | 'refused'
  | 'failed';

export interface StepOutcome {
  status: StepStatus;
  detail?: string;
  /** Agent-step jobs to enqueue on the agent queue, with their deterministic ids. */
  enqueue: QueuedStep[];
  /** Generation requests to submit, each with a continuation to the agent queue and an idempotency key. */
  generations: GenerationRequest[];
}

export const outcome = (status: StepStatus, extra: Partial<StepOutcome> = {}): StepOutcome => ({
  status,
  enqueue: [],
  generations: [],
  ...extra,
});

/** One step being done: the job, the run as loaded, its workflow, and the time it began. */
export interface Step {
  context: StepContext;
  job: AgentStepJob;
  record: RunRecord;
  workflow: AnyWorkflow;
  now: number;
}

export const message = (error: unknown) => (error instanceof Error ? error.message : String(error));
