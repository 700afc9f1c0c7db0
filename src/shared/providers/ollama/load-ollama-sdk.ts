import { createRequire } from 'node:module';

type OllamaClass = typeof import('ollama').Ollama;

const require = createRequire(import.meta.url);
let sdk: OllamaClass | undefined;

/** The `ollama` client class (its CommonJS build), loaded on first use so that importing Atlas does not load it. */
export function ollamaClient(): OllamaClass {
  sdk ??= (require('ollama') as { Ollama: OllamaClass }).Ollama;
  return sdk;
}
