import { type Environment, urlFromEnvironment } from './environment.js';
import { type ProviderInstanceSettings, parseInstance } from './provider-settings.js';

const builtInOrder = ['openai', 'anthropic', 'ollama', 'mock'];

/** The instances that exist with no settings file, configured from their usual environment variables. */
export function builtInInstances(env: Environment): Record<string, ProviderInstanceSettings> {
  return {
    openai: parseInstance({ type: 'openai', baseURL: urlFromEnvironment(env, 'OPENAI_BASE_URL') }, 'openai'),
    anthropic: parseInstance(
      { type: 'anthropic', baseURL: urlFromEnvironment(env, 'ANTHROPIC_BASE_URL') },
      'anthropic',
    ),
    ollama: parseInstance({ type: 'ollama', host: ollamaHost(env) }, 'ollama'),
    mock: parseInstance({ type: 'mock' }, 'mock'),
  };
}

/** Built-in instance names first, in their usual order, then the rest as configured. */
export function defaultOrder(names: string[]): string[] {
  const rank = (name: string) => {
    const index = builtInOrder.indexOf(name);
    return index === -1 ? 99 : index;
  };
  return [...names].sort((a, b) => rank(a) - rank(b));
}

/** OLLAMA_HOST is often given without a scheme (`127.0.0.1:11434`), as Ollama itself accepts. */
function ollamaHost(env: Environment): string | undefined {
  const value = env['OLLAMA_HOST']?.trim();
  if (!value) return undefined;
  return urlFromEnvironment(
    { OLLAMA_HOST: /^https?:\/\//.test(value) ? value : `http://${value}` },
    'OLLAMA_HOST',
  );
}
