import * as z from 'zod';
import {
  type AgentDefinition,
  agentTurn,
  appendToolResults,
  buildAgentRequest,
  type Conversation,
  findTool,
  latestPrompt,
  type RouteOverride,
  startConversation,
} from '../../shared/agents/agent.js';
import {
  type BranchState,
  type CommitStep,
  type HistoryEntry,
  isFinished,
  type RunEvent,
  type RunRecord,
  type RunStore,
} from '../../shared/agents/run-store.js';
import {
  type AgentStepJob,
  initialState,
  type QueuedStep,
  startRun,
  stepJob,
} from '../../shared/agents/start-run.js';
import { TaskAwareAgent } from '../../shared/agents/task-aware.js';
import { runToolCall, type ToolOutcome } from '../../shared/agents/tools.js';
import {
  type AgentNode,
  type AnyWorkflow,
  END,
  type HumanNode,
  type MapNode,
  type NodeContext,
  nextNode,
  type WorkflowRegistry,
  workflowKey,
} from '../../shared/agents/workflow.js';
import { type GenerationRequest, type GenerationResult, generationResultSchema } from '../../shared/jobs.js';
import { zodIssueError } from '../../shared/parse-with.js';
import type { ProviderRegistry } from '../../shared/providers/registry.js';

/**
 * The agent-step processor: one job does one node of one run, then commits the run's new checkpoint
 * with a version check and says what to enqueue next. An agent node's LLM call is a generation
 * request carrying a continuation back to the agent queue: the step ends without waiting, and the
 * continuation job (with the result) resumes it. Everything outside is injected, so this runs with or
 * without BullMQ.
 *
 * Steps are at-least-once. A step's effect on the state is applied once (the version check); a job
 * that finds its step already applied re-derives what that step should have enqueued, so a crash
 * between the commit and the enqueue loses nothing; generation requests carry deterministic
 * idempotency keys, so issuing one twice submits it once.
 */

export const agentStepJobSchema = z.object({
  runId: z.string().min(1),
  version: z.number().int().min(0),
  node: z.string().min(1),
  branch: z.number().int().min(0).optional(),
  turn: z.number().int().min(0).optional(),
  childRunId: z.string().min(1).optional(),
});

/** A finished generation request's continuation, as the generation worker enqueues it on the agent queue. */
export const agentContinuationSchema = z.object({
  requestId: z.string().min(1),
  result: generationResultSchema.optional(),
  /** Set when the request failed (every hop failed, cancelled, past its deadline). */
  error: z.object({ kind: z.string().optional(), message: z.string() }).optional(),
  payload: agentStepJobSchema,
});

export type AgentContinuation = z.infer<typeof agentContinuationSchema>;

/** What an LLM call came back with. */
export interface LlmReply {
  result?: GenerationResult;
  error?: { kind?: string; message: string };
}

