import type { StrategyName } from '../config/settings.js';
import { ValidationError } from '../errors.js';
import type { GenerationRequest, GenerationResult, Message, ResponseFormat, ToolCall } from '../jobs.js';
import { type AnyTool, type ToolOutcome, toolContent, toolSpec } from './tools.js';

/**
 * A tool agent: an LLM call with tools, the tool calls run, their results fed back, until the model
 * answers or `maxSteps` LLM calls were made. The loop here is pure; the step processor runs it one LLM
 * call per job (every call a generation job, every resumption an agent-step job).
 */
export interface AgentDefinition {
  name: string;
  instructions: string;
  tools: readonly AnyTool[];
  providers?: string[];
  strategy?: StrategyName;
  taskType?: string;
  model?: string;
  /**
   * Pick instance and model per step from the catalogue (see TaskAwareAgent) when the worker has a
   * provider registry; otherwise the request is routed with the `task_aware` strategy.
   */
  taskAware?: boolean;
  /** Most LLM calls for one answer. */
  maxSteps: number;
  responseFormat?: ResponseFormat;
  maxTokens?: number;
  temperature?: number;
}

const agentName = /^[A-Za-z0-9_-]{1,64}$/;

export function defineAgent(definition: AgentDefinition): AgentDefinition {
  if (!agentName.test(definition.name)) {
    throw new ValidationError(
      'agent.name',
      `expected 1-64 letters, digits, "_" or "-", got '${definition.name}'`,
    );
  }
  if (!Number.isInteger(definition.maxSteps) || definition.maxSteps < 1) {
    throw new ValidationError(`agent ${definition.name}: maxSteps`, `expected a whole number of at least 1`);
  }
  const names = new Set<string>();
  for (const tool of definition.tools) {
    if (names.has(tool.name))
      throw new ValidationError(`agent ${definition.name}: tools`, `'${tool.name}' is listed twice`);
    names.add(tool.name);
  }
  return definition;
}

/** Where an agent's conversation stands between LLM calls: what is checkpointed. */
export interface Conversation {
  messages: Message[];
  /** LLM calls whose result has been applied. */
  turns: number;
}

export function startConversation(agent: AgentDefinition, prompt: string): Conversation {
  return {
    messages: [
      { role: 'system', content: agent.instructions },
      { role: 'user', content: prompt },
    ],
    turns: 0,
  };
}

export type TurnDecision =
  | { kind: 'call-tools'; calls: ToolCall[] }
  | { kind: 'answer'; text: string }
  | { kind: 'max-steps'; maxSteps: number };

/** What to do with an LLM result: run its tool calls, take its text as the answer, or stop at the limit. */
export function agentTurn(
  agent: Pick<AgentDefinition, 'maxSteps'>,
  conversation: Conversation,
  result: Pick<GenerationResult, 'text' | 'toolCalls'>,
): TurnDecision {
  if (result.toolCalls.length === 0) return { kind: 'answer', text: result.text };
  // The results of these calls would need one more LLM call to become an answer.
  if (conversation.turns + 1 >= agent.maxSteps) return { kind: 'max-steps', maxSteps: agent.maxSteps };
  return { kind: 'call-tools', calls: result.toolCalls };
}

/** The conversation after an LLM call that asked for tools, with each call's result (in call order). */
export function appendToolResults(
  conversation: Conversation,
  result: Pick<GenerationResult, 'text' | 'toolCalls'>,
  outcomes: readonly ToolOutcome[],
): Conversation {
  return {
    turns: conversation.turns + 1,
    messages: [
      ...conversation.messages,
      { role: 'assistant', content: result.text, toolCalls: result.toolCalls },
      ...result.toolCalls.map(
        (call, index): Message => ({
          role: 'tool',
          toolCallId: call.id,
          name: call.name,
          content: toolContent(outcomes[index] ?? { ok: false, error: `${call.name}: no result` }),
        }),
      ),
    ],
  };
}

/** The tool a call names, or the error the model is told when there is none. */
export function findTool(agent: AgentDefinition, call: ToolCall): AnyTool | { error: string } {
  const tool = agent.tools.find((candidate) => candidate.name === call.name);
  if (tool) return tool;
  const names = agent.tools.map((candidate) => candidate.name);
  return { error: `unknown tool '${call.name}'; available: ${names.length ? names.join(', ') : 'none'}` };
}

export interface RouteOverride {
  providers?: string[];
  model?: string;
  strategy?: StrategyName;
  taskType?: string;
}

/** The generation request for the conversation's next LLM call. */
export function buildAgentRequest(
  agent: AgentDefinition,
  conversation: Conversation,
  options: {
    continuation: { queue: string; payload: unknown };
    idempotencyKey: string;
    route?: RouteOverride;
    deadlineMs?: number;
    metadata?: Record<string, unknown>;
  },
): GenerationRequest {
  const route = options.route ?? {};
  const providers = route.providers ?? agent.providers;
  const model = route.model ?? agent.model;
  const strategy = route.strategy ?? agent.strategy ?? (agent.taskAware ? 'task_aware' : undefined);
  const taskType = route.taskType ?? agent.taskType;
  return {
    messages: conversation.messages,
    ...(agent.tools.length ? { tools: agent.tools.map(toolSpec) } : {}),
    ...(providers ? { providers } : {}),
    ...(model ? { model } : {}),
    ...(strategy ? { strategy } : {}),
    ...(taskType ? { taskType } : {}),
    ...(agent.responseFormat ? { responseFormat: agent.responseFormat } : {}),
    ...(agent.maxTokens ? { maxTokens: agent.maxTokens } : {}),
    ...(agent.temperature !== undefined ? { temperature: agent.temperature } : {}),
    ...(options.deadlineMs ? { deadlineMs: options.deadlineMs } : {}),
    idempotencyKey: options.idempotencyKey,
    continuation: options.continuation,
    metadata: { agent: agent.name, ...options.metadata },
  };
}

/** The text of the conversation's latest user or tool message: what task detection reads. */
export function latestPrompt(conversation: Conversation): string {
  for (let i = conversation.messages.length - 1; i >= 0; i--) {
    const message = conversation.messages[i]!;
    if (message.role === 'user') return message.content;
  }
  return '';
}
