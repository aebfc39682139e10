/**
 * Sends one mail through Graph by the cheapest safe path: one `sendMail` while the request fits 4 MB, else a draft
 * (small attachments inside it or POSTed, large ones by upload session), then `/send`. Nothing is ever sent twice:
 * only the final request can send, and when its outcome is unknown it is not repeated.
 */
import { sleep } from '../graph/client';
import { ErrorCodes, SendErrorCodes } from '../graph/error-codes';
import { messageOf, O365Error } from '../graph/errors';
import type { MailApi } from '../graph/mail-api';
import type { OutgoingAttachment } from '../mail/attachments';
import {
  fileAttachmentBody,
  fileAttachmentSize,
  planSend,
  SEND_MAIL_LIMIT_BYTES,
  sendMailRequestBody,
  sendMailRequestSize,
  type OutgoingMail,
} from '../mail/outbound';
import { badInput, describeRecipients, SendError } from './errors';

/** The `msg.o365` of a sent mail (README.md, o365-mail-out "Output message"). */
export function sentFields(mailbox: string, result: SendResult): Record<string, unknown> {
  const o365: Record<string, unknown> = {
    mailbox,
    sent: true,
    path: result.path,
    savedToSentItems: result.savedToSentItems,
    attachments: result.attachments,
  };
  if (result.internetMessageId) o365.internetMessageId = result.internetMessageId;
  if (result.warnings.length) o365.warnings = result.warnings;
  return o365;
}

/** The mail operations the sender needs (a MailApi, or a fake in tests). */
export type SendApi = Pick<
  MailApi,
  | 'mailbox'
  | 'sendMail'
  | 'createDraft'
  | 'addAttachment'
  | 'uploadAttachment'
  | 'sendDraft'
  | 'deleteMessage'
  | 'findByInternetMessageId'
  | 'getMessage'
>;

export interface SendResult {
  path: 'sendMail' | 'draft';
  /** Whether a copy stays in the sender's Sent Items. */
  savedToSentItems: boolean;
  /** Known on the draft path only (sendMail answers 202 without one). */
  internetMessageId?: string;
  attachments: number;
  warnings: string[];
}

export interface SenderOptions {
  /** Longest time spent deleting a failed draft or an unwanted Sent Items copy (default 15 s). */
  cleanupTimeoutMs?: number;
  /** Waits before each look for the Sent Items copy, which Exchange files a moment after /send. */
  sentCopyDelaysMs?: number[];
  /** Told the step the draft path is on, for status displays. */
  onStep?: (step: DraftStep) => void;
}

export type DraftStep =
  'create-draft' | 'add-attachment' | 'upload-attachment' | 'send-draft' | 'remove-sent-copy';

const DEFAULT_SENT_COPY_DELAYS_MS = [0, 500, 1000, 2000, 4000, 8000];

/** Sends mails from one mailbox. */
export class Sender {
  private readonly cleanupTimeoutMs: number;
  private readonly sentCopyDelaysMs: number[];

  constructor(
    private readonly api: SendApi,
    private readonly options: SenderOptions = {},
  ) {
    this.cleanupTimeoutMs = options.cleanupTimeoutMs ?? 15_000;
    this.sentCopyDelaysMs = options.sentCopyDelaysMs ?? DEFAULT_SENT_COPY_DELAYS_MS;
  }

  /**
   * Sends the mail once. Rejects with a SendError: `outcome: 'not-sent'` when nothing went out (a draft made on the
   * way is deleted), `outcome: 'unknown'` when Graph may have sent it (it is never sent again).
   */
  async send(mail: OutgoingMail, save: boolean, signal?: AbortSignal): Promise<SendResult> {
    let plan: ReturnType<typeof planSend>;
    try {
      plan = planSend(mail, save);
    } catch (err) {
      throw badInput(messageOf(err));
    }
    if (plan.path === 'sendMail') return this.sendInOneRequest(mail, save, signal);
    return this.sendByDraft(mail, save, plan.small, plan.large, signal);
  }

  private async sendInOneRequest(
    mail: OutgoingMail,
    save: boolean,
    signal?: AbortSignal,
  ): Promise<SendResult> {
    try {
      await this.api.sendMail(sendMailRequestBody(mail, save), signal);
    } catch (err) {
      throw this.sendFailure(mail, err, signal, false);
    }
    return {
      path: 'sendMail',
      savedToSentItems: save,
      attachments: mail.attachments.length,
      warnings: [...mail.warnings],
    };
  }

  private async sendByDraft(
    mail: OutgoingMail,
    save: boolean,
    small: OutgoingAttachment[],
    large: OutgoingAttachment[],
    signal?: AbortSignal,
  ): Promise<SendResult> {
    const { inDraft, posted } = packIntoDraft(mail, small, save);
    this.options.onStep?.('create-draft');
    let draft: { id: string; internetMessageId?: string };
    try {
      const body = sendMailRequestBody({ ...mail, attachments: inDraft }, save) as { message: object };
      draft = await this.api.createDraft(body.message, signal);
    } catch (err) {
      throw this.notSent(mail, 'could not create the draft', err, signal);
    }
    try {
      await this.completeDraft(draft, posted, large, save, signal);
    } catch (err) {
      await this.deleteDraft(draft.id);
      throw this.notSent(mail, 'could not attach the files to the draft', err, signal);
    }
    this.options.onStep?.('send-draft');
    try {
      await this.api.sendDraft(draft.id, signal);
    } catch (err) {
      const failure = this.sendFailure(mail, err, signal, true);
      // A draft that surely was not sent is clutter; one that may have been sent is left as evidence.
      if (failure.outcome === 'not-sent') await this.deleteDraft(draft.id);
      throw failure;
    }
    const warnings = [...mail.warnings];
    let savedToSentItems = true;
    if (!save) {
      this.options.onStep?.('remove-sent-copy');
      const problem = await this.removeSentCopy(draft.internetMessageId, signal);
      if (problem) warnings.push(problem);
      else savedToSentItems = false;
    }
    return {
      path: 'draft',
      savedToSentItems,
      internetMessageId: draft.internetMessageId,
      attachments: mail.attachments.length,
      warnings,
    };
  }

