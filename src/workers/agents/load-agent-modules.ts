import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AnyTool } from '../../shared/agents/tools.js';
import type { AnyWorkflow } from '../../shared/agents/workflow.js';
import { ConfigError } from '../../shared/errors.js';

export interface AgentDefinitions {
  workflows: AnyWorkflow[];
  tools: AnyTool[];
}

/**
 * Imports the modules named in `agents.modules`: each gives `workflows` and `tools` arrays, as named
 * exports or as properties of its default export. A path is taken from the working directory; a bare
 * name is imported as a package.
 */
export async function loadAgentModules(modules: readonly string[]): Promise<AgentDefinitions> {
  const found: AgentDefinitions = { workflows: [], tools: [] };
  for (const [index, specifier] of modules.entries()) {
    const target =
      specifier.startsWith('.') || isAbsolute(specifier) ? pathToFileURL(resolve(specifier)).href : specifier;
    let loaded: Record<string, unknown>;
    try {
      loaded = (await import(target)) as Record<string, unknown>;
    } catch (error) {
      throw new ConfigError(
        `agents.modules[${index}]`,
        `cannot import '${specifier}': ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    const fallback = loaded['default'];
    const source =
      loaded['workflows'] === undefined && loaded['tools'] === undefined && typeof fallback === 'object'
        ? (fallback as Record<string, unknown>)
        : loaded;
    const workflows = source['workflows'] ?? [];
    const tools = source['tools'] ?? [];
    if (!Array.isArray(workflows) || !Array.isArray(tools)) {
      throw new ConfigError(
        `agents.modules[${index}]`,
        `'${specifier}': expected workflows and tools arrays`,
      );
    }
    if (workflows.length === 0 && tools.length === 0) {
      throw new ConfigError(`agents.modules[${index}]`, `'${specifier}' exports no workflows and no tools`);
    }
    found.workflows.push(...(workflows as AnyWorkflow[]));
    found.tools.push(...(tools as AnyTool[]));
  }
  return found;
}
