import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import * as z from 'zod';
import { parseWith } from '../shared/parse-with.js';

type Method = 'GET' | 'POST' | 'DELETE';

export interface RouteContext<Body, Query> {
  body: Body;
  query: Query;
  params: Record<string, string>;
  request: FastifyRequest;
  reply: FastifyReply;
}

export interface RouteDefinition<Body extends z.ZodType, Query extends z.ZodType> {
  method: Method;
  /** Fastify's form: `/v1/requests/:id`. */
  url: string;
  summary: string;
  tag: string;
  body?: Body;
  query?: Query;
  /** Status codes and what they mean, for the OpenAPI document. @default {200: 'OK'} */
  responses?: Record<number, string>;
  /** Content type of a success, when it is not JSON (`text/event-stream`, `text/html`). */
  produces?: string;
  handler(context: RouteContext<z.output<Body>, z.output<Query>>): Promise<unknown> | unknown;
}

interface Documented {
  method: Method;
  url: string;
  summary: string;
  tag: string;
  body?: z.ZodType;
  query?: z.ZodType;
  responses: Record<number, string>;
  produces?: string;
}

/**
 * Registers routes whose body and query are checked with zod (a wrong field is a 400 naming it), and
 * keeps each one so the OpenAPI document lists exactly the routes the server has.
 */
export class RouteTable {
  private readonly documented: Documented[] = [];

  constructor(private readonly app: FastifyInstance) {}

  add<Body extends z.ZodType = z.ZodUnknown, Query extends z.ZodType = z.ZodUnknown>(
    definition: RouteDefinition<Body, Query>,
  ): void {
    const { method, url, summary, tag, body, query, responses = { 200: 'OK' }, produces } = definition;
    this.documented.push({
      method,
      url,
      summary,
      tag,
      responses,
      ...(body ? { body } : {}),
      ...(query ? { query } : {}),
      ...(produces ? { produces } : {}),
    });
    this.app.route({
      method,
      url,
      handler: async (request, reply) => {
        const parsedBody = body ? parseWith(body, request.body ?? {}, 'body') : request.body;
        const parsedQuery = query ? parseWith(query, request.query ?? {}, 'query') : request.query;
        return definition.handler({
          body: parsedBody as z.output<Body>,
          query: parsedQuery as z.output<Query>,
          params: request.params as Record<string, string>,
          request,
          reply,
        });
      },
    });
  }

  /** Documents a route registered by something else (Bull Board's UI), so the document names it too. */
  note(method: Method, url: string, summary: string, tag: string, produces = 'text/html'): void {
    this.documented.push({ method, url, summary, tag, responses: { 200: 'OK' }, produces });
  }

  openApi(info: { title: string; version: string }): object {
    const paths: Record<string, Record<string, object>> = {};
    for (const route of this.documented) {
      const path = route.url.replace(/:([A-Za-z]+)/g, '{$1}');
      const parameters = [
        ...[...route.url.matchAll(/:([A-Za-z]+)/g)].map((match) => ({
          name: match[1],
          in: 'path',
          required: true,
          schema: { type: 'string' },
        })),
        ...queryParameters(route.query),
      ];
      paths[path] ??= {};
      paths[path][route.method.toLowerCase()] = {
        summary: route.summary,
        tags: [route.tag],
        ...(parameters.length ? { parameters } : {}),
        ...(route.body
          ? {
              requestBody: {
                required: true,
                content: { 'application/json': { schema: jsonSchema(route.body, 'input') } },
              },
            }
          : {}),
        responses: Object.fromEntries(
          Object.entries(route.responses).map(([status, description]) => [
            status,
            {
              description,
              ...(Number(status) < 300
                ? { content: { [route.produces ?? 'application/json']: {} } }
                : { content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } }),
            },
          ]),
        ),
      };
    }
    return {
      openapi: '3.1.0',
      info,
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
        schemas: {
          Error: {
            type: 'object',
            required: ['error'],
            properties: {
              error: {
                type: 'object',
                properties: {
                  message: { type: 'string' },
                  type: { type: 'string' },
                  code: { type: 'string' },
                  param: { type: ['string', 'null'] },
                },
              },
            },
          },
        },
      },
      security: [{ bearer: [] }],
      paths,
    };
  }
}

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): object {
  try {
    const { $schema: _schema, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<
      string,
      unknown
    >;
    return rest;
  } catch {
    return {};
  }
}

function queryParameters(query: z.ZodType | undefined): object[] {
  if (!query) return [];
  const schema = jsonSchema(query, 'input') as { properties?: Record<string, object>; required?: string[] };
  return Object.entries(schema.properties ?? {}).map(([name, property]) => ({
    name,
    in: 'query',
    required: schema.required?.includes(name) ?? false,
    schema: property,
  }));
}
