import { createRequire } from 'node:module';

type AnthropicSdk = typeof import('@anthropic-ai/sdk').default;

const require = createRequire(import.meta.url);
let sdk: AnthropicSdk | undefined;

/** The `@anthropic-ai/sdk` SDK (its CommonJS build), loaded on first use so that importing Atlas does not load it. */
export function anthropicSdk(): AnthropicSdk {
  sdk ??= (require('@anthropic-ai/sdk') as { default: AnthropicSdk }).default;
  return sdk;
}

/** The SDK if it was loaded; an error cannot come from an SDK that was never loaded. */
export function anthropicSdkLoaded(): AnthropicSdk | undefined {
  return sdk;
}
