import {
  agentTurn,
  appendToolResults,
  type Conversation,
  startConversation,
} from '../../shared/agents/agent.js';
import { type BranchState, isFinished, type RunEvent } from '../../shared/agents/run-records.js';
import { type QueuedStep, startRun, stepJob } from '../../shared/agents/start-run.js';
import type { MapNode } from '../../shared/agents/workflow.js';
import type { GenerationRequest } from '../../shared/jobs.js';
import { generationFor, runTools, toolEvents } from './agent-calls.js';
import type { LlmReply } from './agent-jobs.js';
import { advance, failStep, parentNotice } from './step-commit.js';
import { message, outcome, type Step, type StepOutcome } from './step-outcome.js';

/**
 * A map node: fans out over a list to an agent (one LLM conversation per branch) or a sub-workflow
 * (one sub-run per branch), records each branch as it ends, and joins once all have.
 */

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
export async function mapStart(step: Step, node: MapNode<unknown>): Promise<StepOutcome> {
  const { record, context, now } = step;
  let items: readonly unknown[];
  try {
    items = node.items(record.state);
  } catch (error) {
    return failStep(step, `node '${record.node}': ${message(error)}`);
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
      // Noted before it exists, so a cancel of this run reaches the sub-run whatever happens next.
      await context.store.noteChild(record.id, childId);
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
      return failStep(step, `node '${record.node}': item ${branch}: ${message(error)}`);
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
export async function branchTurn(
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
    return failStep(
      step,
      `node '${record.node}': item ${branch}: the LLM call failed: ${reply.error?.message ?? 'no result'}`,
    );
  }
  const result = reply.result;
  const agent = node.agent;
  const conversation =
    entry?.state?.conversation ?? startConversation(agent, branchPrompt(node, items[branch], record.state));
  const decision = agentTurn(agent, conversation, result);
  if (decision.kind === 'max-steps') {
    return failStep(
      step,
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
export async function childEnded(step: Step, childRunId: string): Promise<StepOutcome> {
  const { record, job, context, workflow, now } = step;
  if (record.checkpoint !== job.version || record.node !== job.node || job.branch === undefined)
    return outcome('stale');
  const node = workflow.nodes[record.node];
  if (node?.kind !== 'map') return outcome('stale');
  const child = await context.store.get(childRunId);
  if (!child || !isFinished(child.status)) {
    if (child) return outcome('stale');
    return failStep(step, `node '${record.node}': item ${job.branch}: sub-run ${childRunId} is gone`);
  }
  if (child.status !== 'completed') {
    return failStep(
      step,
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
