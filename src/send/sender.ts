/**
 * Sends one mail through Graph by the cheapest safe path: one `sendMail` while the request fits (SEND_MAIL_LIMIT_BYTES),
 * else a draft (small attachments inside it or POSTed, large ones by upload session), then `/send`. Nothing is ever
 * sent twice: only the final request can send, Graph's limits are checked before the first request, and a final
 * request without a clear answer is repeated only when src/send/repeat.ts proves the mail did not go.
 */
import { randomUUID } from 'node:crypto';
import { DEFAULT_RETRY, sleep } from '../graph/client';
import { ErrorCodes, GraphCodes, SendErrorCodes } from '../graph/error-codes';
import { GraphError, messageOf } from '../graph/errors';
import type { MailApi } from '../graph/mail-api';
import type { RetryNotice } from '../graph/types';
import type { OutgoingAttachment } from '../mail/attachments';
import {
  fileAttachmentBody,
  fileAttachmentSize,
  planSend,
  SEND_MAIL_LIMIT_BYTES,
  sendMailRequestBody,
  sendMailRequestSize,
  splitAttachments,
  type OutgoingMail,
} from '../mail/outbound';
import type { AnswerMode } from '../mail/answer';
import type { OutgoingMime } from '../mail/mime';
import { answerChanges, answeredMail, createAnswerDraft, type AnswerDraft, type AnswerTo } from './answer';
import { badInput, describeRecipients, SendError } from './errors';
import type { PreparedSend } from './input';
import { DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_SENT_ITEMS_WAIT_MS, mailOverLimit } from './limits';
import {
  decideRepeat,
  describeUnclear,
  isDraftGone,
  isUnclear,
  SendChecker,
  type SendEvidence,
} from './repeat';

