import * as z from 'zod';
import { ConfigError } from '../errors.js';
import { parseWith } from '../parse-with.js';
import { providerDefinitions } from '../providers/provider-definitions.js';

export type { AnthropicInstanceSettings } from '../providers/anthropic/anthropic-settings.js';
export type { MockFailure, MockInstanceSettings, MockRule } from '../providers/mock/mock-settings.js';
export type { OllamaInstanceSettings } from '../providers/ollama/ollama-settings.js';
export type { OpenAIInstanceSettings } from '../providers/openai/openai-settings.js';
export {
  breakerSchema,
  commonInstanceFields,
  type ModelEntrySettings,
  modelEntrySchema,
  rateLimitSchema,
} from './instance-fields.js';

type Definitions = typeof providerDefinitions;

export type ProviderType = Definitions[number]['type'];
export const providerTypes = providerDefinitions.map((definition) => definition.type) as ProviderType[];

/** An instance's name becomes part of its queue's name. */
export const instanceName = z
  .string()
  .regex(/^[A-Za-z0-9_-]+$/, 'expected letters, digits, "_" or "-" (it becomes part of a queue name)');

type SchemaOf<Definition> = Definition extends { settingsSchema: infer Schema } ? Schema : never;
type SchemasOf<List extends readonly unknown[]> = { -readonly [Index in keyof List]: SchemaOf<List[Index]> };
type SettingsSchemas = SchemasOf<Definitions>;

/** An instance's settings: one schema per provider type, told apart by `type`. */
export const providerInstanceSchema = z.discriminatedUnion(
  'type',
  providerDefinitions.map((definition) => definition.settingsSchema) as unknown as SettingsSchemas,
);
export type ProviderInstanceSettings = z.output<typeof providerInstanceSchema>;
export type ProviderInstanceInput = z.input<typeof providerInstanceSchema>;

export function parseInstance(input: unknown, name: string): ProviderInstanceSettings {
  return parseWith(providerInstanceSchema, input, `providers.${name}`, ConfigError);
}
