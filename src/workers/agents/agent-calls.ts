import {
  type AgentDefinition,
  buildAgentRequest,
  type Conversation,
  findTool,
  latestPrompt,
  type RouteOverride,
} from '../../shared/agents/agent.js';
import type { RunEvent } from '../../shared/agents/run-records.js';
import type { AgentStepJob } from '../../shared/agents/start-run.js';
import { TaskAwareAgent } from '../../shared/agents/task-aware.js';
import { resolveTools, runToolCall, type ToolOutcome } from '../../shared/agents/tools.js';
import type { GenerationRequest, GenerationResult } from '../../shared/jobs.js';
import type { Step, StepContext } from './step-outcome.js';

/** What agent nodes and map branches share: an LLM call as a generation request, and running tool calls. */

/** The agent with each tool the worker provides (see `workerTool`) taken from the worker's registry. */
function withWorkerTools(context: StepContext, agent: AgentDefinition): AgentDefinition {
  const tools = resolveTools(agent.tools, context.tools);
  return tools === agent.tools ? agent : { ...agent, tools };
}

export function routeFor(
  context: StepContext,
  agent: AgentDefinition,
  conversation: Conversation,
  override: RouteOverride | undefined,
): RouteOverride {
  const route = { ...override };
  if (agent.taskAware && context.providerRegistry && !route.providers && !route.model) {
    const instances = agent.providers ?? context.providerOrder;
    const pick = new TaskAwareAgent(context.providerRegistry, instances ? { instances } : {}).pick(
      latestPrompt(conversation),
      route.taskType ?? agent.taskType,
    );
    // The pick's order is the plan: failover keeps it, and the fleet moves dead instances to the back.
    return {
      ...route,
      providers: pick.providers,
      model: pick.model,
      taskType: pick.taskType,
      strategy: 'failover',
    };
  }
  return route;
}

export function generationFor(
  step: Step,
  agent: AgentDefinition,
  conversation: Conversation,
  payload: AgentStepJob,
  idempotencyKey: string,
  override: RouteOverride | undefined,
): GenerationRequest {
  const { context, record, now } = step;
  return buildAgentRequest(withWorkerTools(context, agent), conversation, {
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

export async function runTools(
  step: Step,
  agent: AgentDefinition,
  calls: GenerationResult['toolCalls'],
  stepIndex: string,
): Promise<ToolOutcome[]> {
  const signal = step.context.signal ?? new AbortController().signal;
  const resolved = withWorkerTools(step.context, agent);
  return Promise.all(
    calls.map(async (call, callIndex) => {
      const tool = findTool(resolved, call);
      if ('error' in tool) return { ok: false as const, error: tool.error };
      return runToolCall(tool, call.arguments, {
        idempotencyKey: `${step.record.id}:${stepIndex}:${callIndex}`,
        signal,
      });
    }),
  );
}

export function toolEvents(
  node: string,
  calls: GenerationResult['toolCalls'],
  outcomes: ToolOutcome[],
): RunEvent[] {
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
