/**
 * One entry point per node: the raw node configuration, as a saved flow holds it, in; the node's typed settings out,
 * read and checked by the readers beside each engine (graph/account.ts, receive/options.ts, schedule.ts,
 * send/input.ts, act/input.ts). Each throws a ConfigError whose `property` names what is wrong. A node saved by an
 * older release is first brought to this release's version (src/red/migrations.ts, the steps the editor runs too), so
 * the readers only ever see current properties; one saved by a newer release is refused (SavedVersionError,
 * `property` version).
 */
import { readActionSettings, type MailActionSettings } from '../act/input';
import type { AccountSettings } from '../graph/account';
import { readReceiveOptions, type ReceiveOptions } from '../receive/options';
import { readPollSettings, type PollSettings } from '../schedule';
import { readSendSettings, type MailOutSettings } from '../send/input';
import { migrate, NodeTypeName } from './migrations';
import {
  CONFIG_CREDENTIALS,
  CONFIG_PROPERTIES,
  type ConfigCredentials,
  type ConfigProperties,
  type MailActionProperties,
  type MailInProperties,
  type MailOutProperties,
  readText,
} from './properties';

/**
 * A delegated account's nodes default to the signed-in user's own mailbox (`me`, README.md): an empty username (a plain
 * string, not one taken from the message) means `me`.
 */
export function withOwnMailbox<T extends { username?: string; usernameType?: string }>(
  raw: T,
  delegated: boolean,
): T {
  if (!delegated) return raw;
  const literal = raw.usernameType === undefined || raw.usernameType === 'str' || raw.usernameType === '';
  if (literal && !(raw.username ?? '').trim()) return { ...raw, username: 'me' };
  return raw;
}

/** o365-mail-in: what to poll and how, and when. */
export interface MailInSettings {
  receive: ReceiveOptions;
  poll: PollSettings;
}

/** A saved node's properties at this release's version. */
function current<T extends object>(nodeType: NodeTypeName, raw: T): T {
  return migrate(nodeType, raw as Record<string, unknown>).properties as T;
}

/** o365-mail-in's properties -> its settings; throws a ConfigError naming the property at fault. */
export function readMailInSettings(raw: MailInProperties): MailInSettings {
  const properties = current('o365-mail-in', raw);
  return { receive: readReceiveOptions(properties), poll: readPollSettings(properties) };
}

/** o365-mail-out's properties -> its settings; throws a ConfigError naming the property at fault. */
export function readMailOutSettings(raw: MailOutProperties): MailOutSettings {
  return readSendSettings(current('o365-mail-out', raw));
}

/** o365-mail-action's properties -> its settings; throws a ConfigError naming the property at fault. */
export function readMailActionSettings(raw: MailActionProperties): MailActionSettings {
  return readActionSettings(current('o365-mail-action', raw));
}

/**
 * o365-config's properties and credentials -> the account settings the connection checks (graph/account.ts
 * `normaliseAccount`, run by `new Connection`, throws a ConfigError naming the property). Only text values count;
 * an empty credential is no credential. Throws a SavedVersionError for a version this release cannot read.
 */
export function readConfigSettings(
  raw: ConfigProperties,
  credentials: Partial<Record<keyof ConfigCredentials, unknown>> | undefined,
): AccountSettings {
  const properties = current('o365-config', raw);
  const settings: AccountSettings = {};
  for (const name of CONFIG_PROPERTIES) {
    const value = properties[name];
    if (typeof value === 'string') settings[name] = value;
  }
  for (const name of CONFIG_CREDENTIALS) {
    const value = credentials?.[name];
    if (typeof value === 'string' && value !== '') settings[name] = value;
  }
  return settings;
}

/** o365-config as its node uses it: the account the connection checks, and what push and sign-in need of it. */
export interface ConfigNodeSettings {
  account: AccountSettings;
  /** The public HTTPS base URL of change notifications (src/push/url.ts builds each node's URL under it); '' for none. */
  publicUrl: string;
  /** A user signs in (authType delegated): the account has a sign-in to keep, and `me` for a mailbox. */
  delegated: boolean;
}

/** o365-config's properties and credentials -> everything its node reads of them (see readConfigSettings). */
export function readConfigNodeSettings(
  raw: ConfigProperties,
  credentials: Partial<Record<keyof ConfigCredentials, unknown>> | undefined,
): ConfigNodeSettings {
  const properties = current('o365-config', raw);
  return {
    account: readConfigSettings(properties, credentials),
    publicUrl: readText(properties.publicUrl, ''),
    delegated: properties.authType === 'delegated',
  };
}
