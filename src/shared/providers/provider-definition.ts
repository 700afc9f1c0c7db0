import type * as z from 'zod';
import type { Environment } from '../config/environment.js';
import type { ModelInfo } from './model-info.js';
import type { Provider } from './provider.js';

/** What a factory gets: the instance's name and parsed settings, the catalogue, a key given in code. */
export interface ProviderFactoryOptions<Settings> {
  name: string;
  settings: Settings;
  catalogue: readonly ModelInfo[];
  /** Key given in code instead of through the environment variable the settings name. */
  apiKey?: string;
}

/**
 * Everything Atlas knows about one provider type, in one place: the settings union, `createProvider`,
 * model-name detection, the cost ranks and the built-in catalogue are all derived from the list of
 * these (`provider-definitions.ts`). A factory must not load its SDK when its module loads: the client
 * entry imports every definition.
 */
export interface ProviderDefinition<
  Schema extends z.ZodType<{ type: string }> = z.ZodType<{ type: string }>,
> {
  /** The `type` of an instance's settings. */
  readonly type: z.output<Schema>['type'];
  /** An instance's settings (`type` a literal); built from `commonInstanceFields`. */
  readonly settingsSchema: Schema;
  /** Builds a provider for one instance. Synchronous; the SDK loads on the first call. */
  create(options: ProviderFactoryOptions<z.output<Schema>>): Provider;
  /** The built-in catalogue entries of this type. */
  readonly models: readonly ModelInfo[];
  /** Used when neither the request nor the instance names a model. No `embedding`: this type cannot embed. */
  readonly defaultModels: { chat: string; embedding?: string };
  /** Breaks ties between equally priced candidates: lower is cheaper (the seed's mock 0 < ollama 1 < openai 2 < anthropic 3). */
  readonly costRank: number;
  /** Whether a model name belongs to this type (`gpt-4o` → openai), as the seed's detect_provider_from_model. */
  detect(model: string): boolean;
  /** The settings of the built-in instance of this type, from the usual environment variables. */
  fromEnvironment(env: Environment): Record<string, unknown>;
}
