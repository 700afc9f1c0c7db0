import { isFinished } from '../../shared/agents/run-records.js';
import { type AgentStepJob, initialState } from '../../shared/agents/start-run.js';
import { workflowKey } from '../../shared/agents/workflow.js';
import { agentContinuationSchema, agentStepJobSchema, type LlmReply } from './agent-jobs.js';
import { agentCall, agentReply } from './agent-node.js';
import { functionNode } from './function-node.js';
import { humanNode } from './human-node.js';
import { branchTurn, childEnded, mapStart } from './map-node.js';
import { failRun, failStep, stale } from './step-commit.js';
import {
  message,
  outcome,
  type Step,
  type StepContext,
  type StepDispatch,
  type StepOutcome,
} from './step-outcome.js';

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
    return failStep(step, `deadline exceeded: ${now - record.deadlineAt} ms past the run deadline`);
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
    return failStep(
      step,
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
