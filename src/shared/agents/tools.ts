import * as z from 'zod';
import { ValidationError } from '../errors.js';
import type { Tool } from '../jobs.js';

/**
 * Tools an agent may call. A tool's input is a zod schema: it is sent to the provider as JSON Schema,
 * and the model's arguments are validated against it before `run`, so a bad argument goes back to the
 * model as a tool error instead of crashing the step.
 */

export interface ToolContext {
  /**
   * `${runId}:${stepIndex}:${callIndex}`: the same each time the step is retried (steps are
   * at-least-once), so a tool with outside effects can make a repeated call harmless.
   */
  idempotencyKey: string;
  signal: AbortSignal;
}

export interface ToolDefinition<Input extends z.ZodType = z.ZodType, Output = unknown> {
  name: string;
  description: string;
  input: Input;
  run(input: z.output<Input>, context: ToolContext): Output | Promise<Output>;
}

// biome-ignore lint/suspicious/noExplicitAny: a tool of any input type; run's parameter is checked at defineTool
export type AnyTool = ToolDefinition<z.ZodType, any>;

const toolName = /^[A-Za-z0-9_-]{1,64}$/;

export function defineTool<Input extends z.ZodType, Output>(
  definition: ToolDefinition<Input, Output>,
): ToolDefinition<Input, Output> {
  if (!toolName.test(definition.name)) {
    throw new ValidationError(
      'tool.name',
      `expected 1-64 letters, digits, "_" or "-", got '${definition.name}'`,
    );
  }
  return definition;
}

/** What a provider is told about a tool: its name, description and input as JSON Schema. */
export function toolSpec(tool: AnyTool): Tool {
  const { $schema: _schema, ...parameters } = z.toJSONSchema(tool.input, { io: 'input' }) as Record<
    string,
    unknown
  >;
  return { name: tool.name, description: tool.description, parameters };
}

export type ToolOutcome = { ok: true; value: unknown; content: string } | { ok: false; error: string };

/** The text a tool result is given back to the model as. */
export function toolContent(outcome: ToolOutcome): string {
  return outcome.ok ? outcome.content : `error: ${outcome.error}`;
}

function describeIssues(tool: string, error: z.ZodError): string {
  return error.issues
    .map((issue) => `${tool}: ${issue.path.length ? issue.path.join('.') : 'arguments'}: ${issue.message}`)
    .join('; ');
}

/**
 * Validates the model's arguments and runs the tool. Never throws: a bad argument or a failing run
 * becomes `{ok: false, error}` for the model to read (`<tool>: <field>: <what was expected>`).
 */
export async function runToolCall(
  tool: AnyTool,
  rawArguments: unknown,
  context: ToolContext,
): Promise<ToolOutcome> {
  let args = rawArguments;
  if (typeof args === 'string') {
    try {
      args = args.trim() === '' ? {} : JSON.parse(args);
    } catch {
      return { ok: false, error: `${tool.name}: arguments: expected a JSON object` };
    }
  }
  const parsed = tool.input.safeParse(args ?? {});
  if (!parsed.success) return { ok: false, error: describeIssues(tool.name, parsed.error) };
  try {
    const value = await tool.run(parsed.data, context);
    return { ok: true, value, content: typeof value === 'string' ? value : JSON.stringify(value ?? null) };
  } catch (error) {
    return { ok: false, error: `${tool.name}: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/** The tools of one worker process, by name. */
export class ToolRegistry {
  private readonly tools = new Map<string, AnyTool>();

  constructor(tools: readonly AnyTool[] = []) {
    for (const tool of tools) this.register(tool);
  }

  register(tool: AnyTool): this {
    if (this.tools.has(tool.name))
      throw new ValidationError('tool.name', `a tool named '${tool.name}' is already registered`);
    this.tools.set(tool.name, tool);
    return this;
  }

  get(name: string): AnyTool | undefined {
    return this.tools.get(name);
  }

  has(name: string): boolean {
    return this.tools.has(name);
  }

  /** Every tool with its JSON Schema, as workers publish them and `atlas tools` lists them. */
  list(): Tool[] {
    return [...this.tools.values()].map(toolSpec);
  }
}

const providedByWorker = Symbol('atlas.workerTool');

/**
 * A tool an agent names but the agent worker provides, with its schema and its `run` (the built-in
 * `knowledge_search`, bound there to the store and the fleet's embedders, is one). When the agent runs,
 * the worker's tool of that name stands in for it; a worker without one answers each call with an error.
 */
export function workerTool(name: string, description = `The ${name} tool of the agent worker`): AnyTool {
  const tool = defineTool({
    name,
    description,
    input: z.looseObject({}),
    run: () => {
      throw new Error(`no tool '${name}' is registered on this agent worker`);
    },
  });
  return Object.assign(tool, { [providedByWorker]: true });
}

export function isWorkerTool(tool: AnyTool): boolean {
  return providedByWorker in tool;
}

/** The agent's tools with each worker-provided one replaced by the registry's tool of that name. */
export function resolveTools(
  tools: readonly AnyTool[],
  registry: ToolRegistry | undefined,
): readonly AnyTool[] {
  if (!registry || !tools.some(isWorkerTool)) return tools;
  return tools.map((tool) => (isWorkerTool(tool) ? (registry.get(tool.name) ?? tool) : tool));
}
