import { createRequire } from 'node:module';

type OpenAISdk = typeof import('openai').default;

const require = createRequire(import.meta.url);
let sdk: OpenAISdk | undefined;

/** The `openai` SDK (its CommonJS build), loaded on first use so that importing Atlas does not load it. */
export function openAISdk(): OpenAISdk {
  sdk ??= (require('openai') as { default: OpenAISdk }).default;
  return sdk;
}

/** The SDK if it was loaded; an error cannot come from an SDK that was never loaded. */
export function openAISdkLoaded(): OpenAISdk | undefined {
  return sdk;
}