export interface StepContext {
  store: RunStore;
  workflows: WorkflowRegistry;
  /** For agents with `taskAware`: pick instance and model per step from the catalogue. */
  providerRegistry?: ProviderRegistry;
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

const outcome = (status: StepStatus, extra: Partial<StepOutcome> = {}): StepOutcome => ({
  status,
  enqueue: [],
  generations: [],
  ...extra,
});

/** Parses an agent-queue job (a step, or a continuation carrying an LLM result) and runs it. */
export async function runAgentJob(context: StepContext & StepDispatch, data: unknown): Promise<StepOutcome> {
  const continuation = agentContinuationSchema.safeParse(data);
  const result = continuation.success
    ? await processStep(context, continuation.data.payload, {
        ...(continuation.data.result ? { result: continuation.data.result } : {}),
        ...(continuation.data.error ? { error: continuation.data.error } : {}),
        ...(!continuation.data.result && !continuation.data.error
          ? { error: { message: `request ${continuation.data.requestId} ended without a result` } }
          : {}),
      })
    : await processStep(context, agentStepJobSchema.parse(data));
  for (const request of result.generations) {
    const payload = request.continuation?.payload as AgentStepJob | undefined;
    if (payload && request.idempotencyKey)
      await context.store.noteRequest(payload.runId, request.idempotencyKey);
    await context.submitGeneration(request);
  }
  for (const job of result.enqueue) await context.enqueueStep(job.jobId, job.data);
  return result;
}

interface Step {
  context: StepContext;
  job: AgentStepJob;
  record: RunRecord;
  workflow: AnyWorkflow;
  now: number;
}

/** Does one step of a run. `reply` is the LLM result a continuation carries. */
export async function processStep(
  context: StepContext,
  job: AgentStepJob,
  reply?: LlmReply,
): Promise<StepOutcome> {
  const now = (context.clock ?? Date.now)();
  const loaded = await context.store.get(job.runId);
  if (!loaded) return outcome('missing');
  if (isFinished(loaded.status)) return outcome('over', { detail: loaded.status });
  const workflow = context.workflows.get(loaded.workflow, loaded.workflowVersion);
  if (!workflow) {
    const detail = `unknown workflow ${workflowKey(loaded.workflow, loaded.workflowVersion)}`;
    if ((context.unknownVersion ?? 'wait') === 'wait') return outcome('refused', { detail });
    return failRun(context, loaded, detail, loaded.checkpoint, 'refused');
  }
  let record = loaded;
  if (record.initialize) {
    // Started by a client without the definition: the input is checked here; the first commit stores it.
    try {
      record = { ...record, state: initialState(workflow, record.input) };
    } catch (error) {
      return failRun(context, record, message(error));
    }
  }
  const step: Step = { context, job, record, workflow, now };
  if (record.deadlineAt <= now) {
    return failRun(
      step.context,
      step.record,
      `deadline exceeded: ${now - record.deadlineAt} ms past the run deadline`,
    );
  }
  if (context.maxStepsPerRun !== undefined && record.checkpoint >= context.maxStepsPerRun) {
    return failRun(
      context,
      record,
      `step limit exceeded: ${record.checkpoint} steps (agents.maxStepsPerRun)`,
    );
  }
  if (job.childRunId !== undefined) return childEnded(step, job.childRunId);
  if (record.checkpoint !== job.version || record.node !== job.node) return stale(step);
  const node = workflow.nodes[record.node];
  if (!node)
    return failRun(
      step.context,
      step.record,
      `workflow ${workflowKey(workflow.name, workflow.version)} has no node '${record.node}'`,
    );
  if (job.branch !== undefined) {
    if (node.kind !== 'map' || !reply) return outcome('stale');
    return branchTurn(step, node, job.branch, job.turn ?? 0, reply);
  }
  switch (node.kind) {
    case 'function':
      return functionNode(step, node.run);
    case 'agent':
      return reply ? agentReply(step, node, reply) : agentCall(step, node);
    case 'map':
      return mapStart(step, node);
    case 'human':
      return humanNode(step, node);
  }
}

/**
 * The job's step was applied already (or overtaken). When it was this very step (the run is one
 * checkpoint ahead), a crash may have come between its commit and its enqueue: enqueue the next step
 * again (its id is deterministic, so this adds nothing when it is there).
 */
function stale(step: Step): StepOutcome {
  const { record, job } = step;
  if (record.status === 'running' && job.version === record.checkpoint - 1) {
    return outcome('stale', { enqueue: [stepJob(record.id, record.checkpoint, record.node)] });
  }
  return outcome('stale');
}

/** Ends the run as failed, if it is still at the checkpoint the step read. */
async function failRun(
  context: StepContext,
  record: RunRecord,
  reason: string,
  expectedVersion = record.checkpoint,
  status: StepStatus = 'failed',
): Promise<StepOutcome> {
  const ended = await context.store.fail(record.id, reason, expectedVersion);
  return outcome(ended ? status : 'stale', { detail: reason, enqueue: ended ? parentNotice(record) : [] });
}

/** When a sub-run ends, the job that hands its result to the parent's map branch. */
function parentNotice(record: RunRecord): QueuedStep[] {
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

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

interface Advance {
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
async function advance(
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

function history(
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

async function commitOrStale(
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

// ── function nodes ──────────────────────────────────────────────────────────────────────────────────

function functionNode(
  step: Step,
  run: (state: unknown, context: NodeContext) => unknown,
): Promise<StepOutcome> {
  const { record, context, now } = step;
  return advance(
    step,
    () =>
      run(record.state, {
        runId: record.id,
        stepIndex: record.checkpoint,
        idempotencyKey: `${record.id}:${record.checkpoint}:0`,
        signal: context.signal ?? new AbortController().signal,
      }),
    {
      kind: 'function',
      startedAt: now,
      events: [{ type: 'step-start', node: record.node, data: { kind: 'function' } }],
    },
  );
}

// ── human nodes ─────────────────────────────────────────────────────────────────────────────────────

async function humanNode(step: Step, node: HumanNode<unknown>): Promise<StepOutcome> {
  const { record, now } = step;
  if (record.status === 'waiting') return outcome('waiting');
  if (record.signal === undefined) {
    const prompt = typeof node.prompt === 'function' ? node.prompt(record.state) : node.prompt;
    return commitOrStale(step, {
      newState: record.state,
      nextNode: record.node,
      status: 'waiting',
      historyEntry: {
        node: record.node,
        kind: 'human',
        inputTokens: 0,
        outputTokens: 0,
        costUsd: 0,
        ms: 0,
        startedAt: now,
        patch: [],
        note: 'waiting for input',
      },
      events: [{ type: 'step-start', node: record.node, data: { kind: 'human', waiting: true, prompt } }],
    });
  }
  const checked = node.data
    ? node.data.safeParse(record.signal)
    : { success: true as const, data: record.signal };
  if (!checked.success) {
    const reason = zodIssueError(checked.error, 'signal data').message;
    return commitOrStale(step, {
      newState: record.state,
      nextNode: record.node,
      status: 'waiting',
      consumedSignal: true,
      historyEntry: {
        node: record.node,
        kind: 'human',
        inputTokens: 0,
        outputTokens: 0,
        costUsd: 0,
        ms: 0,
        startedAt: now,
        patch: [],
        note: `input refused: ${reason}`,
      },
      events: [{ type: 'step-finish', node: record.node, data: { kind: 'human', refused: reason } }],
    });
  }
  return advance(step, () => node.resume(record.state, checked.data), {
    kind: 'human',
    startedAt: now,
    consumedSignal: true,
  });
}

// ── agent nodes ─────────────────────────────────────────────────────────────────────────────────────

function routeFor(
  context: StepContext,
  agent: AgentDefinition,
  conversation: Conversation,
  override: RouteOverride | undefined,
): RouteOverride {
  const route = { ...override };
  if (agent.taskAware && context.providerRegistry && !route.providers && !route.model) {
    const pick = new TaskAwareAgent(context.providerRegistry, {
      ...(agent.providers ? { instances: agent.providers } : {}),
    }).pick(latestPrompt(conversation), route.taskType ?? agent.taskType);
    return { ...route, providers: pick.providers, model: pick.model, taskType: pick.taskType };
  }
  return route;
}

function generationFor(
  step: Step,
  agent: AgentDefinition,
  conversation: Conversation,
  payload: AgentStepJob,
  idempotencyKey: string,
  override: RouteOverride | undefined,
): GenerationRequest {
  const { context, record, now } = step;
  return buildAgentRequest(agent, conversation, {
    continuation: { queue: context.agentQueue ?? 'agent', payload },
    idempotencyKey,
    route: routeFor(context, agent, conversation, override),
    deadlineMs: Math.max(1, record.deadlineAt - now),
    metadata: {
      runId: record.id,
      node: record.node,
      ...(payload.branch !== undefined ? { branch: payload.branch } : {}),
    },
  });
}

function agentConversation(record: RunRecord, node: AgentNode<unknown>): Conversation {
  return record.conversation ?? startConversation(node.agent, node.input(record.state));
}

/** Issues the agent's next LLM call; the step ends here and the continuation resumes it. */
async function agentCall(step: Step, node: AgentNode<unknown>): Promise<StepOutcome> {
  const { record, context } = step;
  let conversation: Conversation;
  try {
    conversation = agentConversation(record, node);
  } catch (error) {
    return failRun(step.context, step.record, `node '${record.node}': ${message(error)}`);
  }
  const request = generationFor(
    step,
    node.agent,
    conversation,
    { runId: record.id, version: record.checkpoint, node: record.node },
    `${record.id}:${record.checkpoint}`,
    node.route?.(record.state),
  );
  await context.store.emit(record.id, [
    {
      type: 'step-start',
      node: record.node,
      data: { kind: 'agent', agent: node.agent.name, turn: conversation.turns },
    },
  ]);
  return outcome('issued', { generations: [request] });
}

async function runTools(
  step: Step,
  agent: AgentDefinition,
  calls: GenerationResult['toolCalls'],
  stepIndex: string,
): Promise<ToolOutcome[]> {
  const signal = step.context.signal ?? new AbortController().signal;
  return Promise.all(
    calls.map(async (call, callIndex) => {
      const tool = findTool(agent, call);
      if ('error' in tool) return { ok: false as const, error: tool.error };
      return runToolCall(tool, call.arguments, {
        idempotencyKey: `${step.record.id}:${stepIndex}:${callIndex}`,
        signal,
      });
    }),
  );
}

function toolEvents(node: string, calls: GenerationResult['toolCalls'], outcomes: ToolOutcome[]): RunEvent[] {
  return calls.map((call, index) => {
    const result = outcomes[index]!;
    return {
      type: 'tool-call' as const,
      node,
      data: {
        id: call.id,
        name: call.name,
        arguments: call.arguments,
        ok: result.ok,
        ...(result.ok ? {} : { error: result.error }),
      },
    };
  });
}

/** Applies an LLM result to an agent node: run its tool calls and ask again, or take the answer. */
async function agentReply(step: Step, node: AgentNode<unknown>, reply: LlmReply): Promise<StepOutcome> {
  const { record, now } = step;
  if (!reply.result)
    return failRun(
      step.context,
      step.record,
      `node '${record.node}': the LLM call failed: ${reply.error?.message ?? 'no result'}`,
    );
  const result = reply.result;
  let conversation: Conversation;
  try {
    conversation = agentConversation(record, node);
  } catch (error) {
    return failRun(step.context, step.record, `node '${record.node}': ${message(error)}`);
  }
  const decision = agentTurn(node.agent, conversation, result);
  const base = { startedAt: now, result, turn: conversation.turns };
  switch (decision.kind) {
    case 'answer':
      return advance(step, () => node.output(record.state, decision.text), {
        ...base,
        kind: 'agent',
        events: [{ type: 'text-delta', node: record.node, data: { text: decision.text } }],
      });
    case 'max-steps':
      return commitOrStale(step, {
        newState: record.state,
        nextNode: record.node,
        failure: `agent '${node.agent.name}' gave no answer within maxSteps ${decision.maxSteps}`,
        ...history(step, { ...base, kind: 'agent' }, []),
      });
    case 'call-tools': {
      const outcomes = await runTools(step, node.agent, decision.calls, String(record.checkpoint));
      const next = appendToolResults(conversation, result, outcomes);
      const committed = await commitOrStale(step, {
        newState: record.state,
        nextNode: record.node,
        conversation: next,
        ...history(
          step,
          {
            ...base,
            kind: 'agent',
            toolCalls: decision.calls.map((call) => call.name),
            events: toolEvents(record.node, decision.calls, outcomes),
          },
          [],
        ),
      });
      if (committed.status !== 'committed') return committed;
      // The next LLM call is issued at once rather than through another step job.
      const version = record.checkpoint + 1;
      const request = generationFor(
        step,
        node.agent,
        next,
        { runId: record.id, version, node: record.node },
        `${record.id}:${version}`,
        node.route?.(record.state),
      );
      return outcome('issued', { generations: [request] });
    }
  }
}

// ── map nodes ───────────────────────────────────────────────────────────────────────────────────────

function branchPrompt(node: MapNode<unknown>, item: unknown, state: unknown): string {
  return node.input ? node.input(item, state) : typeof item === 'string' ? item : JSON.stringify(item);
}

function branchGeneration(
  step: Step,
  node: MapNode<unknown>,
  items: readonly unknown[],
  branch: number,
  turns: number,
  conversation: Conversation | undefined,
): GenerationRequest {
  const { record } = step;
  const item = items[branch];
  const agent = node.agent!;
  return generationFor(
    step,
    agent,
    conversation ?? startConversation(agent, branchPrompt(node, item, record.state)),
    { runId: record.id, version: record.checkpoint, node: record.node, branch, turn: turns },
    `${record.id}:${record.checkpoint}:b${branch}:${turns}`,
    node.route?.(item, record.state),
  );
}

/**
 * The map step: fans out every branch not yet done (LLM calls or sub-runs), or joins when all are.
 * Doing it again is harmless: generation requests and sub-runs have deterministic ids.
 */
async function mapStart(step: Step, node: MapNode<unknown>): Promise<StepOutcome> {
  const { record, context, now } = step;
  let items: readonly unknown[];
  try {
    items = node.items(record.state);
  } catch (error) {
    return failRun(step.context, step.record, `node '${record.node}': ${message(error)}`);
  }
  const { done, branches } = await context.store.branches(record.id);
  if (done >= items.length) return join(step, node, items.length, branches);
  await context.store.emit(record.id, [
    { type: 'step-start', node: record.node, data: { kind: 'map', items: items.length } },
  ]);
  const generations: GenerationRequest[] = [];
  const enqueue: QueuedStep[] = [];
  for (let branch = 0; branch < items.length; branch++) {
    const entry = branches.get(branch);
    if (entry?.state?.done) continue;
    if (node.agent) {
      generations.push(
        branchGeneration(step, node, items, branch, entry?.turns ?? 0, entry?.state?.conversation),
      );
      continue;
    }
    const ref = node.workflow!;
    const childId = `${record.id}.${record.checkpoint}.${branch}`;
    const item = items[branch];
    try {
      const started = await startRun(
        context.store,
        context.workflows,
        ref.name,
        node.workflowInput ? node.workflowInput(item, record.state) : item,
        {
          version: ref.version,
          runId: childId,
          deadlineMs: Math.max(1, record.deadlineAt - now),
          parent: { runId: record.id, version: record.checkpoint, node: record.node, branch },
          now,
        },
      );
      if (started.created) {
        enqueue.push(started.job);
        continue;
      }
    } catch (error) {
      return failRun(step.context, step.record, `node '${record.node}': item ${branch}: ${message(error)}`);
    }
    const child = await context.store.get(childId);
    if (child && isFinished(child.status)) enqueue.push(...parentNotice(child));
    else if (child?.status === 'running') enqueue.push(stepJob(child.id, child.checkpoint, child.node));
  }
  return outcome('issued', { generations, enqueue });
}

async function join(
  step: Step,
  node: MapNode<unknown>,
  count: number,
  branches: Map<number, { turns: number; state?: BranchState }>,
): Promise<StepOutcome> {
  const { record, now } = step;
  const results = Array.from({ length: count }, (_, index) => branches.get(index)?.state?.result);
  return advance(step, () => node.join(record.state, results), {
    kind: 'map',
    startedAt: now,
    note: `joined ${count} result${count === 1 ? '' : 's'}`,
  });
}

/** Applies one LLM result to one fan-out branch; the branch that completes the set joins. */
async function branchTurn(
  step: Step,
  node: MapNode<unknown>,
  branch: number,
  turn: number,
  reply: LlmReply,
): Promise<StepOutcome> {
  const { record, context, now } = step;
  if (!node.agent) return outcome('stale');
  const items = node.items(record.state);
  const { branches } = await context.store.branches(record.id);
  const entry = branches.get(branch);
  if ((entry?.turns ?? 0) !== turn) return branchRepair(step, node, items, branch);
  if (!reply.result) {
    return failRun(
      step.context,
      step.record,
      `node '${record.node}': item ${branch}: the LLM call failed: ${reply.error?.message ?? 'no result'}`,
    );
  }
  const result = reply.result;
  const agent = node.agent;
  const conversation =
    entry?.state?.conversation ?? startConversation(agent, branchPrompt(node, items[branch], record.state));
  const decision = agentTurn(agent, conversation, result);
  if (decision.kind === 'max-steps') {
    return failRun(
      step.context,
      step.record,
      `node '${record.node}': item ${branch}: agent '${agent.name}' gave no answer within maxSteps ${decision.maxSteps}`,
    );
  }
  let state: BranchState;
  let events: RunEvent[];
  let toolCalls: string[] | undefined;
  if (decision.kind === 'answer') {
    state = { done: true, result: decision.text };
    events = [{ type: 'text-delta', node: record.node, data: { branch, text: decision.text } }];
  } else {
    const outcomes = await runTools(step, agent, decision.calls, `${record.checkpoint}.b${branch}.${turn}`);
    state = { done: false, conversation: appendToolResults(conversation, result, outcomes) };
    events = toolEvents(record.node, decision.calls, outcomes).map((event) => ({
      ...event,
      data: { branch, ...(event.data as object) },
    }));
    toolCalls = decision.calls.map((call) => call.name);
  }
  const usage = {
    inputTokens: result.usage.inputTokens,
    outputTokens: result.usage.outputTokens,
    costUsd: result.costUsd,
  };
  const committed = await context.store.commitBranch({
    runId: record.id,
    version: record.checkpoint,
    branch,
    expectedTurn: turn,
    state,
    usage,
    historyEntry: {
      node: record.node,
      kind: 'branch',
      version: record.checkpoint,
      branch,
      turn,
      provider: result.provider,
      model: result.model,
      ...usage,
      ms: result.latencyMs + ((context.clock ?? Date.now)() - now),
      startedAt: now,
      patch: [],
      ...(toolCalls ? { toolCalls } : {}),
    },
    events: [
      ...events,
      { type: 'step-finish', node: record.node, data: { kind: 'branch', branch, turn, ...usage } },
    ],
  });
  switch (committed.outcome) {
    case 'ok':
      if (committed.status !== 'running') {
        return outcome('failed', {
          ...(committed.reason ? { detail: committed.reason } : {}),
          enqueue: parentNotice(record),
        });
      }
      if (!state.done) {
        return outcome('issued', {
          generations: [branchGeneration(step, node, items, branch, turn + 1, state.conversation)],
        });
      }
      if (committed.done >= items.length)
        return join(step, node, items.length, (await context.store.branches(record.id)).branches);
      return outcome('committed');
    case 'stale-branch':
      return branchRepair(step, node, items, branch);
    case 'stale':
      return outcome('stale');
    case 'over':
      return outcome('over', { detail: committed.status });
    case 'missing':
      return outcome('missing');
  }
}

/** A branch's turn was applied already: re-issue what that try should have (its next call, or the join). */
async function branchRepair(
  step: Step,
  node: MapNode<unknown>,
  items: readonly unknown[],
  branch: number,
): Promise<StepOutcome> {
  const { done, branches } = await step.context.store.branches(step.record.id);
  const entry = branches.get(branch);
  if (entry?.state?.done) {
    return done >= items.length ? join(step, node, items.length, branches) : outcome('stale');
  }
  if (!entry || !node.agent) return outcome('stale');
  return outcome('stale', {
    generations: [branchGeneration(step, node, items, branch, entry.turns, entry.state?.conversation)],
  });
}

/** A sub-run of a map branch ended: its final state is the branch's result (or the run fails with it). */
async function childEnded(step: Step, childRunId: string): Promise<StepOutcome> {
  const { record, job, context, workflow, now } = step;
  if (record.checkpoint !== job.version || record.node !== job.node || job.branch === undefined)
    return outcome('stale');
  const node = workflow.nodes[record.node];
  if (node?.kind !== 'map') return outcome('stale');
  const child = await context.store.get(childRunId);
  if (!child || !isFinished(child.status)) {
    if (child) return outcome('stale');
    return failRun(
      step.context,
      step.record,
      `node '${record.node}': item ${job.branch}: sub-run ${childRunId} is gone`,
    );
  }
  if (child.status !== 'completed') {
    return failRun(
      step.context,
      step.record,
      `node '${record.node}': item ${job.branch}: sub-run ${childRunId} ${child.status}${child.error ? `: ${child.error}` : ''}`,
    );
  }
  const items = node.items(record.state);
  const committed = await context.store.commitBranch({
    runId: record.id,
    version: record.checkpoint,
    branch: job.branch,
    expectedTurn: 0,
    state: { done: true, result: child.state },
    historyEntry: {
      node: record.node,
      kind: 'branch',
      version: record.checkpoint,
      branch: job.branch,
      inputTokens: 0,
      outputTokens: 0,
      costUsd: child.usage.costUsd,
      ms: (child.finishedAt ?? now) - child.createdAt,
      startedAt: child.createdAt,
      patch: [],
      note: `sub-run ${childRunId}: ${child.usage.tokens} tokens`,
    },
    usage: { inputTokens: child.usage.tokens, outputTokens: 0, costUsd: child.usage.costUsd },
    events: [
      { type: 'step-finish', node: record.node, data: { kind: 'branch', branch: job.branch, childRunId } },
    ],
  });
  if (committed.outcome === 'ok') {
    if (committed.status !== 'running')
      return outcome('failed', { ...(committed.reason ? { detail: committed.reason } : {}) });
    if (committed.done >= items.length)
      return join(step, node, items.length, (await context.store.branches(record.id)).branches);
    return outcome('committed');
  }
  if (committed.outcome === 'stale-branch') return branchRepair(step, node, items, job.branch);
  return outcome('stale');
}
