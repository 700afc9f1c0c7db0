import { AtlasClient } from '../../producer/atlas-client.js';
import type { CliContext } from '../context.js';
import { printJson, printTable } from '../output.js';
import { openRuntime } from '../runtime.js';

/** `atlas tools`: what live agent workers publish. */
export async function listTools(options: { json?: boolean }, context: CliContext): Promise<void> {
  const runtime = await openRuntime({ startRedisIfMissing: false, context });
  const client = new AtlasClient({ settings: runtime.settings });
  try {
    const tools = await client.workflows.tools();
    if (options.json) return printJson(tools, context.print);
    if (tools.length === 0) {
      context.print('no agent worker is running (start one with `atlas worker --agent`)');
      return;
    }
    printTable(
      tools.map((tool) => {
        const properties = Object.keys(
          ((tool.parameters as { properties?: object } | undefined)?.properties ?? {}) as object,
        );
        return {
          tool: tool.name,
          input: properties.join(', '),
          workers: tool.workers,
          description: tool.description,
        };
      }),
      context.print,
    );
  } finally {
    await client.close();
    await runtime.close();
  }
}
