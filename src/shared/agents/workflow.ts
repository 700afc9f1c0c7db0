import type * as z from 'zod';
import { ValidationError } from '../errors.js';
import type { AgentDefinition, RouteOverride } from './agent.js';

/**
 * Workflows: a graph of nodes over a zod-typed state. A run does one node per step; each node returns
 * a patch that is merged into the state and checked against the schema. Definitions are validated
 * when defined, so a misspelt node name fails at start-up rather than in the middle of a run.
 */

/** The name an edge leads to when the run is over. */
export const END = '__end__';
export type End = typeof END;

export type StatePatch<S> = Partial<S>;

export interface NodeContext {
  runId: string;
  /** The checkpoint version the node runs at: the step's index in the run. */
  stepIndex: number;
  /** `${runId}:${stepIndex}:0`: the same when the step is retried. */
  idempotencyKey: string;
  signal: AbortSignal;
}

export interface AgentNode<S> {
  kind: 'agent';
  agent: AgentDefinition;
  /** The prompt the agent is given. */
  input(state: S): string;
  /** The state patch made of the agent's answer. */
  output(state: S, answer: string): StatePatch<S>;
  /** Provider, model, strategy or task type for this node, over the agent's own. */
  route?(state: S): RouteOverride;
}

export interface FunctionNode<S> {
  kind: 'function';
  run(state: S, context: NodeContext): StatePatch<S> | Promise<StatePatch<S>>;
}

export interface WorkflowRef {
  name: string;
  version: string;
}

// biome-ignore lint/suspicious/noExplicitAny: items are whatever the node's own functions agree on
export interface MapNode<S, Item = any> {
  kind: 'map';
  items(state: S): readonly Item[];
  /** Each item is run by this agent… */
  agent?: AgentDefinition;
  /** …with this prompt (default: the item as JSON)… */
  input?(item: Item, state: S): string;
  /** …and this routing (say, the item's task type). */
  route?(item: Item, state: S): RouteOverride;
  /** Or each item is a run of this workflow (a sub-run), started with `workflowInput(item)`. */
  workflow?: WorkflowRef;
  workflowInput?(item: Item, state: S): unknown;
  /** Results in item order: an agent's answer text, or a sub-run's final state. */
  join(state: S, results: unknown[]): StatePatch<S>;
}

export interface HumanNode<S> {
  kind: 'human';
  /** What the person is asked, shown with the waiting run. */
  prompt?: string | ((state: S) => string);
  /** Schema the signal's data must satisfy. */
  data?: z.ZodType;
  resume(state: S, data: unknown): StatePatch<S>;
}

export type WorkflowNode<S> = AgentNode<S> | FunctionNode<S> | MapNode<S> | HumanNode<S>;

export type Edge<S> =
  | { from: string; to: string }
  | {
      from: string;
      condition(state: S): string;
      /** Every name `condition` may return (END included): checked at definition and at run time. */
      targets?: readonly string[];
    };

export interface WorkflowDefinition<S = unknown> {
  name: string;
  version: string;
  state: z.ZodType<S>;
  nodes: Readonly<Record<string, WorkflowNode<S>>>;
  edges: readonly Edge<S>[];
  start: string;
  description?: string;
}

// biome-ignore lint/suspicious/noExplicitAny: a workflow of any state type
export type AnyWorkflow = WorkflowDefinition<any>;

const workflowName = /^[A-Za-z0-9_-]{1,64}$/;
const nodeName = /^[A-Za-z0-9_-]{1,64}$/;

export function workflowKey(name: string, version: string): string {
  return `${name}@${version}`;
}

export function defineWorkflow<Schema extends z.ZodType>(definition: {
  name: string;
  version: string | number;
  state: Schema;
  nodes: Readonly<Record<string, WorkflowNode<z.output<Schema>>>>;
  edges: readonly Edge<z.output<Schema>>[];
  start: string;
  description?: string;
}): WorkflowDefinition<z.output<Schema>> {
  const workflow: WorkflowDefinition<z.output<Schema>> = {
    ...definition,
    version: String(definition.version),
    state: definition.state as unknown as z.ZodType<z.output<Schema>>,
  };
  validateGraph(workflow);
  return workflow;
}

