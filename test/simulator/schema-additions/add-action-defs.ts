/**
 * Adds the request bodies of the message actions the mail-action node and the answer modes of mail out use (copy,
 * createReply, createReplyAll, createForward) to the simulator's schema additions, derived from the parameters of the bound actions in
 * Microsoft's Graph v1.0 metadata, in the style of the existing moveRequest and sendMailRequest: parameter names match
 * case-insensitively (Graph binds them so), unknown members are refused, a parameter with Nullable="false" is
 * required; the lenient file, like its moveRequest, lets unknown members pass.
 * They are written to the additions files beside this script; the shared schema files stay as they are.
 * Usage: npx tsx test/simulator/schema-additions/add-action-defs.ts /work/shared/graph-schemas/source/cleanMetadata.v1.xml
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

type Json = Record<string, unknown>;

interface Parameter {
  name: string;
  type: string;
  nullable: boolean;
}

/** Action name -> the `$defs` name of its request body. */
const ACTIONS: Record<string, string> = {
  copy: 'copyRequest',
  createReply: 'createReplyRequest',
  createReplyAll: 'createReplyAllRequest',
  createForward: 'createForwardRequest',
};

/** The parameters (binding parameter left out) of the action `name` bound to graph.message. */
function readActionParameters(xml: string, name: string): Parameter[] {
  const actions = new RegExp(`<Action Name="${name}"[^>]*>([\\s\\S]*?)</Action>`, 'g');
  for (const match of xml.matchAll(actions)) {
    const body = match[1];
    if (!/<Parameter Name="bindingParameter" Type="graph\.message"\s*\/>/.test(body)) continue;
    return [...body.matchAll(/<Parameter Name="([^"]+)" Type="([^"]+)"([^>]*?)\/?>/g)]
      .filter((m) => m[1] !== 'bindingParameter')
      .map((m) => ({ name: m[1], type: m[2], nullable: !/Nullable="false"/.test(m[3]) }));
  }
  throw new Error(`metadata has no action ${name} bound to graph.message`);
}

function caseInsensitive(value: string): string {
  return value.replace(/[a-z]/gi, (c) => `[${c.toLowerCase()}${c.toUpperCase()}]`);
}

function typeSchema(type: string): Json {
  const collection = /^Collection\((.+)\)$/.exec(type);
  if (collection) return { type: 'array', items: typeSchema(collection[1]) };
  if (type === 'Edm.String') return { type: 'string' };
  if (type === 'Edm.Boolean') return { type: 'boolean' };
  const graph = /^graph\.(.+)$/.exec(type);
  if (!graph) throw new Error(`no JSON Schema for ${type}`);
  return { $ref: `#/$defs/${graph[1]}` };
}

/** The body of one action: `{ "<Parameter>": ... }`, names case-insensitive, the non-nullable ones required. */
function requestDef(parameters: Parameter[], strict: boolean): Json {
  const patternProperties: Json = {};
  const required: Json[] = [];
  for (const p of parameters) {
    const pattern = `^${caseInsensitive(p.name)}$`;
    const schema = typeSchema(p.type);
    patternProperties[pattern] = p.nullable ? { anyOf: [schema, { type: 'null' }] } : schema;
    if (!p.nullable) required.push({ not: { propertyNames: { not: { pattern } } } });
  }
  const def: Json = { type: 'object', patternProperties };
  if (strict) def.additionalProperties = false;
  if (required.length) def.allOf = required;
  return def;
}

function main(): void {
  const [source] = process.argv.slice(2);
  if (!source) throw new Error('usage: add-action-defs.ts <cleanMetadata.v1.xml>');
  const xml = fs.readFileSync(source, 'utf8');
  const parameters = Object.entries(ACTIONS).map(
    ([action, def]) => [def, readActionParameters(xml, action)] as const,
  );
  for (const [file, strict] of [
    ['graph-mail.v1.strict.additions.json', true],
    ['graph-mail.v1.additions.json', false],
  ] as const) {
    const target = path.join(__dirname, file);
    const additions = JSON.parse(fs.readFileSync(target, 'utf8')) as { $defs: Json };
    for (const [def, params] of parameters) additions.$defs[def] = requestDef(params, strict);
    additions.$defs = Object.fromEntries(
      Object.entries(additions.$defs).sort(([a], [b]) => a.localeCompare(b)),
    );
    fs.writeFileSync(target, `${JSON.stringify(additions, null, 1)}\n`);
  }
}

main();
