/** What the receive engine tells the node: a mail to send on, a mail it could not read, something to warn about once. */
import type { InboundMail } from '../mail/inbound';
import type { MailError } from './mail-error';

/** What the node does with the receiver's results. */
export interface ReceiveHooks {
  /** Sends the mail's message on; the mail is acknowledged only after this resolved. */
  deliver(mail: InboundMail): Promise<void> | void;
  /** A mail that could not be read at all; the other mails of the poll go on. */
  mailFailed(error: MailError): void;
  /** Something the user should know once (an acknowledgement failed, a mail is skipped from now on). */
  warn(notice: Notice): void;
}

/**
 * The warnings the engine gives, by catalogue key (`o365-mail-in.errors.<key>` in nodes/locales), with what each
 * text is filled with. The engine has no words of its own: the node looks the text up.
 */
export interface NoticeSubs {
  /** Graph cannot list this filter oldest first; it lists in Graph's order. */
  unsorted: { error: string };
  /** Some mails could not be claimed; they are tried again at the next poll. */
  'claim-failed': { count: number; error: string };
  /** `claim` with action none does nothing. */
  'claim-needs-action': Record<string, never>;
  /** A mail could not be marked read (deleted, moved) and is not delivered again while the node runs. */
  'ack-failed-read': { id: string; error: string };
  'ack-failed-delete': { id: string; error: string };
  'ack-failed-move': { id: string; error: string };
  /** Graph has no message delta for the folder (a national cloud): action none lists the folder instead. */
  'no-delta': Record<string, never>;
  /** Next to a search the node cannot apply this filter (Graph does not combine them): it is ignored. */
  'search-filter': { filter: string };
  /** A search returned Graph's maximum of results: matches sorted after them cannot be found. */
  'search-cap': { count: number };
}

export type NoticeKey = keyof NoticeSubs;

/** A warning: its catalogue key and substitutions. */
export type Notice = { [K in NoticeKey]: { key: K; subs: NoticeSubs[K] } }[NoticeKey];
