import { providerDefinitions } from '../providers/provider-definitions.js';
import type { Environment } from './environment.js';
import { type ProviderInstanceSettings, parseInstance } from './provider-settings.js';

/** The instances that exist with no settings file, one per provider type, from their usual environment variables. */
export function builtInInstances(env: Environment): Record<string, ProviderInstanceSettings> {
  return Object.fromEntries(
    providerDefinitions.map((definition) => [
      definition.type,
      parseInstance({ ...definition.fromEnvironment(env), type: definition.type }, definition.type),
    ]),
  );
}

/** Built-in instance names first, in their usual order, then the rest as configured. */
export function defaultOrder(names: string[]): string[] {
  const builtInOrder: readonly string[] = providerDefinitions.map((definition) => definition.type);
  const rank = (name: string) => {
    const index = builtInOrder.indexOf(name);
    return index === -1 ? 99 : index;
  };
  return [...names].sort((a, b) => rank(a) - rank(b));
}
