import * as z from 'zod';
import { parseWith } from '../parse-with.js';
import { taskTypes } from '../providers/capabilities.js';
import { defineAgent } from './agent.js';
import { calculatorTool } from './built-in-tools.js';
import { defineWorkflow, END } from './workflow.js';

/**
 * The seed's controller–worker pattern as a ready workflow (`research`, input `{task}`): a controller
 * agent splits the task into subtasks with structured output, worker agents take them in parallel
 * (a map node; each on the instance and model its subtask's task type calls for), and an aggregator
 * merges their answers.
 */

const subtaskSchema = z.object({
  title: z.string().min(1),
  taskType: z.enum(taskTypes as [string, ...string[]]),
});
export type Subtask = z.infer<typeof subtaskSchema>;

const planSchema = z.object({ subtasks: z.array(subtaskSchema).min(1).max(8) });

/** The JSON Schema the controller answers in. */
export const researchPlanJsonSchema = {
  type: 'object',
  properties: {
    subtasks: {
      type: 'array',
      minItems: 3,
      maxItems: 6,
      items: {
        type: 'object',
        properties: {
          title: { type: 'string', description: 'What this part of the work must find or produce' },
          taskType: { type: 'string', enum: taskTypes },
        },
        required: ['title', 'taskType'],
        additionalProperties: false,
      },
    },
  },
  required: ['subtasks'],
  additionalProperties: false,
} as const;

export const researchState = z.object({
  task: z.string().min(1),
  subtasks: z.array(subtaskSchema).default([]),
  results: z.array(z.object({ title: z.string(), taskType: z.string(), answer: z.string() })).default([]),
  answer: z.string().default(''),
});
export type ResearchState = z.output<typeof researchState>;

export const controllerAgent = defineAgent({
  name: 'research-controller',
  instructions:
    'You plan research. Split the task into 3 to 6 independent subtasks that together answer it. ' +
    `Give each a short title and the task type that fits it best (${taskTypes.join(', ')}). Answer only with the JSON object.`,
  tools: [],
  maxSteps: 1,
  responseFormat: { type: 'json_schema', name: 'research_plan', schema: researchPlanJsonSchema },
});

export const workerAgent = defineAgent({
  name: 'research-worker',
  instructions:
    'You handle one subtask of a larger task. Answer the subtask directly and concisely; use the calculator for arithmetic.',
  tools: [calculatorTool],
  taskAware: true,
  maxSteps: 4,
});

export const aggregatorAgent = defineAgent({
  name: 'research-aggregator',
  instructions:
    'You merge the answers to the subtasks of a task into one coherent answer to the task. Keep what each found; resolve contradictions.',
  tools: [],
  maxSteps: 1,
});

/** Reads the controller's plan; tolerates a fenced code block around the JSON. */
export function parsePlan(answer: string): Subtask[] {
  const text = answer
    .trim()
    .replace(/^```(?:json)?\s*/i, '')
    .replace(/```$/, '')
    .trim();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`the controller's plan is not JSON: ${text.slice(0, 200)}`);
  }
  return parseWith(planSchema, json, "the controller's plan").subtasks;
}

export const researchWorkflow = defineWorkflow({
  name: 'research',
  version: '1',
  description:
    'A controller splits the task, worker agents take the subtasks in parallel, an aggregator merges.',
  state: researchState,
  start: 'plan',
  nodes: {
    plan: {
      kind: 'agent',
      agent: controllerAgent,
      input: (state) => `Task: ${state.task}`,
      output: (_state, answer) => ({ subtasks: parsePlan(answer) }),
    },
    work: {
      kind: 'map',
      agent: workerAgent,
      items: (state) => state.subtasks,
      input: (item: Subtask, state) => `Overall task: ${state.task}\nYour subtask: ${item.title}`,
      route: (item: Subtask) => ({ taskType: item.taskType, strategy: 'task_aware' }),
      join: (state, results) => ({
        results: state.subtasks.map((subtask, index) => ({
          title: subtask.title,
          taskType: subtask.taskType,
          answer: String(results[index] ?? ''),
        })),
      }),
    },
    merge: {
      kind: 'agent',
      agent: aggregatorAgent,
      input: (state) =>
        [
          `Task: ${state.task}`,
          '',
          ...state.results.map((result, index) => `## ${index + 1}. ${result.title}\n${result.answer}`),
        ].join('\n'),
      output: (_state, answer) => ({ answer }),
    },
  },
  edges: [
    { from: 'plan', to: 'work' },
    { from: 'work', to: 'merge' },
    { from: 'merge', to: END },
  ],
});
