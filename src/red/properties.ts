/**
 * The editor properties of each node as a saved flow holds them (README.md, "Fields" of each node; the editor
 * `.html` files write them), and the reading of one property value. Shared by the glue, the engines' settings readers
 * and the tests. No Node-RED import and no import of an engine: engines may import this module.
 */
import type { AccountSettings } from '../graph/account';
import { ConfigError } from '../graph/errors';

/** Properties every node has. */
interface NodeProperties {
  id?: string;
  type?: string;
  name?: string;
  z?: string;
  /** The saved-flow version (src/red/migrations.ts); none: saved by release 0.1.0. */
  version?: number | string;
}

/** o365-config's credentials (kept by Node-RED apart from the flow). */
export type ConfigCredentials = Pick<AccountSettings, 'clientSecret' | 'privateKey' | 'certificate'>;

/** o365-config: one Entra ID application (graph/account.ts checks it). */
export interface ConfigProperties extends NodeProperties, Omit<AccountSettings, keyof ConfigCredentials> {
  /** Public HTTPS base URL for change notifications (pollType push of mail in). */
  publicUrl?: string;
}

/** The names of the config node's non-secret properties, in the order the dialog shows them. */
export const CONFIG_PROPERTIES = [
  'tenantId',
  'applicationId',
  'cloud',
  'authorityHost',
  'graphEndpoint',
  'authType',
  'certificateThumbprint',
] as const satisfies readonly (keyof ConfigProperties)[];

/** The names of the config node's credentials. */
export const CONFIG_CREDENTIALS = [
  'clientSecret',
  'privateKey',
  'certificate',
] as const satisfies readonly (keyof ConfigCredentials)[];

/** o365-mail-in. Values may be strings where a hand-written or older flow holds them so. */
export interface MailInProperties extends NodeProperties {
  account?: string;
  username?: string;
  folder?: string;
  filter?: string;
  search?: string;
  action?: string;
  moveTo?: string;
  claim?: boolean | string;
  claimFolder?: string;
  pollType?: string;
  cron?: string;
  interval?: number | string;
  pollOnStart?: boolean | string;
  maxMessages?: number | string;
  bodyFormat?: string;
  attachments?: boolean | string;
  output?: string;
}

/** o365-mail-out. Each TypedInput field keeps its type in `<field>Type`. */
export interface MailOutProperties extends NodeProperties {
  account?: string;
  username?: string;
  usernameType?: string;
  subject?: string;
  subjectType?: string;
  toRecipients?: string;
  toRecipientsType?: string;
  ccRecipients?: string;
  ccRecipientsType?: string;
  bccRecipients?: string;
  bccRecipientsType?: string;
  save?: boolean | string;
  bodyType?: string;
  mode?: string;
}

/** o365-mail-action. `username` and `target` are TypedInputs (type in `<field>Type`); the read options serve `get`. */
export interface MailActionProperties extends NodeProperties {
  account?: string;
  username?: string;
  usernameType?: string;
  operation?: string;
  target?: string;
  targetType?: string;
  categoryMode?: string;
  bodyFormat?: string;
  attachments?: boolean | string;
  output?: string;
}

/** The value of a property a saved flow may lack or hold as null: both mean "not set". */
function isUnset(value: unknown): value is undefined | null {
  return value === undefined || value === null;
}

/**
 * The package's one reading of a boolean property: a checkbox saves `true` or `false`, older or hand-written flows
 * may hold `"true"` or `"false"`, and an empty or missing value means the property's default (as Node-RED fills a
 * missing property from the node's `defaults`). Anything else is an error naming the property.
 */
export function readBoolean(property: string, value: unknown, fallback: boolean): boolean {
  if (isUnset(value) || value === '') return fallback;
  if (typeof value === 'boolean') return value;
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new ConfigError(`${property} must be true or false, got ${JSON.stringify(value)}`, { property });
}

/** A text property, trimmed; `fallback` when missing. */
export function readText(value: unknown, fallback: string): string {
  if (isUnset(value)) return fallback;
  return String(value).trim();
}

/** One of the allowed values; empty or missing means `fallback`. */
export function readChoice<T extends string>(
  property: string,
  value: unknown,
  allowed: readonly T[],
  fallback: T,
): T {
  const given = readText(value, '') || fallback;
  if (!(allowed as readonly string[]).includes(given)) {
    const choices = allowed.map((a) => `'${a}'`).join(', ');
    throw new ConfigError(`${property} must be one of ${choices}, got ${JSON.stringify(value)}`, {
      property,
    });
  }
  return given as T;
}

/** A whole number >= 0; empty or missing means `fallback`. */
export function readWholeNumber(property: string, value: unknown, fallback: number): number {
  if (isUnset(value) || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) {
    throw new ConfigError(`${property} must be a whole number >= 0, got ${JSON.stringify(value)}`, {
      property,
    });
  }
  return n;
}

/** A TypedInput as the editor saves it: the value and its type (`str`, `msg`, `flow`, `global`, `env`, `jsonata`). */
export interface TypedValue {
  value: string;
  type: string;
}

/** The TypedInput fields `names` of a node: each value as text ('' for none) and its type (`<name>Type`, `str` by default). */
export function readTypedFields<N extends string>(
  raw: Partial<Record<N | `${N}Type`, unknown>>,
  names: readonly N[],
): Record<N, TypedValue> {
  const fields = {} as Record<N, TypedValue>;
  for (const name of names) {
    const value = raw[name];
    fields[name] = {
      value: typeof value === 'string' ? value : '',
      type: String(raw[`${name}Type`] ?? 'str') || 'str',
    };
  }
  return fields;
}
