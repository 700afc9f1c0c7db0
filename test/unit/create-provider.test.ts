import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/shared/errors.js';
import { createProvider } from '../../src/shared/providers/create-provider.js';

describe('createProvider', () => {
  it('builds an instance from a type, or detects the type from a model name', () => {
    expect(createProvider({ type: 'mock' })).toMatchObject({
      name: 'mock',
      type: 'mock',
      defaultModel: 'mock-standard',
    });
    expect(
      createProvider({ model: 'claude-3-5-haiku-20241022', apiKey: 'sk-ant-test-key-1234' }),
    ).toMatchObject({
      type: 'anthropic',
      defaultModel: 'claude-3-5-haiku-20241022',
    });
    expect(
      createProvider({ name: 'local', model: 'llama3.1', settings: { host: 'http://127.0.0.1:11435' } }),
    ).toMatchObject({
      name: 'local',
      type: 'ollama',
    });
    expect(createProvider({ name: 'mock-b', type: 'mock', settings: { latencyMs: 5 } }).name).toBe('mock-b');
  });

  it('says what it needs when it cannot tell the provider, or a setting is wrong', () => {
    expect(() => createProvider({ model: 'gemini-pro' })).toThrow(ValidationError);
    expect(() => createProvider({ model: 'gemini-pro' })).toThrow(
      /model: cannot tell the provider of model 'gemini-pro'/,
    );
    expect(() => createProvider({})).toThrow(/type: expected a provider type/);
    expect(() => createProvider({ type: 'mock', settings: { latencyMs: -1 } })).toThrow(
      /providers\.mock\.latencyMs/,
    );
  });
});
