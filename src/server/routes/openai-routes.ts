import type { AtlasClient } from '../../producer/atlas-client.js';
import { AtlasError } from '../../shared/errors.js';
import { ProviderRegistry } from '../../shared/providers/registry.js';
import { errorReply } from '../http-error.js';
import { chatCompletionRequestSchema, toGenerationRequest } from '../openai/chat-request.js';
import { ChunkWriter, chatCompletionOf } from '../openai/chat-response.js';
import type { RouteTable } from '../route-table.js';
import { openSse } from '../sse.js';

/**
 * OpenAI's Chat Completions and Models APIs, so any OpenAI client can use Atlas: each completion is an
 * Atlas request, queued, with failover, breakers and durability.
 */
export function openAiRoutes(routes: RouteTable, client: AtlasClient): void {
  const tag = 'openai';
  const registry = new ProviderRegistry(client.settings);

  routes.add({
    method: 'POST',
    url: '/v1/chat/completions',
    summary:
      'OpenAI-compatible chat completion through the queue. `model`: an instance name, instance/model, a model an instance serves, or `atlas`; the `atlas` field adds providers, strategy, task type, capabilities, deadline.',
    tag,
    body: chatCompletionRequestSchema,
    produces: 'application/json or text/event-stream',
    responses: {
      200: 'chat.completion, or chat.completion.chunk events when `stream` is true',
      400: 'A field is wrong',
      503: 'Every instance failed',
      504: 'Past the deadline',
    },
    handler: async ({ body, request, reply }) => {
      const generation = toGenerationRequest(body, registry);
      const created = Math.floor(Date.now() / 1000);
      const requestId = await client.submit(generation);
      if (!body.stream) return chatCompletionOf(requestId, await client.wait(requestId), created);

      const sse = openSse(request, reply);
      const writer = new ChunkWriter(requestId, created, body.model);
      const send = (value: object, id?: string) => sse.send(JSON.stringify(value), id ? { id } : {});
      try {
        send(writer.chunk({ role: 'assistant', content: '', refusal: null }));
        for await (const event of client.stream({ requestId }, { signal: sse.signal })) {
          if (event.type === 'text-delta') send(writer.chunk({ content: event.data.text }), event.id);
          // Text already streamed is void; OpenAI's format cannot take it back, so it is said in `atlas`.
          else if (event.type === 'reset')
            send(writer.chunk({}, null, { atlas: { event: 'reset' } }), event.id);
          else if (event.type === 'completed') {
            for (const chunk of writer.finish(event.data.result, Boolean(body.stream_options?.include_usage)))
              send(chunk, event.id);
            sse.send('[DONE]');
          } else if (event.type === 'failed') {
            const { kind, message } = event.data.error;
            send(errorReply(new AtlasError(kind, message)).body);
          }
        }
      } catch (error) {
        if (!sse.signal.aborted) send(errorReply(error).body);
      } finally {
        sse.end();
      }
    },
  });

  routes.add({
    method: 'GET',
    url: '/v1/models',
    summary: 'OpenAI-compatible model list: every configured instance, and every instance/model pair.',
    tag,
    handler: () => ({
      object: 'list',
      data: registry.instances().flatMap((instance) => [
        { id: instance.name, object: 'model', created: 0, owned_by: `atlas:${instance.type}` },
        ...instance.models
          .filter((model) => model.embeddingDimensions === undefined)
          .map((model) => ({
            id: `${instance.name}/${model.id}`,
            object: 'model',
            created: 0,
            owned_by: `atlas:${instance.type}`,
          })),
      ]),
    }),
  });
}