/** The `msg.o365` of a sent mail (README.md, o365-mail-out "Output message"). */
export function sentFields(mailbox: string, result: SendResult): Record<string, unknown> {
  const o365: Record<string, unknown> = {
    mailbox,
    sent: true,
    path: result.path,
    ...(result.mode ? { mode: result.mode } : {}),
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
  | 'createAnswer'
  | 'updateDraft'
  | 'sendMime'
>;

export interface SendResult {
  path: 'sendMail' | 'draft';
  /** Set for an answer in a thread: reply, replyAll or forward. */
  mode?: AnswerMode;
  /** Whether a copy stays in the sender's Sent Items. */
  savedToSentItems: boolean;
  /** The mail's Internet message id (the node chooses it, so it is known on both paths). */
  internetMessageId?: string;
  attachments: number;
  warnings: string[];
}

export interface SenderOptions {
  /** Longest time spent deleting a failed draft or an unwanted Sent Items copy (default 15 s). */
  cleanupTimeoutMs?: number;
  /** Waits before each look for the Sent Items copy to delete with save off, which Exchange files a moment after /send. */
  sentCopyDelaysMs?: number[];
  /** The tenant's maximum message size in bytes (default 35 MB; src/send/limits.ts reads settings.js). */
  maxMessageBytes?: number;
  /** How long a send of unclear outcome is looked for in Sent Items (default 30 s). */
  sentItemsWaitMs?: number;
  /** Longest wait in all before repeating a /send Graph did not take (default 5 min), and the most /send requests (8). */
  maxWaitMs?: number;
  maxAttempts?: number;
  /** The first wait before repeating a /send when Graph gave no Retry-After (default 1 s; doubles). */
  baseDelayMs?: number;
  /** Told the step the draft path is on, for status displays. */
  onStep?: (step: DraftStep) => void;
  /** Told before the sender waits to repeat a /send, so the node can show "throttled, retrying in Ns". */
  onRetry?: (notice: RetryNotice) => void;
}

export type DraftStep =
  'create-draft' | 'add-attachment' | 'upload-attachment' | 'send-draft' | 'remove-sent-copy';

const DEFAULT_SENT_COPY_DELAYS_MS = [0, 500, 1000, 2000, 4000, 8000];

/** Sends mails from one mailbox. */
export class Sender {
  private readonly cleanupTimeoutMs: number;
  private readonly sentCopyDelaysMs: number[];
  private readonly checker: SendChecker;

  constructor(
    private readonly api: SendApi,
    private readonly options: SenderOptions = {},
  ) {
    this.cleanupTimeoutMs = options.cleanupTimeoutMs ?? 15_000;
    this.sentCopyDelaysMs = options.sentCopyDelaysMs ?? DEFAULT_SENT_COPY_DELAYS_MS;
    this.checker = new SendChecker(api, options.sentItemsWaitMs ?? DEFAULT_SENT_ITEMS_WAIT_MS);
  }

  /**
   * Sends the mail once. Rejects with a SendError: `outcome: 'not-sent'` when nothing went out (a draft made on the
   * way is deleted), `outcome: 'unknown'` when Graph may have sent it (it is never sent again).
   */
  async send(mail: OutgoingMail, save: boolean, signal?: AbortSignal): Promise<SendResult> {
    const over = mailOverLimit(mail, this.options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES);
    if (over) throw over;
    let plan: ReturnType<typeof planSend>;
    try {
      plan = planSend(mail, save);
    } catch (err) {
      throw badInput(messageOf(err));
    }
    const stamped = withMessageId(mail, this.api.mailbox);
    if (plan.path === 'sendMail') return this.sendInOneRequest(stamped, save, signal);
    return this.sendByDraft(stamped, save, plan.small, plan.large, signal);
  }

  /** Sends what one message prepared (src/send/input.ts): a new mail, an answer in a thread, or a MIME mail. */
  sendPrepared(prepared: PreparedSend, save: boolean, signal?: AbortSignal): Promise<SendResult> {
    switch (prepared.kind) {
      case 'mail':
        return this.send(prepared.mail, save, signal);
      case 'answer':
        return this.answer(prepared.to, prepared.mail, save, signal);
      case 'mime':
        return this.sendMime(prepared.mime, save, signal);
    }
  }

  /**
   * Answers a mail in its thread (reply, reply all, forward) once: Graph's answer draft with the flow's text above
   * the quote and its recipients added, attachments of any size, then `/send` of the draft under the same rules as
   * every draft (src/send/repeat.ts). Nothing is sent when the original is gone or a step before `/send` fails.
   */
  async answer(to: AnswerTo, mail: OutgoingMail, save: boolean, signal?: AbortSignal): Promise<SendResult> {
    const over = mailOverLimit(mail, this.options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES);
    if (over) throw over;
    const { small, large } = splitAttachments(mail);
    this.options.onStep?.('create-draft');
    let draft: AnswerDraft;
    try {
      draft = await createAnswerDraft(this.api, to, mail, signal);
    } catch (err) {
      throw err instanceof SendError
        ? err
        : this.notSent(mail, 'could not create the answer draft', err, signal);
    }
    const changes = answerChanges(draft, mail);
    const answered = answeredMail(mail, draft, changes);
    await this.orDeleteDraft(draft.id, answered, 'could not complete the answer draft', signal, async () => {
      await this.api.updateDraft(draft.id, changes, signal);
      await this.completeDraft(draft, small, large, save, signal);
    });
    this.options.onStep?.('send-draft');
    const warnings = [...mail.warnings];
    const confirmed = await this.sendTheDraft(answered, draft, signal);
    if (confirmed) warnings.push(confirmed);
    const savedToSentItems = await this.keepOrRemoveSentCopy(save, draft.internetMessageId, warnings, signal);
    return {
      path: 'draft',
      mode: to.mode,
      savedToSentItems,
      internetMessageId: draft.internetMessageId,
      attachments: mail.attachments.length,
      warnings,
    };
  }

  /**
   * Sends a whole MIME mail once (sendMail with a MIME body; Graph files a Sent Items copy, removed after sending
   * when save is off). After an unclear answer the copy under the mail's Message-ID decides, as for sendMail.
   */
  async sendMime(mime: OutgoingMime, save: boolean, signal?: AbortSignal): Promise<SendResult> {
    const mail = mimeSummary(mime);
    const warnings = mime.repairs.map((repair) => `MIME repaired: ${repair}`);
    try {
      await this.api.sendMime(mime.content, signal);
    } catch (err) {
      if (!isUnclear(err) || signal?.aborted) throw this.sendFailure(mail, err, signal, false);
      const target = { kind: 'sent-items', internetMessageId: mime.internetMessageId } as const;
      const evidence = await this.checker.check(target, signal);
      if (decideRepeat(evidence) !== 'sent') throw this.unknownOutcome(mail, err, evidence, false);
      warnings.push(foundAfter(err));
    }
    const savedToSentItems = await this.keepOrRemoveSentCopy(save, mime.internetMessageId, warnings, signal);
    return {
      path: 'sendMail',
      savedToSentItems,
      internetMessageId: mime.internetMessageId,
      attachments: 0,
      warnings,
    };
  }

  private async sendInOneRequest(
    mail: OutgoingMail,
    save: boolean,
    signal?: AbortSignal,
  ): Promise<SendResult> {
    const warnings = [...mail.warnings];
    const internetMessageId = mail.message.internetMessageId as string;
    try {
      await this.api.sendMail(sendMailRequestBody(mail, save), signal);
    } catch (err) {
      if (!isUnclear(err) || signal?.aborted) throw this.sendFailure(mail, err, signal, false);
      const target = save
        ? ({ kind: 'sent-items', internetMessageId } as const)
        : ({ kind: 'untraceable' } as const);
      const evidence = await this.checker.check(target, signal);
      if (decideRepeat(evidence) !== 'sent') throw this.unknownOutcome(mail, err, evidence, false);
      warnings.push(foundAfter(err));
    }
    return {
      path: 'sendMail',
      savedToSentItems: save,
      internetMessageId,
      attachments: mail.attachments.length,
      warnings,
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
    let draft: { id: string; internetMessageId?: string; repeated?: boolean };
    try {
      const body = sendMailRequestBody({ ...mail, attachments: inDraft }, save) as { message: object };
      draft = await this.api.createDraft(body.message, signal);
    } catch (err) {
      // No clear answer (a 504, no answer): Graph may have made the draft all the same; it is not left in Drafts.
      const made = mail.message.internetMessageId;
      if (made && err instanceof Error && (err as { code?: string }).code === ErrorCodes.outcomeUnknown) {
        await this.removeLeftoverDrafts({ id: '', internetMessageId: made }, signal);
      }
      throw this.notSent(mail, 'could not create the draft', err, signal);
    }
    draft.internetMessageId ??= mail.message.internetMessageId;
    if (draft.repeated)
      await this.removeLeftoverDrafts(draft as { id: string; internetMessageId: string }, signal);
    await this.orDeleteDraft(draft.id, mail, 'could not attach the files to the draft', signal, () =>
      this.completeDraft(draft, posted, large, save, signal),
    );
    this.options.onStep?.('send-draft');
    const warnings = [...mail.warnings];
    const confirmed = await this.sendTheDraft(
      mail,
      draft as { id: string; internetMessageId: string },
      signal,
    );
    if (confirmed) warnings.push(confirmed);
    const savedToSentItems = await this.keepOrRemoveSentCopy(save, draft.internetMessageId, warnings, signal);
    return {
      path: 'draft',
      savedToSentItems,
      internetMessageId: draft.internetMessageId,
      attachments: mail.attachments.length,
      warnings,
    };
  }

  /**
   * Graph was asked twice for the draft (the first answer was a 503, a 504 or none): the first request may have made a
   * draft too. Drafts with the mail's internetMessageId other than this one are deleted, so no stray copy of the mail
   * stays in Drafts. Best effort: a draft that cannot be found or deleted now only stays in Drafts; it is never sent.
   */
  private async removeLeftoverDrafts(
    draft: { id: string; internetMessageId: string },
    signal?: AbortSignal,
  ): Promise<void> {
    try {
      const found = await this.api.findByInternetMessageId('drafts', draft.internetMessageId, signal);
      for (const id of found.filter((id) => id !== draft.id)) await this.api.deleteMessage(id, signal);
    } catch {
      // Nothing is lost: the mail goes out from `draft`; a leftover draft stays where the user can see it.
    }
  }

  /**
   * `/send` of the draft; after an unclear answer the draft's state decides (src/send/repeat.ts): gone and in Sent
   * Items means sent, still a draft means `/send` of the same draft again (a draft is sent once), else unknown.
   * Resolves with a warning when the mail was found sent after an unclear answer.
   */
  private async sendTheDraft(
    mail: OutgoingMail,
    draft: { id: string; internetMessageId: string },
    signal?: AbortSignal,
  ): Promise<string | undefined> {
    const maxAttempts = this.options.maxAttempts ?? DEFAULT_RETRY.maxAttempts;
    const maxWaitMs = this.options.maxWaitMs ?? DEFAULT_RETRY.maxTotalDelayMs;
    let waited = 0;
    for (let attempt = 1; ; attempt++) {
      let err: unknown;
      try {
        await this.api.sendDraft(draft.id, signal);
        return attempt === 1 ? undefined : `sent when /send of its draft was repeated (attempt ${attempt})`;
      } catch (caught) {
        err = caught;
      }
      // The first answer can be trusted when it refuses; a repeat's refusal may mean the earlier /send went after all.
      const refused = !isUnclear(err) && !(attempt > 1 && isDraftGone(err));
      if (signal?.aborted || refused) {
        const failure = this.sendFailure(mail, err, signal, true);
        // A draft that surely was not sent is clutter; one that may have been sent is left as evidence.
        if (failure.outcome === 'not-sent') await this.deleteDraft(draft.id);
        throw failure;
      }
      const target = {
        kind: 'draft',
        draftId: draft.id,
        internetMessageId: draft.internetMessageId,
      } as const;
      const evidence = await this.checker.check(target, signal);
      const decision = decideRepeat(evidence);
      if (decision === 'sent') return foundAfter(err);
      const delayMs = retryDelay(err, attempt, this.options.baseDelayMs ?? DEFAULT_RETRY.baseDelayMs);
      if (decision !== 'repeat' || attempt >= maxAttempts || waited + delayMs > maxWaitMs) {
        throw this.unknownOutcome(mail, err, evidence, true);
      }
      waited += delayMs;
      this.options.onRetry?.({
        attempt,
        delayMs,
        status: err instanceof GraphError ? err.status : undefined,
        code: ErrorCodes.outcomeUnknown,
        mailbox: this.api.mailbox,
      });
      await sleep(delayMs, signal);
    }
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

  /** The error for a send request Graph answered clearly, or that the node stopped: not sent, unless unclear. */
  private sendFailure(
    mail: OutgoingMail,
    err: unknown,
    signal: AbortSignal | undefined,
    draft: boolean,
  ): SendError {
    const recipients = recipientsOf(mail);
    if (signal?.aborted || isUnclear(err)) {
      const problem = signal?.aborted ? 'the node stopped while sending' : describeUnclear(err);
      return new SendError(
        { code: SendErrorCodes.outcomeUnknown, problem, recipients, draftKept: draft },
        err,
      );
    }
    return refusal(messageOf(err), recipients, err);
  }

  /** "May or may not have been sent": what the node found out, and it is never repeated. */
  private unknownOutcome(
    mail: OutgoingMail,
    err: unknown,
    evidence: SendEvidence,
    draft: boolean,
  ): SendError {
    const problem = `${describeUnclear(err)}; ${evidenceText(evidence)}`;
    const internetMessageId = mail.message.internetMessageId;
    const recipients = recipientsOf(mail);
    return new SendError(
      { code: SendErrorCodes.outcomeUnknown, problem, recipients, draftKept: draft, internetMessageId },
      err,
    );
  }

  private notSent(mail: OutgoingMail, step: string, err: unknown, signal?: AbortSignal): SendError {
    const recipients = recipientsOf(mail);
    if (signal?.aborted) {
      return new SendError({ code: SendErrorCodes.closed, problem: 'the node stopped', recipients }, err);
    }
    return refusal(`${step}: ${messageOf(err)}`, recipients, err);
  }

  /** Runs a step on a draft; if it fails, the draft is deleted and the mail reported not sent. */
  private async orDeleteDraft(
    draftId: string,
    mail: OutgoingMail,
    step: string,
    signal: AbortSignal | undefined,
    work: () => Promise<void>,
  ): Promise<void> {
    try {
      await work();
    } catch (err) {
      await this.deleteDraft(draftId);
      throw this.notSent(mail, step, err, signal);
    }
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
   * After a send that files a Sent Items copy (a draft's `/send`, a MIME sendMail): with save off the copy is removed.
   * Resolves whether a copy stays; a copy that could not be removed adds a warning.
   */
  private async keepOrRemoveSentCopy(
    save: boolean,
    internetMessageId: string | undefined,
    warnings: string[],
    signal?: AbortSignal,
  ): Promise<boolean> {
    if (save) return true;
    this.options.onStep?.('remove-sent-copy');
    const problem = await this.removeSentCopy(internetMessageId, signal);
    if (problem) warnings.push(problem);
    return problem !== null;
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

/** A MIME mail as the error texts of a send name it: its recipients and Message-ID. */
function mimeSummary(mime: OutgoingMime): OutgoingMail {
  const toRecipients = mime.recipients.map((address) => ({ emailAddress: { address } }));
  return {
    message: {
      subject: '',
      body: { contentType: 'text', content: '' },
      toRecipients,
      ccRecipients: [],
      bccRecipients: [],
      internetMessageId: mime.internetMessageId,
    },
    attachments: [],
    warnings: [],
  };
}

/** The mail with an Internet message id of the node's choosing, so the node can find it again. */
function withMessageId(mail: OutgoingMail, mailbox: string): OutgoingMail {
  const at = mailbox.lastIndexOf('@');
  const domain = at > 0 ? mailbox.slice(at + 1).toLowerCase() : 'node-red-o365.invalid';
  return { ...mail, message: { ...mail.message, internetMessageId: `<${randomUUID()}@${domain}>` } };
}

/** A clear refusal: not sent. Exchange's ErrorMessageSizeExceeded says which limit, in words of its own. */
function refusal(problem: string, recipients: string, err: unknown): SendError {
  const tooLarge = err instanceof GraphError && err.code === GraphCodes.messageSizeExceeded;
  const code = tooLarge ? SendErrorCodes.messageTooLarge : SendErrorCodes.failed;
  return new SendError({ code, problem: tooLarge ? messageOf(err) : problem, recipients }, err);
}

/** The wait before repeating a /send: Graph's Retry-After in full, else the base backoff, doubling. */
function retryDelay(err: unknown, attempt: number, baseDelayMs: number): number {
  const asked = err instanceof GraphError ? err.retryAfterMs : undefined;
  return asked ?? baseDelayMs * 2 ** Math.min(attempt - 1, 8);
}

/** The warning of a mail found sent after an unclear answer. */
function foundAfter(err: unknown): string {
  return `${describeUnclear(err)}, but the mail was found in Sent Items: it was sent once`;
}

/** What the node found out, for "may or may not have been sent (...)". */
function evidenceText(evidence: SendEvidence): string {
  switch (evidence.kind) {
    case 'not-in-sent-items':
      return evidence.draftGone
        ? `its draft left Drafts but was not in Sent Items after ${Math.ceil(evidence.lookedForMs / 1000)} s`
        : `not in Sent Items after ${Math.ceil(evidence.lookedForMs / 1000)} s`;
    case 'untraceable':
      return 'with save off there is no Sent Items copy to look for';
    case 'still-a-draft':
      return 'still a draft, and the repeats allowed are used up';
    case 'unreadable':
      return `could not look: ${messageOf(evidence.error)}`;
    default:
      return 'found sent';
  }
}
