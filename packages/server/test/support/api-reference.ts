/**
 * The API reference (`GET /api/docs/json`) read as a list of operations, and requests made from
 * it: path parameters, query and body filled with values their schemas accept, with the ids of
 * objects taken from a table by kind. A test driven by it covers a route added later without
 * being told of it.
 */
import { expect } from 'vitest';

/** A JSON schema as the reference holds it (only what requests are made from). */
export interface JsonSchema {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  /** A reference with its own description or default: the one schema it wraps. */
  allOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  minItems?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  minimum?: number;
  exclusiveMinimum?: number;
  nullable?: boolean;
  default?: unknown;
}

interface Parameter {
  in: 'path' | 'query' | 'header' | 'cookie';
  name: string;
  required?: boolean;
  schema: JsonSchema;
}

interface OpenApiOperation {
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: JsonSchema }> };
  responses?: Record<string, { content?: Record<string, unknown> }>;
}

interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components?: { schemas?: Record<string, JsonSchema> };
}

/** One operation of the reference. */
export interface Operation {
  method: string;
  /** The path as the reference writes it: `/api/v1/tasks/{id}`. */
  path: string;
  parameters: Parameter[];
  body: JsonSchema | undefined;
  /** True when it answers 200 with a JSON body (a read a client can compare). */
  readsJson: boolean;
}

/** The ids of objects by kind (`repo`, `task`, `provider-key`…): what requests are filled with. */
export type IdTable = Record<string, string[]>;

/** A request made from an operation. */
export interface ExampleRequest {
  operation: Operation;
  method: string;
  /** Path and query: `/api/v1/tasks/task_…/files/content?path=README.md`. */
  url: string;
  body: unknown;
  /** The ids of the table the request carries, by where they are. */
  ids: { path: string[]; query: string[]; body: string[] };
}

/** The key of an operation, as the sweep's tables name it: `DELETE /api/v1/runners/{id}`. */
export function operationKey(operation: { method: string; path: string }): string {
  return `${operation.method} ${operation.path}`;
}

/**
 * The operations of the reference served by the server at `baseUrl`.
 *
 * @example
 * const { operations, schemas } = await readApiReference(server.url);
 */
export async function readApiReference(
  baseUrl: string,
): Promise<{ operations: Operation[]; schemas: Record<string, JsonSchema> }> {
  const response = await fetch(`${baseUrl}/api/docs/json`);
  expect(response.status).toBe(200);
  const doc = (await response.json()) as OpenApiDocument;
  const operations: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, operation] of Object.entries(methods)) {
      const ok = operation.responses?.['200'];
      operations.push({
        method: method.toUpperCase(),
        path,
        parameters: operation.parameters ?? [],
        body: operation.requestBody?.content['application/json']?.schema,
        readsJson: method === 'get' && Boolean(ok?.content?.['application/json']),
      });
    }
  }
  return { operations, schemas: doc.components?.schemas ?? {} };
}

/** `repos` → `repo`, `provider-keys` → `provider-key`, `branches` → `branch`. */
function singular(noun: string): string {
  if (/(x|ch|sh|ss)es$/.test(noun)) return noun.slice(0, -2);
  return noun.endsWith('s') ? noun.slice(0, -1) : noun;
}

/**
 * The kind of object a path parameter names: the literal segment before it
 * (`/tasks/{id}` → `task`, `/settings/provider-keys/{provider}` → `provider-key`), or its own name
 * when it says (`{taskId}` → `task`).
 */
function pathParamKind(path: string, name: string): string {
  const own = fieldKind(name);
  if (own) return own;
  const segments = path.split('/');
  const at = segments.indexOf(`{${name}}`);
  const before = segments[at - 1] ?? '';
  // A workspace's forge connection is named by its provider, not an id.
  if (name === 'provider' && before === 'connections') return 'forge-connection';
  return singular(before);
}

/** The kind of object a query or body field names by its name (`repoId` → `repo`), if any. */
function fieldKind(name: string): string | null {
  const match = /^([a-z][A-Za-z]*?)Ids?$/.exec(name);
  return match?.[1] ?? null;
}

function isList(name: string): boolean {
  return name.endsWith('Ids');
}

/** Every combination of one value per slot. */
function combinations(slots: string[][]): string[][] {
  return slots.reduce<string[][]>(
    (all, values) => all.flatMap((prefix) => values.map((value) => [...prefix, value])),
    [[]],
  );
}

/** Strings tried in turn for a string field; the first its schema accepts is taken. */
const STRING_CANDIDATES = ['idor-sweep', 'main', '0'.repeat(40)];

class ExampleMaker {
  constructor(
    private readonly schemas: Record<string, JsonSchema>,
    private readonly values: Record<string, unknown>,
  ) {}

  resolve(schema: JsonSchema): JsonSchema {
    if (!schema.$ref) return schema;
    const name = schema.$ref.split('/').at(-1) ?? '';
    const target = this.schemas[name];
    if (!target) throw new Error(`the reference has no schema ${schema.$ref}`);
    return this.resolve(target);
  }

