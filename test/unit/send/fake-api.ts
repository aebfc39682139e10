/** An in-memory SendApi that records every call, with scripted failures, for the sender's unit tests. */
import { GraphError, NetworkError, type ErrorReason } from '../../../src/graph/errors';
import type { GraphMessage } from '../../../src/graph/mail-api';
import type { OutgoingAttachment } from '../../../src/mail/attachments';
import type { SendApi } from '../../../src/send/sender';

export type Call =
  | { op: 'sendMail'; body: Record<string, unknown> }
  | { op: 'createDraft'; message: Record<string, unknown> }
  | { op: 'addAttachment'; draftId: string; attachment: Record<string, unknown> }
  | { op: 'uploadAttachment'; draftId: string; name: string; bytes: number }
  | { op: 'sendDraft'; draftId: string }
  | { op: 'deleteMessage'; id: string }
  | { op: 'findByInternetMessageId'; folder: string | null; internetMessageId: string }
  | { op: 'getMessage'; id: string }
  | { op: 'createAnswer'; mode: string; messageId: string; body: Record<string, unknown> }
  | { op: 'updateDraft'; draftId: string; changes: Record<string, unknown> }
  | { op: 'sendMime'; mime: string };

export type Op = Call['op'];

/** A Graph answer that says the request was refused (outcome known: not done). */
export function refused(
  status = 400,
  code = 'ErrorInvalidRecipients',
  reason: ErrorReason = 'bad-request',
): GraphError {
  return new GraphError({ code, reason, status, hint: `refused (${code})` });
}

/** What the client throws when a send request's answer was lost. */
export function outcomeUnknown(): NetworkError {
  return new NetworkError({
    code: 'OutcomeUnknown',
    reason: 'outcome-unknown',
    hint: 'Graph may or may not have done it (socket hang up)',
    serviceMessage: 'socket hang up',
  });
}

/** What the client throws for a send request Graph answered 503 or 504 (it may have been carried out). */
export function unclearAnswer(status: number, retryAfterMs?: number): GraphError {
  return new GraphError({
    code: 'OutcomeUnknown',
    reason: 'outcome-unknown',
    status,
    retryAfterMs,
    requestId: 'req-1',
    hint: 'Graph may or may not have done it',
  });
}

/** The sender of the original that replies go to by default. */
export const boss = { emailAddress: { address: 'boss@fabrikam.example' } };

export class FakeApi implements SendApi {
  readonly mailbox = 'sender@contoso.example';
  readonly calls: Call[] = [];
  /** Errors to throw, per operation, in order (one per call). */
  readonly failures = new Map<Op, Error[]>();
  /** What findByInternetMessageId answers, per call (the last repeats); default: the copy is there. */
  sentCopyAnswers: string[][] = [['sent-copy-1']];
  draftInternetMessageId: string | undefined = '<draft-1@contoso.example>';
  /** What reading a draft answers after its /send: still a draft, sent (no longer a draft), or gone (404). */
  draftState: 'draft' | 'sent' | 'gone' = 'gone';
  private drafts = 0;

  fail(op: Op, err: Error): this {
    this.failures.set(op, [...(this.failures.get(op) ?? []), err]);
    return this;
  }

  /** A recorded call seen as the shape a test expects. */
  call<T>(index: number): T {
    return this.calls[index] as unknown as T;
  }

  ops(): Op[] {
    return this.calls.map((c) => c.op);
  }

  private async record(call: Call, signal?: AbortSignal): Promise<void> {
    this.calls.push(call);
    await Promise.resolve();
    signal?.throwIfAborted();
    const err = this.failures.get(call.op)?.shift();
    if (err) throw err;
  }

  async sendMail(body: object, signal?: AbortSignal): Promise<void> {
    await this.record({ op: 'sendMail', body: body as Record<string, unknown> }, signal);
  }

  async createDraft(
    message: object,
    signal?: AbortSignal,
  ): Promise<{ id: string; internetMessageId?: string }> {
    await this.record({ op: 'createDraft', message: message as Record<string, unknown> }, signal);
    this.drafts++;
    return { id: `draft-${this.drafts}`, internetMessageId: this.draftInternetMessageId };
  }

  async addAttachment(draftId: string, attachment: object, signal?: AbortSignal): Promise<void> {
    await this.record(
      { op: 'addAttachment', draftId, attachment: attachment as Record<string, unknown> },
      signal,
    );
  }

  async uploadAttachment(
    draftId: string,
    attachment: OutgoingAttachment,
    signal?: AbortSignal,
  ): Promise<void> {
    await this.record(
      { op: 'uploadAttachment', draftId, name: attachment.name, bytes: attachment.content.length },
      signal,
    );
  }

  async sendDraft(draftId: string, signal?: AbortSignal): Promise<void> {
    await this.record({ op: 'sendDraft', draftId }, signal);
  }

  async deleteMessage(id: string, signal?: AbortSignal): Promise<void> {
    await this.record({ op: 'deleteMessage', id }, signal);
  }

  async findByInternetMessageId(
    folder: string | null,
    internetMessageId: string,
    signal?: AbortSignal,
  ): Promise<string[]> {
    const index = this.calls.filter((c) => c.op === 'findByInternetMessageId').length;
    await this.record({ op: 'findByInternetMessageId', folder, internetMessageId }, signal);
    return this.sentCopyAnswers[Math.min(index, this.sentCopyAnswers.length - 1)];
  }

  /** The originals createAnswer finds, by id; any other id answers 404. */
  readonly originals = new Set<string>(['original-1']);

  async createAnswer(
    mode: 'reply' | 'replyAll' | 'forward',
    messageId: string,
    body: object,
    signal?: AbortSignal,
  ): Promise<GraphMessage> {
    await this.record({ op: 'createAnswer', mode, messageId, body: body as Record<string, unknown> }, signal);
    if (!this.originals.has(messageId)) throw refused(404, 'ErrorItemNotFound', 'item-not-found');
    this.drafts++;
    return {
      id: `draft-${this.drafts}`,
      internetMessageId: this.draftInternetMessageId,
      body: { contentType: 'html', content: '<html><body><div></div><hr><div>quoted</div></body></html>' },
      toRecipients: mode === 'forward' ? (body as { toRecipients: unknown[] }).toRecipients : [boss],
      ccRecipients: [],
      bccRecipients: [],
    };
  }

  async updateDraft(draftId: string, changes: object, signal?: AbortSignal): Promise<void> {
    await this.record({ op: 'updateDraft', draftId, changes: changes as Record<string, unknown> }, signal);
  }

  async sendMime(mime: Buffer, signal?: AbortSignal): Promise<void> {
    await this.record({ op: 'sendMime', mime: mime.toString('latin1') }, signal);
  }

  async getMessage(
    id: string,
    _select: string[],
    _format: 'text' | 'html',
    signal?: AbortSignal,
  ): Promise<GraphMessage> {
    await this.record({ op: 'getMessage', id }, signal);
    if (this.draftState === 'gone') throw refused(404, 'ErrorItemNotFound', 'item-not-found');
    return { id, isDraft: this.draftState === 'draft' };
  }
}
