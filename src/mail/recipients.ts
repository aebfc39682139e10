/** Recipient parsing for To/Cc/Bcc/Reply-To: every form users type or flows pass, validated once. */

export interface EmailAddress {
  name?: string;
  address: string;
}

/** Graph rejects a message with more recipients than this (to + cc + bcc). */
export const MAX_RECIPIENTS = 500;

/** A recipient entry that cannot be used; `field` names the input it came from ('to', 'cc', ...). */
export class RecipientError extends Error {
  readonly field: string;
  constructor(field: string, message: string) {
    super(message);
    this.name = 'RecipientError';
    this.field = field;
  }
}

/** A RecipientError whose message starts with the field, e.g. 'to: "bob@" is not an e-mail address'. */
function bad(field: string, detail: string): RecipientError {
  return new RecipientError(field, `${field}: ${detail}`);
}

/** A short, quoted rendering of a bad entry for error messages (never throws, even for circular objects). */
function describe(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = Object.prototype.toString.call(value);
  }
  return text.length > 80 ? text.slice(0, 77) + '..."' : text;
}

const LOCAL_PART = /^[\p{L}\p{N}!#$%&'*+/=?^_`{|}~-]+(\.[\p{L}\p{N}!#$%&'*+/=?^_`{|}~-]+)*$/u;
const DOMAIN_LABEL = /^[\p{L}\p{N}]([\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?$/u;

/** True when the value is a plain address such as `jane.doe@example.com` (no display name, no angle brackets). */
export function isEmailAddress(value: string): boolean {
  if (typeof value !== 'string' || value.length > 254) return false;
  const at = value.lastIndexOf('@');
  if (at < 1 || at > 64) return false;
  const labels = value.slice(at + 1).split('.');
  return (
    LOCAL_PART.test(value.slice(0, at)) && labels.length >= 2 && labels.every((l) => DOMAIN_LABEL.test(l))
  );
}

/** Splits a list on ',' and ';' except inside quotes ("Last, First") and angle brackets. */
function splitList(text: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  let angled = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted && c === '\\' && i + 1 < text.length) {
      current += c + text[++i];
      continue;
    }
    if (c === '"' && !angled) quoted = !quoted;
    else if (c === '<' && !quoted) angled = true;
    else if (c === '>' && !quoted) angled = false;
    if ((c === ',' || c === ';') && !quoted && !angled) {
      parts.push(current);
      current = '';
    } else current += c;
  }
  parts.push(current);
  return parts;
}

function unquote(name: string): string {
  const trimmed = name.trim();
  if (trimmed.length >= 2 && trimmed.startsWith('"') && trimmed.endsWith('"')) {
    return trimmed.slice(1, -1).replace(/\\(.)/g, '$1');
  }
  return trimmed;
}

function checked(field: string, shown: string, name: string | undefined, address: string): EmailAddress {
  // CR/LF would let a value inject headers wherever it ends up in a MIME rendering of the mail.
  if (/[\r\n]/.test(address) || (name !== undefined && /[\r\n]/.test(name))) {
    throw bad(field, `${describe(shown)} contains a line break`);
  }
  if (!isEmailAddress(address)) throw bad(field, `${describe(shown)} is not an e-mail address`);
  return name ? { name, address } : { address };
}

/** Parses one entry of a list: `addr`, `<addr>`, `Name <addr>` or `"Last, First" <addr>`. */
function parseEntry(entry: string, field: string): EmailAddress | undefined {
  const text = entry.trim();
  if (text === '') return undefined;
  const angled = /^([^<]*)<([^<>]*)>$/s.exec(text);
  if (angled) return checked(field, text, unquote(angled[1]) || undefined, angled[2].trim());
  return checked(field, text, undefined, text);
}

function parseObject(value: Record<string, unknown>, field: string): EmailAddress | undefined {
  // Graph's own shape ({ emailAddress: { name, address } }) lets users pass msg.o365 data straight back.
  const source =
    typeof value.emailAddress === 'object' && value.emailAddress !== null
      ? (value.emailAddress as Record<string, unknown>)
      : value;
  const { address, name } = source;
  const shown = describe(value);
  if (typeof address !== 'string') throw bad(field, `${shown} has no "address" string`);
  if (name !== undefined && name !== null && typeof name !== 'string') {
    throw bad(field, `${shown} has a "name" that is not a string`);
  }
  if (address.trim() === '') return undefined;
  return checked(
    field,
    address,
    typeof name === 'string' && name.trim() ? name.trim() : undefined,
    address.trim(),
  );
}

function collect(input: unknown, field: string, out: EmailAddress[], depth: number): void {
  if (input === undefined || input === null) return;
  if (depth > 32) throw bad(field, 'recipient list is nested too deeply');
  if (typeof input === 'string') {
    for (const entry of splitList(input)) {
      const parsed = parseEntry(entry, field);
      if (parsed) out.push(parsed);
    }
  } else if (Array.isArray(input)) {
    for (const item of input) collect(item, field, out, depth + 1);
  } else if (typeof input === 'object' && !Buffer.isBuffer(input)) {
    const parsed = parseObject(input as Record<string, unknown>, field);
    if (parsed) out.push(parsed);
  } else {
    throw bad(field, `expected addresses as a string, an array or { address }, got ${typeof input}`);
  }
}

/**
 * Parses To/Cc/Bcc/Reply-To input: comma- or semicolon-separated strings, arrays (nested arrays flattened), "Name <addr>"
 * and '"Last, First" <addr>' forms, { name, address } / { address } objects; trims, drops empties, de-duplicates
 * case-insensitively (first wins), validates. undefined/null/'' -> []. CR/LF in names or addresses is rejected.
 */
export function parseRecipients(input: unknown, field: string): EmailAddress[] {
  const all: EmailAddress[] = [];
  collect(input, field, all, 0);
  const seen = new Set<string>();
  return all.filter((r) => {
    const key = r.address.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Checks the total of to+cc+bcc: none at all, or more than MAX_RECIPIENTS, throws a RecipientError. */
export function checkRecipientCount(to: EmailAddress[], cc: EmailAddress[], bcc: EmailAddress[]): void {
  const total = to.length + cc.length + bcc.length;
  if (total === 0) {
    throw new RecipientError('recipients', 'no recipient: set To, Cc or Bcc (or msg.to, msg.cc, msg.bcc)');
  }
  if (total > MAX_RECIPIENTS) {
    throw new RecipientError(
      'recipients',
      `too many recipients: ${total}, more than the ${MAX_RECIPIENTS} Graph allows per mail`,
    );
  }
}
