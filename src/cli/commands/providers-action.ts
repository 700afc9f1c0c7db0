import type { ProviderInstanceSettings } from '../../shared/config/provider-settings.js';
import { loadSettings } from '../../shared/config/settings.js';
import { AtlasError } from '../../shared/errors.js';
import { catalogueDate } from '../../shared/providers/catalogue.js';
import { providerFromSettings } from '../../shared/providers/create-provider.js';
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

/** How long one instance's check may take. */
const checkTimeoutMs = 10_000;

/**
 * Calls every configured instance's health check at once (for OpenAI and Anthropic a model listing,
 * which needs a valid key; for Ollama its tags), and prints one line each. Exit status 1 if any failed.
 */
export async function checkProviders(options: { json?: boolean }, context: CliContext): Promise<void> {
  const settings = loadSettings({ env: context.env });
  const reports = await Promise.all(
    Object.entries(settings.providers).map(async ([name, instance]) => {
      const apiKey =
        instance.type === 'openai' || instance.type === 'anthropic'
          ? context.env[instance.apiKeyEnv]
          : undefined;
      const provider = providerFromSettings(name, instance, undefined, apiKey);
      const report = await provider.checkHealth(AbortSignal.timeout(checkTimeoutMs));
      return { name, type: instance.type, endpoint: endpointOf(instance), ...report };
    }),
  );
  if (options.json) printJson({ instances: reports }, context.print);
  else
    printTable(
      reports.map((report) => ({
        name: report.name,
        type: report.type,
        endpoint: report.endpoint,
        status: report.ok ? 'ok' : `${report.error?.kind ?? 'failed'}: ${report.error?.message ?? ''}`,
        ms: Math.round(report.latencyMs),
      })),
      context.print,
    );
  const failed = reports.filter((report) => !report.ok).map((report) => report.name);
  if (failed.length > 0)
    throw new AtlasError('unavailable', `the health check failed for ${failed.join(', ')}`);
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
