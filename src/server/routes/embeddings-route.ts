import { embeddingsRequestSchema, ServerEmbeddings } from '../openai/embeddings.js';
import type { RouteTable } from '../route-table.js';
import type { ServerContext } from '../server-context.js';

/** OpenAI-compatible `/v1/embeddings`, computed in this process through the instances' fleet breakers. */
export function embeddingsRoute(routes: RouteTable, context: ServerContext): ServerEmbeddings {
  const embeddings = new ServerEmbeddings(context);
  routes.add({
    method: 'POST',
    url: '/v1/embeddings',
    summary:
      "OpenAI-compatible embeddings, computed in the server process (not queued) through the instance's fleet breaker. `model`: an instance name (its default embedding model), instance/model, or an embedding model an instance serves.",
    tag: 'openai',
    body: embeddingsRequestSchema,
    responses: {
      200: 'A list of embeddings with usage',
      400: 'A field is wrong',
      404: 'Unknown model (`model_not_found`)',
      503: 'The instance is down or its breaker open',
    },
    handler: ({ body }) => embeddings.create(body),
  });
  return embeddings;
}
