/** The Graph and token JSON Schemas, compiled once with ajv (2020-12), and the checks the simulator runs. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import type { ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

/** Verbatim copies of /work/shared/graph-schemas (schemas.test.ts checks that they stay equal). */
const SCHEMA_DIR = path.join(__dirname, 'schemas');
/** The shapes the simulator needs beyond the shared files, each file naming its source (see its `description`). */
const ADDITIONS_DIR = path.join(__dirname, 'schema-additions');
const STRICT_ID = 'urn:example:graph-mail-v1-strict';
const LENIENT_ID = 'urn:example:graph-mail-v1';
const TOKEN_ID = 'urn:example:aad-token-v2';

export type SchemaSet = 'strict' | 'lenient' | 'token';

export interface SchemaCheck {
  ok: boolean;
  errors: string[];
  /** `strict#/$defs/message` style name, for violation records. */
  schema: string;
}

let ajv: Ajv2020 | undefined;
const compiled = new Map<string, ValidateFunction>();

function instance(): Ajv2020 {
  if (ajv) return ajv;
  ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  for (const schema of loadSchemas()) ajv.addSchema(schema);
  return ajv;
}

interface SchemaFile {
  $id: string;
  $defs: Record<string, unknown>;
}

interface Additions {
  /** The `$id` of the shared schema these `$defs` join. */
  extends: string;
  description: string;
  /** Shared `$defs` this file replaces on purpose; any other name already in the shared file is an error. */
  replaces: string[];
  $defs: Record<string, unknown>;
}

function readJson<T>(file: string): T {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
}

/**
 * The shared schemas with the simulator's additions merged into their `$defs`, so `#/$defs/...` references inside an
 * addition resolve within the schema it extends.
 */
export function loadSchemas(): SchemaFile[] {
  const schemas = fs
    .readdirSync(SCHEMA_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => readJson<SchemaFile>(path.join(SCHEMA_DIR, f)));
  for (const file of fs.readdirSync(ADDITIONS_DIR).filter((f) => f.endsWith('.additions.json'))) {
    const additions = readJson<Additions>(path.join(ADDITIONS_DIR, file));
    const target = schemas.find((s) => s.$id === additions.extends);
    if (!target)
      throw new Error(`simulator: ${file} extends ${additions.extends}, which no shared schema has`);
    for (const [name, def] of Object.entries(additions.$defs)) {
      if (name in target.$defs && !additions.replaces.includes(name)) {
        throw new Error(
          `simulator: ${file} redefines ${name} of ${additions.extends} without listing it in replaces`,
        );
      }
      target.$defs[name] = def;
    }
  }
  return schemas;
}

function idOf(set: SchemaSet): string {
  return set === 'strict' ? STRICT_ID : set === 'lenient' ? LENIENT_ID : TOKEN_ID;
}

/** Validates `value` against `$defs/<def>` of one schema file. */
export function checkSchema(set: SchemaSet, def: string, value: unknown): SchemaCheck {
  const ref = `${idOf(set)}#/$defs/${def}`;
  let validate = compiled.get(ref);
  if (!validate) {
    validate = instance().getSchema(ref);
    if (!validate) throw new Error(`simulator: no schema ${ref}`);
    compiled.set(ref, validate);
  }
  const ok = validate(value) as boolean;
  const errors = ok
    ? []
    : (validate.errors ?? []).map((e) => {
        const extra = (e.params as { additionalProperty?: string }).additionalProperty;
        return `${e.instancePath || '/'} ${e.message ?? 'is invalid'}${extra ? `: '${extra}'` : ''}`;
      });
  return { ok, errors: [...new Set(errors)].slice(0, 20), schema: `${set}#/$defs/${def}` };
}
