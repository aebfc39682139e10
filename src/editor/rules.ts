/** What the dialogs accept in a field, written once for all of them. */
import { GUID } from '../graph/account-rules';

/** A plain address; the runtime's parser (src/mail/recipients.ts) has the last word. */
export const MAIL_ADDRESS = /^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+\.[^\s@<>(),;:"]+$/;
/** `Name <address>`. */
export const NAMED_ADDRESS = /^[^<>]*<([^<>]+)>$/;
/** `${NAME}`, which Node-RED replaces with an environment variable when the flow starts. */
export const ENV_REFERENCE = /^\$\{[^}]+\}$/;

/** The value as trimmed text ('' for none). */
export function textOf(value: unknown): string {
  return value === undefined || value === null ? '' : String(value).trim();
}

/** A mailbox: user principal name, SMTP address or user id, or an environment variable that holds one. */
export function isMailbox(value: unknown): boolean {
  const text = textOf(value);
  return MAIL_ADDRESS.test(text) || GUID.test(text) || ENV_REFERENCE.test(text);
}

/** An https URL without query, fragment or user info. */
export function isHttpsUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'https:' && !url.search && !url.hash && !url.username && !url.password;
  } catch {
    return false;
  }
}

/** A folder name, id or path of names: no empty segment. */
export function isFolderPath(value: unknown): boolean {
  const text = textOf(value);
  return (
    text !== '' &&
    text
      .replace(/^\/+/, '')
      .split('/')
      .every((segment) => segment.trim() !== '')
  );
}

/** The first entry of a comma or semicolon separated list that is not an address, or undefined. */
export function badRecipient(value: unknown): string | undefined {
  for (const part of textOf(value).split(/[,;]/)) {
    const entry = part.trim();
    const named = NAMED_ADDRESS.exec(entry);
    const address = named ? named[1].trim() : entry;
    if (entry !== '' && !MAIL_ADDRESS.test(address) && !ENV_REFERENCE.test(entry)) return entry;
  }
  return undefined;
}

/** A GUID or long text cut short, so labels stay readable in the config node list. */
export function shorten(value: unknown): string {
  const text = textOf(value);
  if (GUID.test(text)) return `${text.slice(0, 8)}…`;
  return text.length > 32 ? `${text.slice(0, 31)}…` : text;
}
