/**
 * How release 0.1.0 read a saved node's properties (src/o365-mail-in.ts, src/receive/options.ts, src/send/input.ts
 * and src/graph/account.ts at that release), kept here unchanged as the reference that a migrated flow must match:
 * the runtime's readers may change, what an old flow means may not.
 */
import { DEFAULT_CLAIM_TIMEOUT_MS } from '../../../src/receive/options';

type Saved = Readonly<Record<string, unknown>>;

const str = (value: unknown, fallback: string) =>
  value === undefined || value === null ? fallback : String(value).trim();

function bool(value: unknown, fallback: boolean): boolean {
  if (value === undefined || value === null || value === '') return fallback;
  if (typeof value === 'boolean') return value;
  if (value === 'true') return true;
  if (value === 'false') return false;
  return Boolean(value);
}

const choice = (value: unknown, fallback: string) => str(value, '') || fallback;

function wholeNumber(value: unknown, fallback: number): number {
  return value === undefined || value === null || value === '' ? fallback : Number(value);
}

/** o365-mail-in: what to fetch and what to do with it. */
export function receiveOptions(saved: Saved) {
  return {
    mailbox: str(saved.username, ''),
    folder: str(saved.folder, '') || 'inbox',
    filter: saved.filter === undefined || saved.filter === null ? 'isRead eq false' : str(saved.filter, ''),
    search: str(saved.search, ''),
    action: choice(saved.action, 'read'),
    moveTo: str(saved.moveTo, ''),
    maxMessages: wholeNumber(saved.maxMessages, 100),
    bodyFormat: choice(saved.bodyFormat, 'text'),
    attachments: bool(saved.attachments, true),
    output: choice(saved.output, 'message'),
    claim: bool(saved.claim, false),
    claimFolder: str(saved.claimFolder, ''),
    claimTimeoutMs: DEFAULT_CLAIM_TIMEOUT_MS,
  };
}

/** o365-mail-in: when to poll. */
export function pollSettings(saved: Saved) {
  const type = saved.pollType || 'cron';
  const schedule =
    type === 'manual'
      ? { type }
      : type === 'interval'
        ? {
            type,
            seconds: saved.interval === undefined || saved.interval === '' ? 300 : Number(saved.interval),
          }
        : { type, expression: saved.cron === undefined ? '0 */5 * * * ?' : String(saved.cron) };
  const pollOnStart =
    saved.pollOnStart === undefined ? true : saved.pollOnStart === true || saved.pollOnStart === 'true';
  // Release 0.1.0 had no pollType push: it never waited for change notifications.
  return { schedule, pollOnStart, push: false };
}

/** o365-mail-out: its fields (text and type) and options. */
export function sendSettings(saved: Saved) {
  const fields: Record<string, { value: string; type: string }> = {};
  for (const name of ['username', 'subject', 'toRecipients', 'ccRecipients', 'bccRecipients']) {
    const value = saved[name];
    // A field that was not text counted as empty: the message's own property was used.
    fields[name] = {
      value: typeof value === 'string' ? value : '',
      type: String(saved[`${name}Type`] ?? 'str') || 'str',
    };
  }
  const save =
    saved.save === undefined || saved.save === '' ? true : saved.save !== false && saved.save !== 'false';
  // Release 0.1.0 had no mode: every message was a new mail.
  return { save, bodyType: saved.bodyType || 'auto', mode: 'send', fields };
}

/** o365-config: the cloud and the way to sign in. */
export function accountChoices(saved: Saved) {
  return { cloud: saved.cloud || 'global', authType: saved.authType || 'secret' };
}