  /**
   * A value the schema accepts. `ids` gives the value of each field that names a kind of object;
   * other optional fields are left out.
   */
  example(given: JsonSchema, name: string, ids: Map<string, string | string[]>): unknown {
    if (ids.has(name)) return ids.get(name);
    if (name in this.values) return this.values[name];
    const schema = this.resolve(given);
    const alternative = schema.oneOf?.[0] ?? schema.anyOf?.[0] ?? schema.allOf?.[0];
    if (alternative) return this.example(alternative, name, ids);
    if (schema.enum) return schema.enum[0];
    const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
    switch (type) {
      case 'object': {
        const body: Record<string, unknown> = {};
        const properties = Object.entries(schema.properties ?? {});
        for (const [field, property] of properties) {
          if (schema.required?.includes(field) || ids.has(field)) {
            body[field] = this.example(property, field, ids);
          }
        }
        // A body that says nothing may be refused (a change of nothing): give its first field.
        const [first] = properties;
        if (Object.keys(body).length === 0 && first) {
          body[first[0]] = this.example(first[1], first[0], ids);
        }
        return body;
      }
      case 'array': {
        const item = schema.items ?? {};
        return Array.from({ length: schema.minItems ?? 0 }, () => this.example(item, name, ids));
      }
      case 'integer':
      case 'number':
        return schema.exclusiveMinimum !== undefined
          ? schema.exclusiveMinimum + 1
          : (schema.minimum ?? 0);
      case 'boolean':
        return false;
      case 'string':
        return this.string(schema, name);
      default:
        if (schema.nullable) return null;
        throw new Error(`no example for ${name}: ${JSON.stringify(schema)}`);
    }
  }

  private string(schema: JsonSchema, name: string): string | null {
    if (schema.format === 'uri') return 'http://127.0.0.1:9/v1';
    if (schema.format === 'email') return 'someone@example.test';
    const min = schema.minLength ?? 0;
    const fits = (value: string) =>
      value.length >= min &&
      value.length <= (schema.maxLength ?? Infinity) &&
      (!schema.pattern || new RegExp(schema.pattern, 'u').test(value));
    const found = [...STRING_CANDIDATES, 'x'.repeat(Math.max(min, 1))].find(fits);
    if (found !== undefined) return found;
    if (schema.nullable) return null;
    throw new Error(`no example string for ${name}: ${JSON.stringify(schema)}`);
  }
}

/**
 * The requests that try an operation with the table's ids: one per combination of the ids of
 * the kinds its path parameters and id fields name (`repoId`, `sandboxIds`), with every other
 * required value made from its schema (or taken from `values`, by field name). Throws, naming the
 * operation, when it names a kind the table has no id of.
 *
 * @example
 * for (const example of examplesFor(operation, { task: [taskId] }, { schemas })) await call(example);
 */
export function examplesFor(
  operation: Operation,
  table: IdTable,
  {
    schemas,
    values = {},
  }: { schemas: Record<string, JsonSchema>; values?: Record<string, unknown> },
): ExampleRequest[] {
  const maker = new ExampleMaker(schemas, values);
  const idsOf = (kind: string, where: string): string[] => {
    const ids = table[kind];
    if (!ids || ids.length === 0) {
      throw new Error(
        `${operationKey(operation)}: ${where} names a "${kind}", and the sweep has no id of that ` +
          'kind: make one in its setup and add it to the table.',
      );
    }
    return ids;
  };

  type Slot = { where: 'path' | 'query' | 'body'; name: string; ids: string[]; list: boolean };
  const slots: Slot[] = [];
  for (const parameter of operation.parameters) {
    if (parameter.in === 'path') {
      const kind = pathParamKind(operation.path, parameter.name);
      slots.push({
        where: 'path',
        name: parameter.name,
        ids: idsOf(kind, `{${parameter.name}}`),
        list: false,
      });
    } else if (parameter.in === 'query') {
      const kind = fieldKind(parameter.name);
      if (kind) {
        slots.push({
          where: 'query',
          name: parameter.name,
          ids: idsOf(kind, `?${parameter.name}`),
          list: isList(parameter.name),
        });
      }
    }
  }
  const body = operation.body ? maker.resolve(operation.body) : undefined;
  for (const field of Object.keys(body?.properties ?? {})) {
    const kind = fieldKind(field);
    if (kind) {
      slots.push({
        where: 'body',
        name: field,
        ids: idsOf(kind, `body.${field}`),
        list: isList(field),
      });
    }
  }

  const single = slots.filter((slot) => !slot.list);
  const lists = slots.filter((slot) => slot.list);
  return combinations(single.map((slot) => slot.ids)).map((chosen) => {
    const pick = (where: Slot['where']) => {
      const picked = new Map<string, string | string[]>();
      single.forEach((slot, i) => {
        if (slot.where === where) picked.set(slot.name, chosen[i] ?? '');
      });
      for (const slot of lists) if (slot.where === where) picked.set(slot.name, slot.ids);
      return picked;
    };
    const pathIds = pick('path');
    const queryIds = pick('query');
    const bodyIds = pick('body');

    let url = operation.path.replace(/\{([^}]+)\}/g, (_, name: string) =>
      encodeURIComponent(String(pathIds.get(name))),
    );
    const query = new URLSearchParams();
    for (const parameter of operation.parameters) {
      if (parameter.in !== 'query') continue;
      if (!parameter.required && !queryIds.has(parameter.name)) continue;
      const value = maker.example(parameter.schema, parameter.name, queryIds);
      for (const item of Array.isArray(value) ? value : [value]) {
        query.append(parameter.name, String(item));
      }
    }
    if (query.size > 0) url += `?${query.toString()}`;

    const flat = (ids: Map<string, string | string[]>) => [...ids.values()].flat();
    return {
      operation,
      method: operation.method,
      url,
      body: body ? maker.example(body, '', bodyIds) : undefined,
      ids: { path: flat(pathIds), query: flat(queryIds), body: flat(bodyIds) },
    };
  });
}
