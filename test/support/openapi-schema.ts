import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

type Schema = Record<string, any>;

/** Qdrant's own OpenAPI document (test/fixtures/qdrant; its source is named in its README). */
const document = JSON.parse(
  readFileSync(
    join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'qdrant', 'openapi-v1.18.3.json'),
    'utf8',
  ),
) as { components: { schemas: Record<string, Schema> }; paths: Record<string, Record<string, Schema>> };

/** Checks a request body against the schema the document gives for that method and path. */
export function qdrantRequestErrors(method: string, path: string, body: unknown): string[] {
  const cleanPath = path.split('?')[0]!;
  // Literal segments win over parameters: /points/count is not /points/{id}.
  const templates = Object.entries(document.paths).sort(
    ([a], [b]) => a.split('{').length - b.split('{').length,
  );
  for (const [template, operations] of templates) {
    const pattern = new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`);
    if (!pattern.test(cleanPath)) continue;
    const operation = operations[method.toLowerCase()];
    if (!operation) return [`${method} ${template}: no such operation in the document`];
    const schema = operation['requestBody']?.['content']?.['application/json']?.['schema'] as
      | Schema
      | undefined;
    if (!schema) return body === undefined ? [] : [`${method} ${template}: the document defines no body`];
    return check(schema, body, `${method} ${template}`);
  }
  return [`${method} ${cleanPath}: no such path in the document`];
}

/**
 * Checks a value against a named schema of the document (OpenAPI 3.0: $ref, anyOf/oneOf/allOf, types,
 * nullable, enum, required, properties, additionalProperties, items). Returns the errors; none means valid.
 */
export function qdrantSchemaErrors(schemaName: string, value: unknown): string[] {
  const schema = document.components.schemas[schemaName];
  if (!schema) return [`no schema ${schemaName} in the document`];
  return check(schema, value, schemaName);
}

function check(schema: Schema, value: unknown, path: string): string[] {
  if (schema['$ref']) {
    const name = String(schema['$ref']).split('/').at(-1)!;
    return check(document.components.schemas[name]!, value, path);
  }
  if (value === null) return schema['nullable'] ? [] : [`${path}: null is not allowed`];
  for (const key of ['anyOf', 'oneOf'] as const) {
    if (schema[key]) {
      const options = (schema[key] as Schema[]).filter(
        (option) => !(option['nullable'] && Object.keys(option).length === 1),
      );
      const results = options.map((option) => check(option, value, path));
      if (results.some((errors) => errors.length === 0)) return [];
      return [`${path}: matches none of ${key} (${results.map((errors) => errors[0]).join(' | ')})`];
    }
  }
  if (schema['allOf']) return (schema['allOf'] as Schema[]).flatMap((part) => check(part, value, path));
  if (schema['enum'] && !(schema['enum'] as unknown[]).includes(value))
    return [`${path}: ${JSON.stringify(value)} not in enum`];
  switch (schema['type']) {
    case 'object': {
      if (typeof value !== 'object' || Array.isArray(value)) return [`${path}: expected an object`];
      const record = value as Record<string, unknown>;
      const errors = ((schema['required'] as string[] | undefined) ?? [])
        .filter((key) => !(key in record))
        .map((key) => `${path}: missing ${key}`);
      const properties = (schema['properties'] ?? {}) as Record<string, Schema>;
      for (const [key, child] of Object.entries(record)) {
        if (properties[key]) errors.push(...check(properties[key], child, `${path}.${key}`));
        else if (
          schema['additionalProperties'] === false ||
          (!schema['additionalProperties'] && Object.keys(properties).length > 0)
        ) {
          errors.push(`${path}: unknown property ${key}`);
        } else if (typeof schema['additionalProperties'] === 'object')
          errors.push(...check(schema['additionalProperties'], child, `${path}.${key}`));
      }
      return errors;
    }
    case 'array':
      if (!Array.isArray(value)) return [`${path}: expected an array`];
      return value.flatMap((item, index) =>
        schema['items'] ? check(schema['items'], item, `${path}[${index}]`) : [],
      );
    case 'string':
      return typeof value === 'string' ? [] : [`${path}: expected a string`];
    case 'integer':
      return Number.isInteger(value) ? [] : [`${path}: expected an integer`];
    case 'number':
      return typeof value === 'number' ? [] : [`${path}: expected a number`];
    case 'boolean':
      return typeof value === 'boolean' ? [] : [`${path}: expected a boolean`];
    default:
      return [];
  }
}