  /** Adds the attachments that were not in the createDraft request: small ones by POST, large ones by session. */
  private async completeDraft(
    draft: { id: string; internetMessageId?: string },
    posted: OutgoingAttachment[],
    large: OutgoingAttachment[],
    save: boolean,
    signal?: AbortSignal,
  ): Promise<void> {
    for (const attachment of posted) {
      this.options.onStep?.('add-attachment');
      await this.api.addAttachment(draft.id, fileAttachmentBody(attachment), signal);
    }
    for (const attachment of large) {
      this.options.onStep?.('upload-attachment');
      await this.api.uploadAttachment(draft.id, attachment, signal);
    }
    if (!save && !draft.internetMessageId) {
      // Needed afterwards to find the Sent Items copy; asked now, while a failure still means "not sent".
      const found = await this.api.getMessage(draft.id, ['internetMessageId'], 'text', signal);
      if (typeof found.internetMessageId === 'string') draft.internetMessageId = found.internetMessageId;
    }
  }

  /** The error for a failed send request: unknown outcome unless Graph clearly refused it. */
  private sendFailure(
    mail: OutgoingMail,
    err: unknown,
    signal: AbortSignal | undefined,
    draft: boolean,
  ): SendError {
    const recipients = recipientsOf(mail);
    const unknown =
      (err instanceof O365Error && err.code === ErrorCodes.outcomeUnknown) ||
      signal?.aborted ||
      !(err instanceof O365Error);
    if (unknown) {
      const problem = signal?.aborted ? 'the node stopped while sending' : messageOf(err);
      return new SendError(
        { code: SendErrorCodes.outcomeUnknown, problem, recipients, draftKept: draft },
        err,
      );
    }
    return new SendError({ code: SendErrorCodes.failed, problem: messageOf(err), recipients }, err);
  }

  private notSent(mail: OutgoingMail, step: string, err: unknown, signal?: AbortSignal): SendError {
    const recipients = recipientsOf(mail);
    if (signal?.aborted) {
      return new SendError({ code: SendErrorCodes.closed, problem: 'the node stopped', recipients }, err);
    }
    return new SendError(
      { code: SendErrorCodes.failed, problem: `${step}: ${messageOf(err)}`, recipients },
      err,
    );
  }

  /** Best effort and bounded: a failed draft must not stay in Drafts, nor hold up the node for long. */
  private async deleteDraft(id: string): Promise<void> {
    try {
      await this.api.deleteMessage(id, AbortSignal.timeout(this.cleanupTimeoutMs));
    } catch {
      // The draft stays in Drafts; the mail was not sent either way, which the caller reports.
    }
  }

  /**
   * Graph's `/send` of a draft always files a copy in Sent Items; `save: false` means the user wants none, so the copy
   * is found by its Internet message id and deleted. Returns a warning when that could not be done.
   */
  private async removeSentCopy(
    internetMessageId: string | undefined,
    signal?: AbortSignal,
  ): Promise<string | null> {
    const kept = 'the copy in Sent Items could not be removed';
    if (!internetMessageId) return `${kept}: Graph did not tell the mail's Internet message id`;
    const deadline = AbortSignal.timeout(this.cleanupTimeoutMs);
    const bounded = signal ? AbortSignal.any([signal, deadline]) : deadline;
    try {
      for (const delay of this.sentCopyDelaysMs) {
        if (delay > 0) await sleep(delay, bounded);
        const ids = await this.api.findByInternetMessageId('sentitems', internetMessageId, bounded);
        if (ids.length > 0) {
          for (const id of ids) await this.api.deleteMessage(id, bounded);
          return null;
        }
      }
      return `${kept}: it did not appear in Sent Items in time`;
    } catch (err) {
      return `${kept}: ${bounded.aborted ? 'gave up waiting for it' : messageOf(err)}`;
    }
  }
}

/**
 * Splits the small attachments into those that travel inside the createDraft request (while it stays within 4 MB,
 * saving one request each) and those POSTed one by one afterwards. Order is kept. Sizes are computed, not encoded.
 */
export function packIntoDraft(
  mail: OutgoingMail,
  small: OutgoingAttachment[],
  save: boolean,
): { inDraft: OutgoingAttachment[]; posted: OutgoingAttachment[] } {
  // The sendMail envelope is a few bytes larger than the bare message, so measuring it errs on the safe side.
  let size = sendMailRequestSize({ ...mail, attachments: [] }, save) + ATTACHMENTS_MEMBER.length;
  let index = 0;
  for (; index < small.length; index++) {
    const added = fileAttachmentSize(small[index]) + (index > 0 ? 1 : 0);
    if (size + added > SEND_MAIL_LIMIT_BYTES) break;
    size += added;
  }
  return { inDraft: small.slice(0, index), posted: small.slice(index) };
}

const ATTACHMENTS_MEMBER = ',"attachments":[]';

function recipientsOf(mail: OutgoingMail): string {
  const m = mail.message;
  const all = [...m.toRecipients, ...m.ccRecipients, ...m.bccRecipients].map((r) => r.emailAddress.address);
  return describeRecipients(all);
}
