import { type AddressGuardOptions, systemResolver } from '../net/address-guard.js';
import {
  calculatorTool,
  httpFetchTool,
  type KnowledgeSearch,
  knowledgeSearchTool,
} from './built-in-tools.js';
import { researchWorkflow } from './research-workflow.js';
import { ToolRegistry } from './tools.js';
import { WorkflowRegistry } from './workflow.js';

export interface BuiltInToolOptions {
  /** The knowledge tool's search (say, `client.knowledge.search` bound); without it the tool is left out. */
  search?: KnowledgeSearch;
  defaultCollection?: string;
  /** The `ATLAS_ALLOW_PRIVATE_URLS` setting. @default false */
  allowPrivateUrls?: boolean;
  resolve?: AddressGuardOptions['resolve'];
}

/** The built-in tools: calculator, knowledge search (when a search is given) and HTTP fetch. */
export function builtInTools(options: BuiltInToolOptions = {}): ToolRegistry {
  const registry = new ToolRegistry([
    calculatorTool,
    httpFetchTool({
      allowPrivate: options.allowPrivateUrls ?? false,
      resolve: options.resolve ?? systemResolver,
    }),
  ]);
  if (options.search) {
    registry.register(
      knowledgeSearchTool(options.search, {
        ...(options.defaultCollection ? { defaultCollection: options.defaultCollection } : {}),
      }),
    );
  }
  return registry;
}

/** The built-in workflows: `research` (controller–worker). */
export function builtInWorkflows(): WorkflowRegistry {
  return new WorkflowRegistry([researchWorkflow]);
}
