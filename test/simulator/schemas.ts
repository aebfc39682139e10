/** The Graph and token JSON Schemas, compiled once with ajv (2020-12), and the checks the simulator runs. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import type { ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

const SCHEMA_DIR = path.join(__dirname, 'schemas');
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
  for (const file of fs.readdirSync(SCHEMA_DIR).filter((f) => f.endsWith('.json'))) {
    ajv.addSchema(JSON.parse(fs.readFileSync(path.join(SCHEMA_DIR, file), 'utf8')));
  }
  return ajv;
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
