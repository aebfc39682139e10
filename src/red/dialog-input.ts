/**
 * What the config node's dialog sends to its admin endpoints (Test connection, sign-in): the account settings as typed,
 * with the stored credentials standing in for password fields left unchanged, `${VAR}` resolved as Node-RED does, and
 * the nodes that use the account (for the permissions they need). Never trusted: every value is checked.
 */
import type { AccountSettings } from '../graph/account';
import type { MailboxUse } from '../graph/delegated-permissions';
import { ConfigError } from '../graph/errors';
import { CONFIG_CREDENTIALS, CONFIG_PROPERTIES, type ConfigProperties } from './properties';
import { readConfigSettings } from './settings';
import type { NodeRED } from './types';

/** Node-RED's placeholder for a password field the user did not change. */
const UNCHANGED_PASSWORD = '__PWRD__';

export interface DialogInput {
  /** The config node's id (it may not be deployed yet). */
  id?: string;
  settings: AccountSettings;
  /** The secrets used, so answers can be scrubbed of them. */
  secrets: string[];
  /** The mailbox named for the probe, if any. */
  mailbox?: string;
  /** What the nodes using the account do. */
  uses: MailboxUse[];
  /** The public URL for change notifications ("" when not set). */
  publicUrl: string;
}

/** Reads the dialog's JSON body; throws a ConfigError naming what is missing. */
export function readDialogInput(RED: NodeRED, body: unknown): DialogInput {
  const input = (body ?? {}) as Record<string, unknown> & { credentials?: Record<string, unknown> };
  if (
    typeof input !== 'object' ||
    typeof input.tenantId !== 'string' ||
    typeof input.applicationId !== 'string'
  ) {
    throw new ConfigError(
      'expected a JSON body with the account settings (tenantId, applicationId, cloud, credentials...)',
    );
  }
  const id = typeof input.id === 'string' && input.id ? input.id : undefined;
  const stored = id ? (RED.nodes.getCredentials(id) ?? {}) : {};
  const given = input.credentials && typeof input.credentials === 'object' ? input.credentials : {};
  const credentials: Record<string, string> = {};
  for (const name of CONFIG_CREDENTIALS) {
    const value = given[name];
    if (value === UNCHANGED_PASSWORD || value === undefined) {
      if (stored[name]) credentials[name] = stored[name] as string;
    } else if (typeof value === 'string' && value !== '') {
      credentials[name] = value;
    }
  }
  const properties: ConfigProperties = {};
  for (const name of CONFIG_PROPERTIES) {
    if (typeof input[name] === 'string') properties[name] = substituteEnv(input[name] as string);
  }
  return {
    id,
    settings: readConfigSettings(properties, credentials),
    secrets: Object.values(credentials),
    mailbox: typeof input.mailbox === 'string' ? substituteEnv(input.mailbox) : undefined,
    uses: readUses(input.uses),
    publicUrl: typeof input.publicUrl === 'string' ? substituteEnv(input.publicUrl).trim() : '',
  };
}

/**
 * The nodes that use the account, as the dialog finds them in the workspace: `{ type, username, usernameType,
 * action }`. A mailbox that comes with each message (usernameType other than `str`) counts as the user's own.
 */
export function readUses(value: unknown): MailboxUse[] {
  if (!Array.isArray(value)) return [];
  const uses: MailboxUse[] = [];
  for (const item of value.slice(0, 500)) {
    if (!item || typeof item !== 'object') continue;
    const { type, username, usernameType, action } = item as Record<string, unknown>;
    const mailbox =
      typeof username === 'string' && (usernameType === undefined || usernameType === 'str')
        ? substituteEnv(username)
        : undefined;
    if (type === 'o365-mail-in') uses.push({ node: 'mail-in', mailbox, readOnly: action === 'none' });
    else if (type === 'o365-mail-out') uses.push({ node: 'mail-out', mailbox });
    else if (type === 'o365-mail-action') uses.push({ node: 'mail-action', mailbox });
  }
  return uses;
}

/** `${VAR}` as Node-RED resolves it for node properties. */
export function substituteEnv(value: string): string {
  return value.replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g,
    (whole, name: string) => process.env[name] ?? whole,
  );
}

/** Defence in depth: no answer ever carries a secret, even if a service echoed one. */
export function scrub<T>(answer: T, secrets: string[]): T {
  let json = JSON.stringify(answer);
  for (const secret of secrets) if (secret.length >= 4) json = json.split(secret).join('***');
  return JSON.parse(json) as T;
}
