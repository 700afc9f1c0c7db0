import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import {
  agentTurn,
  appendToolResults,
  buildAgentRequest,
  defineAgent,
  startConversation,
} from '../../src/shared/agents/agent.js';
import { calculatorTool } from '../../src/shared/agents/built-in-tools.js';
import { parsePlan, researchWorkflow } from '../../src/shared/agents/research-workflow.js';
import { initialState } from '../../src/shared/agents/start-run.js';
import { TaskAwareAgent } from '../../src/shared/agents/task-aware.js';
import { defineWorkflow, END, nextNode, WorkflowRegistry } from '../../src/shared/agents/workflow.js';
import { loadSettings } from '../../src/shared/config/settings.js';
import { ValidationError } from '../../src/shared/errors.js';
import { generationRequestSchema } from '../../src/shared/jobs.js';
import { ProviderRegistry } from '../../src/shared/providers/registry.js';

const state = z.object({ n: z.number().default(0), verdict: z.string().default('') });
const fn = { kind: 'function' as const, run: () => ({}) };

describe('workflow graphs', () => {
  it('are checked when defined, naming every unknown, stuck and unreachable node', () => {
    const define = (extra: Partial<Parameters<typeof defineWorkflow>[0]>) => () =>
      defineWorkflow({
        name: 'g',
        version: 1,
        state,
        start: 'a',
        nodes: { a: fn, b: fn },
        edges: [
          { from: 'a', to: 'b' },
          { from: 'b', to: END },
        ],
        ...extra,
      });
    expect(define({})).not.toThrow();
    expect(define({ start: 'nope' })).toThrow(/start: unknown node 'nope'/);
    expect(define({ start: '' })).toThrow(/no start node/);
    expect(
      define({
        edges: [
          { from: 'a', to: 'c' },
          { from: 'b', to: END },
        ],
      }),
    ).toThrow(/edges\[0\]\.to: unknown node 'c'/);
    expect(
      define({
        edges: [
          { from: 'x', to: 'a' },
          { from: 'a', to: END },
          { from: 'b', to: END },
        ],
      }),
    ).toThrow(/edges\[0\]\.from: unknown node 'x'/);
    expect(define({ edges: [{ from: 'a', to: END }] })).toThrow(/no outgoing edge from 'b'/);
    expect(
      define({
        edges: [
          { from: 'a', to: END },
          { from: 'b', to: END },
        ],
      }),
    ).toThrow(/unreachable from 'a': 'b'/);
    expect(define({ name: 'bad name' })).toThrow(ValidationError);
    expect(
      define({
        nodes: { a: fn, b: fn, c: fn },
        edges: [
          { from: 'a', condition: () => 'b', targets: ['b', END] },
          { from: 'b', to: END },
          { from: 'c', to: END },
        ],
      }),
    ).toThrow(/unreachable from 'a': 'c'/);
  });

  it('follow conditional edges, and refuse a target the condition may not return', () => {
    const workflow = defineWorkflow({
      name: 'loop',
      version: '2',
      state,
      start: 'inc',
      nodes: { inc: fn, done: fn },
      edges: [
        { from: 'inc', condition: (s) => (s.n >= 3 ? 'done' : 'inc'), targets: ['inc', 'done'] },
        { from: 'done', condition: () => 'elsewhere', targets: [END] },
      ],
    });
    expect(nextNode(workflow, 'inc', { n: 1, verdict: '' })).toBe('inc');
    expect(nextNode(workflow, 'inc', { n: 3, verdict: '' })).toBe('done');
    expect(() => nextNode(workflow, 'done', { n: 3, verdict: '' })).toThrow(/returned 'elsewhere'/);
  });

  it('are registered by name@version', () => {
    const registry = new WorkflowRegistry([researchWorkflow]);
    expect(registry.get('research', '1')).toBe(researchWorkflow);
    expect(registry.get('research', '2')).toBeUndefined();
    expect(() => registry.register(researchWorkflow)).toThrow(/research@1 is already registered/);
    expect(registry.list()).toEqual([
      {
        name: 'research',
        version: '1',
        start: 'plan',
        nodes: { plan: 'agent', work: 'map', merge: 'agent' },
      },
    ]);
  });
});