/** Throws a ValidationError naming every unknown node, node without a way on, and unreachable node. */
export function validateGraph(workflow: AnyWorkflow): void {
  const field = `workflow ${workflow.name ? workflowKey(workflow.name, workflow.version) : '(unnamed)'}`;
  if (!workflowName.test(workflow.name)) {
    throw new ValidationError(`${field}: name`, 'expected 1-64 letters, digits, "_" or "-"');
  }
  if (!/^[A-Za-z0-9._-]{1,32}$/.test(workflow.version)) {
    throw new ValidationError(`${field}: version`, 'expected 1-32 letters, digits, ".", "_" or "-"');
  }
  const nodes = Object.keys(workflow.nodes);
  const problems: string[] = [];
  for (const name of nodes) {
    if (!nodeName.test(name) || name === END) problems.push(`node name '${name}' is not allowed`);
    const node = workflow.nodes[name]!;
    if (node.kind === 'map' && (node.agent === undefined) === (node.workflow === undefined)) {
      problems.push(`map node '${name}' needs exactly one of agent or workflow`);
    }
  }
  if (!workflow.start) problems.push('no start node');
  else if (!(workflow.start in workflow.nodes)) problems.push(`start: unknown node '${workflow.start}'`);

  const outgoing = new Map<string, Edge<unknown>>();
  const known = (name: string) => name === END || name in workflow.nodes;
  for (const [index, edge] of workflow.edges.entries()) {
    if (!(edge.from in workflow.nodes)) problems.push(`edges[${index}].from: unknown node '${edge.from}'`);
    else if (outgoing.has(edge.from)) problems.push(`node '${edge.from}' has more than one outgoing edge`);
    else outgoing.set(edge.from, edge);
    if ('to' in edge && !known(edge.to)) problems.push(`edges[${index}].to: unknown node '${edge.to}'`);
    if ('condition' in edge) {
      for (const target of edge.targets ?? []) {
        if (!known(target)) problems.push(`edges[${index}].targets: unknown node '${target}'`);
      }
    }
  }
  const stuck = nodes.filter((name) => !outgoing.has(name));
  if (stuck.length)
    problems.push(`no outgoing edge from ${stuck.map((n) => `'${n}'`).join(', ')} (use END to stop)`);

  if (problems.length === 0) {
    const reached = new Set<string>([workflow.start]);
    const queue = [workflow.start];
    while (queue.length) {
      const edge = outgoing.get(queue.shift()!);
      if (!edge) continue;
      // A condition without declared targets may lead anywhere.
      const next = 'to' in edge ? [edge.to] : (edge.targets ?? nodes);
      for (const target of next) {
        if (target !== END && !reached.has(target)) {
          reached.add(target);
          queue.push(target);
        }
      }
    }
    const unreachable = nodes.filter((name) => !reached.has(name));
    if (unreachable.length) {
      problems.push(`unreachable from '${workflow.start}': ${unreachable.map((n) => `'${n}'`).join(', ')}`);
    }
  }
  if (problems.length) throw new ValidationError(field, problems.join('; '));
}

/** The node after `from` for this state, or END. Throws when a condition names something it may not. */
export function nextNode<S>(workflow: WorkflowDefinition<S>, from: string, state: S): string {
  const edge = workflow.edges.find((candidate) => candidate.from === from);
  if (!edge) return END;
  if ('to' in edge) return edge.to;
  const target = edge.condition(state);
  const allowed = edge.targets ? edge.targets.includes(target) : target === END || target in workflow.nodes;
  if (!allowed) {
    throw new ValidationError(
      `workflow ${workflowKey(workflow.name, workflow.version)}: edge from '${from}'`,
      `the condition returned '${target}', which is not one of ${(edge.targets ?? [...Object.keys(workflow.nodes), END]).join(', ')}`,
    );
  }
  return target;
}

/** The workflows one worker process can run, by name and version. */
export class WorkflowRegistry {
  private readonly workflows = new Map<string, AnyWorkflow>();

  constructor(workflows: readonly AnyWorkflow[] = []) {
    for (const workflow of workflows) this.register(workflow);
  }

  register(workflow: AnyWorkflow): this {
    const key = workflowKey(workflow.name, workflow.version);
    if (this.workflows.has(key)) throw new ValidationError('workflow', `${key} is already registered`);
    this.workflows.set(key, workflow);
    return this;
  }

  get(name: string, version: string): AnyWorkflow | undefined {
    return this.workflows.get(workflowKey(name, version));
  }

  /** The highest version of a workflow (numeric parts compared as numbers), for starting runs by name. */
  latest(name: string): AnyWorkflow | undefined {
    const versions = [...this.workflows.values()].filter((workflow) => workflow.name === name);
    return versions.sort((a, b) => b.version.localeCompare(a.version, 'en', { numeric: true }))[0];
  }

  /** What a worker publishes: every name@version with its node names and kinds. */
  list(): Array<{
    name: string;
    version: string;
    start: string;
    nodes: Record<string, WorkflowNode<unknown>['kind']>;
  }> {
    return [...this.workflows.values()].map((workflow) => ({
      name: workflow.name,
      version: workflow.version,
      start: workflow.start,
      nodes: Object.fromEntries(Object.entries(workflow.nodes).map(([name, node]) => [name, node.kind])),
    }));
  }
}
