/**
 * Adds the change-notification shapes (subscription, changeNotification, changeNotificationCollection and what they
 * use) to both simulator schema additions, derived from Microsoft's Graph v1.0 metadata in the same style as the mail
 * shapes: strict (request bodies, unknown members rejected, enums case-insensitive) and lenient (responses).
 * They are written to the additions files beside this script; the shared schema files stay as they are.
 * Usage: npx tsx test/simulator/schema-additions/add-subscription-defs.ts /work/shared/graph-schemas/source/cleanMetadata.v1.xml
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

type Json = Record<string, unknown>;

interface Property {
  name: string;
  type: string;
  nullable: boolean;
}

interface TypeDef {
  kind: 'EntityType' | 'ComplexType' | 'EnumType';
  base?: string;
  open: boolean;
  properties: Property[];
  members: string[];
}

/** Entity, complex and enum types named here are copied; the wrappers below are wire shapes, not metadata types. */
const TYPES = [
  'subscription',
  'changeNotification',
  'changeNotificationCollection',
  'changeNotificationEncryptedContent',
  'resourceData',
  'changeType',
  'lifecycleEventType',
];

function readType(xml: string, name: string): TypeDef {
  const open = new RegExp(`<(EntityType|ComplexType|EnumType) Name="${name}"([^>]*)>([\\s\\S]*?)</\\1>`);
  const selfClosing = new RegExp(`<(ComplexType) Name="${name}"([^>]*)/>`);
  const found = selfClosing.exec(xml) ?? open.exec(xml);
  if (!found) throw new Error(`metadata has no type ${name}`);
  const [, kind, attributes, body = ''] = found;
  const properties = [...body.matchAll(/<Property Name="([^"]+)" Type="([^"]+)"([^>]*)\/>/g)].map((m) => ({
    name: m[1],
    type: m[2],
    nullable: !/Nullable="false"/.test(m[3]),
  }));
  const members = [...body.matchAll(/<Member Name="([^"]+)"/g)].map((m) => m[1]);
  return {
    kind: kind as TypeDef['kind'],
    base: /BaseType="graph\.([^"]+)"/.exec(attributes)?.[1],
    open: /OpenType="true"/.test(attributes),
    properties,
    members,
  };
}

function caseInsensitive(value: string): string {
  return value.replace(/[a-z]/gi, (c) => `[${c.toLowerCase()}${c.toUpperCase()}]`);
}

function scalar(type: string): Json {
  switch (type) {
    case 'Edm.String':
      return { type: 'string' };
    case 'Edm.Boolean':
      return { type: 'boolean' };
    case 'Edm.DateTimeOffset':
      return { type: 'string', format: 'date-time' };
    case 'Edm.Guid':
      return { type: 'string', format: 'uuid' };
    case 'Edm.Int32':
      return { type: 'integer', minimum: -2147483648, maximum: 2147483647 };
  }
  const graph = /^graph\.(.+)$/.exec(type);
  if (!graph) throw new Error(`no JSON Schema for ${type}`);
  return { $ref: `#/$defs/${graph[1]}` };
}

function propertySchema(property: Property): Json {
  const collection = /^Collection\((.+)\)$/.exec(property.type);
  const schema = collection ? { type: 'array', items: scalar(collection[1]) } : scalar(property.type);
  return property.nullable ? { anyOf: [schema, { type: 'null' }] } : schema;
}

function defOf(def: TypeDef, name: string, strict: boolean): Json {
  if (def.kind === 'EnumType') {
    return strict
      ? {
          type: 'string',
          pattern: `^(?:${def.members.map(caseInsensitive).join('|')})$`,
          description: `enum ${name}: ${JSON.stringify(def.members).replace(/","/g, "', '").replace(/"/g, "'")} (case-insensitive on input)`,
        }
      : { type: 'string', enum: def.members };
  }
  const properties: Json = {};
  if (def.base === 'entity') properties.id = { type: 'string' };
  for (const property of def.properties) properties[property.name] = propertySchema(property);
  const schema: Json = {
    type: 'object',
    properties,
    'x-baseTypes': def.base ? [def.base] : [],
    patternProperties: { '^@': {}, '@odata\\.': {} },
  };
  if (strict && !def.open) schema.additionalProperties = false;
  return schema;
}

/** The list answer of GET /subscriptions, shaped like the other collection wrappers. */
function collectionResponse(strict: boolean): Json {
  const schema: Json = {
    type: 'object',
    required: ['value'],
    properties: {
      '@odata.context': { type: 'string' },
      '@odata.nextLink': { type: 'string', format: 'uri' },
      value: { type: 'array', items: { $ref: '#/$defs/subscription' } },
    },
    patternProperties: { '^@': {}, '@odata\\.': {} },
  };
  if (strict) schema.additionalProperties = false;
  return schema;
}

function main(): void {
  const source = process.argv[2];
  if (!source) throw new Error('usage: add-subscription-defs.ts <cleanMetadata.v1.xml>');
  const xml = fs.readFileSync(source, 'utf8');
  const types = Object.fromEntries(TYPES.map((name) => [name, readType(xml, name)]));
  for (const [file, strict] of [
    ['graph-mail.v1.strict.additions.json', true],
    ['graph-mail.v1.additions.json', false],
  ] as const) {
    const target = path.join(__dirname, file);
    const schema = JSON.parse(fs.readFileSync(target, 'utf8')) as { $defs: Json };
    for (const name of TYPES) schema.$defs[name] = defOf(types[name], name, strict);
    schema.$defs.subscriptionCollectionResponse = collectionResponse(strict);
    schema.$defs = Object.fromEntries(Object.entries(schema.$defs).sort(([a], [b]) => a.localeCompare(b)));
    fs.writeFileSync(target, `${JSON.stringify(schema, null, 1)}\n`);
  }
}

main();
