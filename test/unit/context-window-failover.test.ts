import { describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/shared/config/settings.js';
import { largerWindowStep } from '../../src/workers/generation/failover.js';

const settings = loadSettings({
  env: {},
  configPath: undefined,
  overrides: {
    providers: {
      small: { type: 'mock', defaultModel: 'mock-basic' },
      medium: { type: 'mock', defaultModel: 'mock-standard' },
      large: { type: 'mock', defaultModel: 'mock-advanced' },
      custom: { type: 'openai', baseURL: 'http://127.0.0.1:1/v1', defaultModel: 'house-model' },
    },
  },
});
const step = (instance: string, model: string) => ({ instance, model });

describe('a prompt too long for its model', () => {
  it('moves to the first later step whose window is larger, passing over smaller ones', () => {
    const plan = [
      step('medium', 'mock-standard'),
      step('small', 'mock-basic'),
      step('large', 'mock-advanced'),
    ];
    expect(largerWindowStep(settings, plan, 0)).toMatchObject({
      step: plan[2],
      window: 32_768,
    });
  });

  it('finds none when no later window is larger, and says the largest left', () => {
    const plan = [
      step('large', 'mock-advanced'),
      step('small', 'mock-basic'),
      step('medium', 'mock-standard'),
    ];
    expect(largerWindowStep(settings, plan, 0)).toEqual({
      step: undefined,
      window: 128_000,
      largest: { step: plan[2], window: 32_768 },
    });
    expect(largerWindowStep(settings, plan.slice(0, 1), 0)).toEqual({
      step: undefined,
      window: 128_000,
      largest: undefined,
    });
  });

  it('with the failed model’s window unknown, moves to the next step; a later unknown window is not taken for larger', () => {
    const plan = [step('custom', 'house-model'), step('small', 'mock-basic')];
    expect(largerWindowStep(settings, plan, 0).step).toEqual(plan[1]);
    const after = [step('small', 'mock-basic'), step('custom', 'house-model')];
    expect(largerWindowStep(settings, after, 0).step).toBeUndefined();
  });
});