describe('the agent loop', () => {
  const agent = defineAgent({
    name: 'maths',
    instructions: 'Use tools.',
    tools: [calculatorTool],
    maxSteps: 3,
  });
  const reply = (text: string, calls: Array<{ id: string; expression: string }> = []) => ({
    text,
    toolCalls: calls.map(({ id, expression }) => ({ id, name: 'calculator', arguments: { expression } })),
  });

  it('calls tools, answers, or stops at maxSteps', () => {
    const conversation = startConversation(agent, 'What is 2+2 times 3?');
    expect(agentTurn(agent, conversation, reply('12'))).toEqual({ kind: 'answer', text: '12' });
    expect(agentTurn(agent, conversation, reply('', [{ id: 'a', expression: '2+2' }]))).toMatchObject({
      kind: 'call-tools',
      calls: [{ id: 'a', name: 'calculator' }],
    });
    expect(
      agentTurn(agent, { ...conversation, turns: 2 }, reply('', [{ id: 'b', expression: '4*3' }])),
    ).toEqual({
      kind: 'max-steps',
      maxSteps: 3,
    });
  });

  it('builds the next request with the assistant tool calls and each tool result by call id', () => {
    const first = startConversation(agent, 'What is (2+2)*3?');
    const llm = reply('Let me compute.', [
      { id: 'call_1', expression: '2+2' },
      { id: 'call_2', expression: '4*' },
    ]);
    const next = appendToolResults(first, llm, [
      { ok: true, value: { result: 4 }, content: '{"result":4}' },
      { ok: false, error: 'calculator: unexpected end at position 3' },
    ]);
    expect(next.turns).toBe(1);
    expect(next.messages.slice(2)).toEqual([
      { role: 'assistant', content: 'Let me compute.', toolCalls: llm.toolCalls },
      { role: 'tool', toolCallId: 'call_1', name: 'calculator', content: '{"result":4}' },
      {
        role: 'tool',
        toolCallId: 'call_2',
        name: 'calculator',
        content: 'error: calculator: unexpected end at position 3',
      },
    ]);
    const request = buildAgentRequest(agent, next, {
      continuation: { queue: 'agent', payload: { runId: 'r', version: 1, node: 'n' } },
      idempotencyKey: 'r:1',
      route: { taskType: 'mathematical_problem_solving', strategy: 'task_aware' },
    });
    expect(generationRequestSchema.safeParse(request).success).toBe(true);
    expect(request).toMatchObject({
      messages: [
        { role: 'system', content: 'Use tools.' },
        { role: 'user' },
        { role: 'assistant' },
        { role: 'tool' },
        { role: 'tool' },
      ],
      tools: [{ name: 'calculator', parameters: { type: 'object', required: ['expression'] } }],
      strategy: 'task_aware',
      taskType: 'mathematical_problem_solving',
      idempotencyKey: 'r:1',
      continuation: { queue: 'agent' },
    });
  });
});

describe('the task-aware agent', () => {
  const registry = new ProviderRegistry(
    loadSettings({
      env: {},
      configPath: undefined,
      overrides: {
        providers: { openai: { type: 'openai' }, anthropic: { type: 'anthropic' }, mock: { type: 'mock' } },
      },
    }),
  );

  it('picks an instance and a model, not only an instance', () => {
    const agent = new TaskAwareAgent(registry);
    const code = agent.pick('Implement a function that sorts a list');
    expect(code.taskType).toBe('code_generation');
    const model = registry.model(code.providers[0]!, code.model)!;
    expect(model.capabilities['code']).toBeGreaterThanOrEqual(3);
    expect(code.model).not.toBe(registry.instance(code.providers[0]!).defaultModel);
    const chat = agent.pick('Hello there', 'conversational');
    expect(registry.model(chat.providers[0]!, chat.model)!.capabilities['chat']).toBeGreaterThanOrEqual(3);
  });

  it('keeps every other instance behind its pick, so the request can fail over', () => {
    const agent = new TaskAwareAgent(registry);
    for (const task of ['code_generation', 'conversational', 'visual_analysis']) {
      const pick = agent.pick('Anything', task);
      expect([...pick.providers].sort()).toEqual(['anthropic', 'mock', 'openai']);
    }
    // Fallbacks rank by the model each would serve: for code, anthropic's default before the mock's.
    expect(agent.pick('Implement a function that sorts a list').providers.slice(1)).toEqual([
      'anthropic',
      'mock',
    ]);
    const given = new TaskAwareAgent(registry, { instances: ['mock', 'openai', 'mock'] }).pick('Hello there');
    expect([...given.providers].sort()).toEqual(['mock', 'openai']);
  });

  it('stays within the instances it is given', () => {
    const pick = new TaskAwareAgent(registry, { instances: ['mock'] }).pick('Write a poem');
    expect(pick).toMatchObject({ taskType: 'creative_writing', providers: ['mock'] });
    expect(pick.model.startsWith('mock-')).toBe(true);
  });
});

describe('the research workflow', () => {
  it('reads the controller plan, fenced or not, and names what is wrong with a bad one', () => {
    const plan = { subtasks: [{ title: 'Find sources', taskType: 'document_extraction' }] };
    expect(parsePlan(JSON.stringify(plan))).toEqual(plan.subtasks);
    expect(parsePlan(`\`\`\`json\n${JSON.stringify(plan)}\n\`\`\``)).toEqual(plan.subtasks);
    expect(() => parsePlan('{"subtasks": []}')).toThrow(/subtasks: /);
    expect(() => parsePlan('{"subtasks": [{"title": "x", "taskType": "dancing"}]}')).toThrow(
      /subtasks\[0\]\.taskType/,
    );
    expect(() => parsePlan('Sure! Here is a plan')).toThrow(/not JSON/);
  });
});

describe('starting a run', () => {
  it('checks the input against the workflow state, naming the field', () => {
    expect(initialState(researchWorkflow, { task: 'Plan a trip' })).toEqual({
      task: 'Plan a trip',
      subtasks: [],
      results: [],
      answer: '',
    });
    expect(() => initialState(researchWorkflow, { task: 3 })).toThrow(/^input\.task: /);
  });
});
