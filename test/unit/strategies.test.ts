import { describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/shared/config/settings.js';
import { ValidationError } from '../../src/shared/errors.js';
import { detectProviderType, ProviderRegistry } from '../../src/shared/providers/registry.js';
import { candidatesFor, planRoute } from '../../src/shared/providers/strategies.js';

const registry = new ProviderRegistry(
  loadSettings({
    env: {},
    configPath: undefined,
    overrides: {
      providers: {
        anthropic: { type: 'anthropic' },
        openai: { type: 'openai' },
        ollama: { type: 'ollama' },
        mock: { type: 'mock' },
        'mock-basic': { type: 'mock', defaultModel: 'mock-basic' },
        'mock-advanced': { type: 'mock', defaultModel: 'mock-advanced' },
      },
    },
  }),
);

const plan = (
  instances: string[],
  strategy: Parameters<typeof planRoute>[0]['strategy'],
  extra: Partial<Parameters<typeof planRoute>[0]> = {},
) =>
  planRoute({ candidates: candidatesFor(registry, instances), strategy, ...extra }).map(
    (step) => step.instance,
  );

describe('routing strategies (the seed’s semantics)', () => {
  it('failover keeps the given order', () => {
    expect(plan(['ollama', 'openai', 'anthropic'], 'failover')).toEqual(['ollama', 'openai', 'anthropic']);
  });

  it('round-robin rotates the start over successive indexes', () => {
    const instances = ['openai', 'anthropic', 'mock'];
    expect(
      [0, 1, 2, 3].map((index) => plan(instances, 'round_robin', { roundRobinIndex: index })[0]),
    ).toEqual(['openai', 'anthropic', 'mock', 'openai']);
    expect(plan(instances, 'round_robin', { roundRobinIndex: 1 })).toEqual(['anthropic', 'mock', 'openai']);
  });

  it('cost-optimized orders by estimated price and breaks ties mock < ollama < openai < anthropic', () => {
    // mock and ollama are both free: the seed's ranks decide; gpt-4o-mini is cheaper than claude-sonnet-4.
    expect(
      plan(['anthropic', 'openai', 'ollama', 'mock'], 'cost_optimized', {
        context: { prompt: 'What is the capital of France?' },
      }),
    ).toEqual(['mock', 'ollama', 'openai', 'anthropic']);
    const pricey = planRoute({
      candidates: candidatesFor(registry, ['openai', 'anthropic'], 'gpt-4o'),
      strategy: 'cost_optimized',
      context: { prompt: 'x'.repeat(4_000), maxTokens: 1_000 },
    });
    // gpt-4o ($2.5/$10) against claude-sonnet-4 ($3/$15): OpenAI first on price, not rank alone.
    expect(pricey).toEqual([
      { instance: 'openai', model: 'gpt-4o' },
      { instance: 'anthropic', model: 'claude-sonnet-4-20250514' },
    ]);
  });

  it('task-aware keeps only candidates with a capability match, ranked by strength ratio', () => {
    // code_generation needs code:3, reasoning:2; mock-basic has neither, so it is dropped.
    expect(
      plan(['mock-basic', 'mock', 'mock-advanced'], 'task_aware', {
        context: { taskType: 'code_generation' },
      }),
    ).toEqual(['mock-advanced', 'mock']);
    // Detected from the prompt when no task type is given.
    expect(
      plan(['mock-basic', 'mock-advanced'], 'task_aware', { context: { prompt: 'Implement a function' } }),
    ).toEqual(['mock-advanced']);
  });

  it('task-aware falls back to the given order when no candidate matches any requirement', () => {
    expect(plan(['mock-basic', 'mock'], 'task_aware', { context: { capabilities: { legal: 3 } } })).toEqual([
      'mock-basic',
      'mock',
    ]);
  });

  it('explicit capability requirements take precedence over the task type', () => {
    expect(
      plan(['mock', 'mock-advanced'], 'task_aware', {
        context: { taskType: 'conversational', capabilities: { math: 3 } },
      }),
    ).toEqual(['mock-advanced']);
  });

  it('queue-aware puts the least backlog per live worker first; no worker counts as endless backlog', () => {
    const backlogPerWorker = new Map([
      ['openai', 12],
      ['anthropic', 2],
      ['mock', Number.POSITIVE_INFINITY],
    ]);
    expect(plan(['mock', 'openai', 'anthropic'], 'queue_aware', { backlogPerWorker })).toEqual([
      'anthropic',
      'openai',
      'mock',
    ]);
  });

  it('keeps a named model on instances that serve it, others use their default', () => {
    expect(
      candidatesFor(registry, ['openai', 'anthropic'], 'gpt-4.1').map(({ provider, model }) => ({
        provider,
        model,
      })),
    ).toEqual([
      { provider: 'openai', model: 'gpt-4.1' },
      { provider: 'anthropic', model: 'claude-sonnet-4-20250514' },
    ]);
  });
});

describe('registry', () => {
  it('lists each instance’s models with capabilities, prices and windows', () => {
    const gpt = registry.model('openai', 'gpt-4o-mini');
    expect(gpt).toMatchObject({ providerType: 'openai', inputPricePerMillion: 0.15, contextWindow: 128_000 });
    expect(registry.strength('anthropic', 'claude-sonnet-4-20250514', 'reasoning')).toBe(4);
    expect(registry.model('openai', 'gpt-4o-2024-08-06')?.id).toBe('gpt-4o');
    expect(registry.modelsOf('mock').map((model) => model.id)).toContain('mock-embed');
  });

  it('finds models meeting every requirement, best mean strength first', () => {
    const matches = registry.findModels({ code: 4, reasoning: 4 });
    expect(matches.length).toBeGreaterThan(0);
    expect(matches.every((match) => match.model.capabilities['code']! >= 4)).toBe(true);
    expect(matches[0]!.score).toBeGreaterThanOrEqual(matches.at(-1)!.score);
  });

  it('lets an instance’s settings add and override catalogue entries', () => {
    const custom = new ProviderRegistry(
      loadSettings({
        env: {},
        configPath: undefined,
        overrides: {
          providers: {
            local: {
              type: 'openai',
              models: [
                { id: 'gpt-4o-mini', contextWindow: 4_096 },
                { id: 'my-model', capabilities: { code: 4 } },
              ],
            },
          },
        },
      }),
    );
    expect(custom.model('local', 'gpt-4o-mini')?.contextWindow).toBe(4_096);
    expect(custom.strength('local', 'my-model', 'code')).toBe(4);
  });

  it('names an unknown instance and lists the known ones', () => {
    expect(() => registry.instance('gemini')).toThrow(ValidationError);
    expect(() => registry.instance('gemini')).toThrow(
      /unknown provider instance 'gemini'; configured: anthropic, openai/,
    );
  });

  it('detects the provider type from a model name', () => {
    expect(
      [
        'gpt-4o',
        'o3-mini',
        'claude-3-5-haiku-20241022',
        'llama3.1:8b',
        'mistral',
        'mock-basic',
        'gemini-pro',
      ].map(detectProviderType),
    ).toEqual(['openai', 'openai', 'anthropic', 'ollama', 'ollama', 'mock', undefined]);
  });
});
