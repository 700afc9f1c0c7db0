import type { ProviderInstanceSettings } from '../../shared/config/provider-settings.js';
import { loadSettings } from '../../shared/config/settings.js';
import { catalogueDate } from '../../shared/providers/catalogue.js';
import { ProviderRegistry } from '../../shared/providers/registry.js';
import type { CliContext } from '../context.js';
import { printJson, printTable } from '../output.js';

export function listProviders(options: { json?: boolean }, context: CliContext): void {
  const settings = loadSettings({ env: context.env });
  const registry = new ProviderRegistry(settings);
  const rows = registry.instances().map((instance) => ({
    name: instance.name,
    type: instance.type,
    defaultModel: instance.defaultModel,
    endpoint: endpointOf(instance.settings),
    key: keyStatus(instance.settings, context.env),
    models: instance.models.length,
    inDefaultOrder: settings.providerOrder.includes(instance.name),
  }));
  if (options.json) {
    printJson(
      { strategy: settings.strategy, providerOrder: settings.providerOrder, instances: rows },
      context.print,
    );
    return;
  }
  printTable(
    rows.map((row) => ({ ...row, inDefaultOrder: row.inDefaultOrder ? 'yes' : 'no' })),
    context.print,
  );
  context.print(
    `default strategy: ${settings.strategy}; default order: ${settings.providerOrder.join(', ')}`,
  );
}

export function listModels(options: { provider?: string; json?: boolean }, context: CliContext): void {
  const registry = new ProviderRegistry(loadSettings({ env: context.env }));
  const instances = options.provider
    ? [registry.instance(options.provider, '--provider')]
    : registry.instances();
  const models = instances.flatMap((instance) =>
    instance.models.map((model) => ({ instance: instance.name, ...model })),
  );
  if (options.json) {
    printJson({ catalogueDate, models }, context.print);
    return;
  }
  printTable(
    models.map((model) => ({
      instance: model.instance,
      model: model.id,
      'in $/M': model.inputPricePerMillion,
      'out $/M': model.outputPricePerMillion,
      context: model.contextWindow,
      capabilities: Object.entries(model.capabilities)
        .filter(([, strength]) => strength >= 3)
        .map(([name, strength]) => `${name}:${strength === 4 ? 'exceptional' : 'strong'}`)
        .join(' '),
    })),
    context.print,
  );
  context.print(`prices per million tokens, as of ${catalogueDate}; capabilities shown: strong and above`);
}

function endpointOf(settings: ProviderInstanceSettings): string {
  if (settings.type === 'openai') return settings.baseURL ?? 'https://api.openai.com/v1';
  if (settings.type === 'anthropic') return settings.baseURL ?? 'https://api.anthropic.com';
  if (settings.type === 'ollama') return settings.host ?? 'http://127.0.0.1:11434';
  return 'in-process';
}

function keyStatus(settings: ProviderInstanceSettings, env: CliContext['env']): string {
  if (settings.type === 'openai' || settings.type === 'anthropic') {
    return env[settings.apiKeyEnv] ? `${settings.apiKeyEnv} set` : `${settings.apiKeyEnv} missing`;
  }
  return 'not needed';
}
