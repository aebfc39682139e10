/**
 * The mail operations of one mailbox, on a GraphClient: folders, listing and delta, MIME, attachments,
 * acknowledgements (mark read, delete, move) in $batch, sendMail, drafts and upload sessions.
 * Every user value that lands in a URL is encoded as one path segment or an OData literal.
 */
import { GraphClient, MailRequest, Page } from './client';
import { ErrorCodes } from './error-codes';
import { asO365Error, GraphError, graphError, O365Error } from './errors';
import { flattenHeaders } from './http';
import { odataString, pathSegment } from './odata';
import { BatchItemResult } from './types';

export type GraphMessage = Record<string, unknown> & { id: string };
export type GraphAttachment = Record<string, unknown> & { id?: string; '@odata.type'?: string };

export const WELL_KNOWN_FOLDERS = [
  'archive',
  'clutter',
  'conflicts',
  'conversationhistory',
  'deleteditems',
  'drafts',
  'inbox',
  'junkemail',
  'localfailures',
  'msgfolderroot',
  'outbox',
  'recoverableitemsdeletions',
  'scheduled',
  'searchfolders',
  'sentitems',
  'serverfailures',
  'syncissues',
];

export interface ListOptions {
  select: string[];
  filter?: string;
  search?: string;
  /** Page size, 1 to 1000. */
  top: number;
  orderby?: string;
  bodyFormat: 'text' | 'html';
  expandAttachments?: boolean;
  /** A 504 or a timeout fails at once instead of being repeated: the caller asks for a smaller page. */
  failFastOnTimeout?: boolean;
}

export type AcknowledgeAction = 'read' | 'delete' | 'move';

export interface AcknowledgeResult {
  id: string;
  ok: boolean;
  /** The message's id after a move (Exchange gives moved items a new id). */
  newId?: string;
  /** The item was already gone (moved or deleted by someone else). */
  gone?: boolean;
  error?: O365Error;
}

/**
 * One request on one existing message, as the mail-action engine makes them: read it (GET, with `$select` and the body
 * format), change it (PATCH), move or copy it (POST to the action), or delete it.
 */
export interface MessageOperation {
  messageId: string;
  method: 'GET' | 'PATCH' | 'POST' | 'DELETE';
  /** A bound action after the message: `move` or `copy` (POST). */
  action?: 'move' | 'copy';
  body?: object;
  /** `$select` of a GET. */
  select?: string[];
  /** The body format a GET asks for (Prefer: outlook.body-content-type). */
  bodyFormat?: 'text' | 'html';
}

/** What Graph answered to one MessageOperation: its status and body, or the error it became. */
export interface MessageOperationResult {
  ok: boolean;
  status: number;
  body?: unknown;
  error?: O365Error;
  /** Graph did not run it: an item of a chained batch after one that failed (424 Failed Dependency). */
  notRun?: boolean;
}

/** Upload sessions take chunks of at most 4 MB in multiples of 320 KiB. */
export const UPLOAD_CHUNK_BYTES = 320 * 1024 * 12;

/** Mail operations on one mailbox. */
export class MailApi {
  private readonly user: string;
  private readonly folderIds = new Map<string, string>();

  constructor(
    readonly client: GraphClient,
    readonly mailbox: string,
  ) {
    if (!mailbox || !mailbox.trim()) throw new RangeError('no mailbox (username) given');
    // `me` is the signed-in user of a delegated account (Graph answers 400 for it with an app-only token).
    this.user = mailbox.trim().toLowerCase() === 'me' ? '/me' : `/users/${pathSegment(mailbox.trim())}`;
  }

  private req(req: Omit<MailRequest, 'mailbox'>): MailRequest {
    return { ...req, mailbox: this.mailbox };
  }

  /**
   * The id of a folder given as a well-known name, an id, or a path of display names ("Inbox/Orders/2026").
   * Resolved once and cached. An unknown folder is an error naming the missing segment.
   */
  async resolveFolder(spec: string, signal?: AbortSignal): Promise<string> {
    const key = spec.trim();
    if (!key) throw new RangeError('no folder given');
    const cached = this.folderIds.get(key.toLowerCase());
    if (cached) return cached;
    const segments = key.split('/').filter((s) => s.length > 0);
    let id: string;
    if (segments.length === 1 && !WELL_KNOWN_FOLDERS.includes(key.toLowerCase())) {
      id = (await this.folderById(key, signal)) ?? (await this.childFolder(null, key, key, signal));
    } else {
      id = await this.firstSegment(segments[0], key, signal);
      for (const segment of segments.slice(1)) id = await this.childFolder(id, segment, key, signal);
    }
    this.folderIds.set(key.toLowerCase(), id);
    return id;
  }

  private async firstSegment(segment: string, path: string, signal?: AbortSignal): Promise<string> {
    if (WELL_KNOWN_FOLDERS.includes(segment.toLowerCase())) {
      const id = await this.folderById(segment.toLowerCase(), signal);
      if (id) return id;
    }
    return this.childFolder(null, segment, path, signal);
  }

  private async folderById(idOrName: string, signal?: AbortSignal): Promise<string | undefined> {
    try {
      const response = await this.client.request<{ id: string }>(
        this.req({
          method: 'GET',
          path: `${this.user}/mailFolders/${pathSegment(idOrName)}`,
          query: { $select: 'id,displayName' },
          signal,
          permission: 'Mail.Read',
        }),
      );
      return response.data.id;
    } catch (err) {
      if (err instanceof GraphError && (err.reason === 'item-not-found' || err.status === 400))
        return undefined;
      throw err;
    }
  }

  private async childFolder(
    parentId: string | null,
    name: string,
    path: string,
    signal?: AbortSignal,
  ): Promise<string> {
    const base = parentId
      ? `${this.user}/mailFolders/${pathSegment(parentId)}/childFolders`
      : `${this.user}/mailFolders`;
    const pages = this.client.pages<{ id: string; displayName?: string }>(
      this.req({
        method: 'GET',
        path: base,
        query: { $filter: `displayName eq ${odataString(name)}`, $select: 'id,displayName', $top: 100 },
        signal,
        permission: 'Mail.Read',
      }),
    );
    for await (const page of pages) {
      const match = page.value.find((f) => (f.displayName ?? '').toLowerCase() === name.toLowerCase());
      if (match) return match.id;
    }
    throw new GraphError({
      code: ErrorCodes.folderNotFound,
      reason: 'item-not-found',
      hint: `Folder "${name}" not found in mailbox ${this.mailbox} (looking for "${path}")`,
      folder: { segment: name, path, mailbox: this.mailbox },
    });
  }

  /**
   * The id of the child folder `name` of `parentId` (null: a top-level folder), created when missing. When another
   * consumer creates it at the same moment (409 ErrorFolderExists), theirs is used.
   */
  async ensureChildFolder(parentId: string | null, name: string, signal?: AbortSignal): Promise<string> {
    const path = parentId
      ? `${this.user}/mailFolders/${pathSegment(parentId)}/childFolders`
      : `${this.user}/mailFolders`;
    const find = async () => {
      const response = await this.client.request<{ value?: { id: string; displayName?: string }[] }>(
        this.req({
          method: 'GET',
          path,
          query: { $filter: `displayName eq ${odataString(name)}`, $select: 'id,displayName', $top: 10 },
          signal,
          permission: 'Mail.Read',
        }),
      );
      const folders = response.data.value ?? [];
      return folders.find((f) => (f.displayName ?? '').toLowerCase() === name.toLowerCase())?.id;
    };
    const existing = await find();
    if (existing) return existing;
    try {
      const created = await this.client.request<{ id: string }>(
        this.req({
          method: 'POST',
          path,
          body: { displayName: name },
          retry: 'write',
          signal,
          permission: 'Mail.ReadWrite',
        }),
      );
      return created.data.id;
    } catch (err) {
      const again = err instanceof O365Error ? await find() : undefined;
      if (again) return again;
      throw err;
    }
  }

  /** Pages of messages of a folder, newest first unless `orderby` says otherwise. */
  listMessages(
    folderId: string,
    options: ListOptions,
    signal?: AbortSignal,
  ): AsyncGenerator<Page<GraphMessage>> {
    const query: MailRequest['query'] = {
      $top: options.top,
      $select: options.select.join(','),
    };
    const headers: Record<string, string> = { Prefer: `outlook.body-content-type="${options.bodyFormat}"` };
    if (options.search) {
      query.$search = `"${options.search.replace(/"/g, '\\"')}"`;
      headers.ConsistencyLevel = 'eventual';
    } else {
      if (options.filter) query.$filter = options.filter;
      if (options.orderby) query.$orderby = options.orderby;
    }
    if (options.expandAttachments) query.$expand = 'attachments';
    return this.client.pages<GraphMessage>(
      this.req({
        method: 'GET',
        path: `${this.user}/mailFolders/${pathSegment(folderId)}/messages`,
        query,
        headers,
        signal,
        permission: 'Mail.Read',
        failFastOnTimeout: options.failFastOnTimeout,
      }),
    );
  }

  /**
   * A delta round over a folder: from `deltaLink` when given (changes since), else a full initial sync.
   * The last page carries the next `deltaLink`.
   */
  delta(
    folderId: string,
    options: {
      deltaLink?: string;
      select: string[];
      bodyFormat: 'text' | 'html';
      pageSize: number;
      failFastOnTimeout?: boolean;
    },
    signal?: AbortSignal,
  ): AsyncGenerator<Page<GraphMessage>> {
    const headers = {
      Prefer: `outlook.body-content-type="${options.bodyFormat}", odata.maxpagesize=${options.pageSize}`,
    };
    const common = {
      headers,
      signal,
      permission: 'Mail.Read' as const,
      failFastOnTimeout: options.failFastOnTimeout,
    };
    const start: MailRequest = options.deltaLink
      ? this.req({ method: 'GET', path: options.deltaLink, ...common })
      : this.req({
          method: 'GET',
          path: `${this.user}/mailFolders/${pathSegment(folderId)}/messages/delta`,
          query: { $select: options.select.join(',') },
          ...common,
        });
    return this.client.pages<GraphMessage>(start);
  }

  /** One message with the given fields. */
  async getMessage(
    id: string,
    select: string[],
    bodyFormat: 'text' | 'html',
    signal?: AbortSignal,
  ): Promise<GraphMessage> {
    const response = await this.client.request<GraphMessage>(
      this.req({
        method: 'GET',
        path: `${this.user}/messages/${pathSegment(id)}`,
        query: { $select: select.join(',') },
        headers: { Prefer: `outlook.body-content-type="${bodyFormat}"` },
        signal,
        permission: 'Mail.Read',
      }),
    );
    return response.data;
  }

  /**
   * Several messages by id, in `$batch` requests of 20: each id's message, or its error (ErrorItemNotFound when it
   * is gone). For mails a listing named without their fields (a partial delta item, an id-only listing).
   */
  async getMessages(
    ids: string[],
    options: { select: string[]; bodyFormat: 'text' | 'html'; expandAttachments?: boolean },
    signal?: AbortSignal,
  ): Promise<Map<string, GraphMessage | O365Error>> {
    const query = new URLSearchParams({ $select: options.select.join(',') });
    if (options.expandAttachments) query.set('$expand', 'attachments');
    const items = ids.map((id, index) => ({
      id: String(index + 1),
      method: 'GET' as const,
      url: `${this.user}/messages/${pathSegment(id)}?${query.toString().replace(/%24/g, '$')}`,
      headers: { Prefer: `outlook.body-content-type="${options.bodyFormat}"` },
    }));
    const results = await this.client.batch(items, {
      mailbox: this.mailbox,
      signal,
      permission: 'Mail.Read',
    });
    const out = new Map<string, GraphMessage | O365Error>();
    results.forEach((result, index) => {
      const body = result.body as GraphMessage | undefined;
      if (result.status >= 200 && result.status < 300 && body && typeof body === 'object') {
        out.set(ids[index], { ...body, id: ids[index] });
        return;
      }
      out.set(
        ids[index],
        graphError(result.status, result.body, flattenHeaders(result.headers), {
          mailbox: this.mailbox,
          permission: 'Mail.Read',
        }),
      );
    });
    return out;
  }

  /** The whole RFC 822 mail. */
  async getMime(id: string, signal?: AbortSignal): Promise<Buffer> {
    const response = await this.client.request<Buffer>(
      this.req({
        method: 'GET',
        path: `${this.user}/messages/${pathSegment(id)}/$value`,
        responseType: 'buffer',
        signal,
        permission: 'Mail.Read',
      }),
    );
    return response.data;
  }

  /** Every attachment of a message, file attachments with their contentBytes. */
  async listAttachments(id: string, signal?: AbortSignal): Promise<GraphAttachment[]> {
    const all: GraphAttachment[] = [];
    const pages = this.client.pages<GraphAttachment>(
      this.req({
        method: 'GET',
        path: `${this.user}/messages/${pathSegment(id)}/attachments`,
        signal,
        permission: 'Mail.Read',
      }),
    );
    for await (const page of pages) all.push(...page.value);
    return all;
  }

  /** The raw bytes of an attachment (the MIME .eml of an item attachment). */
  async attachmentValue(messageId: string, attachmentId: string, signal?: AbortSignal): Promise<Buffer> {
    const response = await this.client.request<Buffer>(
      this.req({
        method: 'GET',
        path: `${this.user}/messages/${pathSegment(messageId)}/attachments/${pathSegment(attachmentId)}/$value`,
        responseType: 'buffer',
        signal,
        permission: 'Mail.Read',
      }),
    );
    return response.data;
  }

  /** One light call that proves the mailbox is reachable with this app's permissions. */
  async probe(signal?: AbortSignal): Promise<void> {
    await this.client.request(
      this.req({
        method: 'GET',
        path: `${this.user}/mailFolders/inbox`,
        query: { $select: 'id' },
        signal,
        permission: 'Mail.Read',
      }),
    );
  }

  /** Moves a message; resolves with its new id. */
  async move(id: string, destinationId: string, signal?: AbortSignal): Promise<string> {
    const response = await this.client.request<{ id: string }>(
      this.req({
        method: 'POST',
        path: `${this.user}/messages/${pathSegment(id)}/move`,
        body: { destinationId },
        retry: 'idempotent',
        signal,
        permission: 'Mail.ReadWrite',
      }),
    );
    return response.data.id;
  }

  /** Deletes a message (no error when it is already gone). */
  async deleteMessage(id: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.client.request(
        this.req({
          method: 'DELETE',
          path: `${this.user}/messages/${pathSegment(id)}`,
          retry: 'idempotent',
          signal,
          permission: 'Mail.ReadWrite',
        }),
      );
    } catch (err) {
      if (!(err instanceof GraphError && err.reason === 'item-not-found')) throw err;
    }
  }

  /**
   * Marks read, deletes or moves messages: one request for one, `$batch` requests of 20 for several.
   * A message already gone counts as acknowledged (`gone`), since someone else took it. `patch` sets properties of
   * each message as part of it: with read in the same PATCH; with move in a PATCH first, then the move of each message
   * whose PATCH worked (see patchThenMove).
   */
  async acknowledge(
    ids: string[],
    action: AcknowledgeAction,
    destinationId?: string,
    signal?: AbortSignal,
    patch?: (id: string) => Record<string, unknown>,
  ): Promise<AcknowledgeResult[]> {
    if (action === 'move' && !destinationId) throw new RangeError('move needs a destination folder');
    if (action === 'move' && patch) return this.patchThenMove(ids, destinationId as string, patch, signal);
    const items = ids.map((id, index) => {
      const request = this.ackRequest(id, action, destinationId);
      if (action === 'read' && patch) request.body = { ...patch(id), isRead: true };
      return { id: String(index + 1), ...request };
    });
    if (items.length === 1) {
      const item = items[0];
      try {
        const response = await this.client.request<{ id?: string }>(
          this.req({
            method: item.method,
            path: item.url,
            body: item.body,
            retry: 'idempotent',
            signal,
            permission: 'Mail.ReadWrite',
          }),
        );
        return [{ id: ids[0], ok: true, newId: action === 'move' ? response.data?.id : undefined }];
      } catch (err) {
        return [failedAck(ids[0], err)];
      }
    }
    const results: BatchItemResult[] = await this.client.batch(items, {
      mailbox: this.mailbox,
      signal,
      permission: 'Mail.ReadWrite',
    });
    return results.map((result, index) => this.ackResult(ids[index], result, action === 'move'));
  }

  /**
   * PATCH every message, then move those whose PATCH worked: two rounds of independent items. Graph refuses a batch
   * that mixes chained and free items (400 "Batch should be either fully sequential or fully parallel"), so the
   * PATCH-then-move pairs cannot share one `$batch`; the second round is what `dependsOn` would have given.
   */
  private async patchThenMove(
    ids: string[],
    destinationId: string,
    patch: (id: string) => Record<string, unknown>,
    signal?: AbortSignal,
  ): Promise<AcknowledgeResult[]> {
    const options = { mailbox: this.mailbox, signal, permission: 'Mail.ReadWrite' as const };
    const url = (id: string) => `${this.user}/messages/${pathSegment(id)}`;
    const patched = await this.client.batch(
      ids.map((id, index) => ({ id: `p${index}`, method: 'PATCH' as const, url: url(id), body: patch(id) })),
      options,
    );
    const results: AcknowledgeResult[] = ids.map((id, index) => this.ackResult(id, patched[index], false));
    const toMove = ids.flatMap((id, index) => (results[index].ok ? [index] : []));
    if (toMove.length === 0) return results;
    const moved = await this.client.batch(
      toMove.map((index) => ({
        id: `m${index}`,
        method: 'POST' as const,
        url: `${url(ids[index])}/move`,
        body: { destinationId },
      })),
      options,
    );
    toMove.forEach((index, n) => {
      results[index] = this.ackResult(ids[index], moved[n], true);
    });
    return results;
  }

  private ackResult(id: string, result: BatchItemResult, moved: boolean): AcknowledgeResult {
    if (result.status >= 200 && result.status < 300) {
      const body = result.body as { id?: string } | undefined;
      return { id, ok: true, newId: moved ? body?.id : undefined };
    }
    const error = graphError(result.status, result.body, flattenHeaders(result.headers), {
      grant: this.client.grant,
      mailbox: this.mailbox,
      permission: 'Mail.ReadWrite',
    });
    return failedAck(id, error);
  }

  private ackRequest(
    id: string,
    action: AcknowledgeAction,
    destinationId?: string,
  ): { method: 'PATCH' | 'DELETE' | 'POST'; url: string; body?: Record<string, unknown> } {
    const url = `${this.user}/messages/${pathSegment(id)}`;
    if (action === 'read') return { method: 'PATCH', url, body: { isRead: true } };
    if (action === 'delete') return { method: 'DELETE', url };
    return { method: 'POST', url: `${url}/move`, body: { destinationId } };
  }

  /**
   * Runs operations on existing messages: one request for one, `$batch` requests of up to 20 for several (Outlook runs
   * 4 of a batch's items at a time). Results come back in the order given; a failed item is a result, not a throw.
   * A copy is not repeated when its outcome is unknown (it would make a second copy); everything else is idempotent.
   * `chain`: each item `dependsOn` the one before, so Outlook runs them one after another and the batch holds one of
   * the mailbox's 4 slots; an item after one that failed is not run and answers 424 (`notRun`), to be asked again.
   */
  async perform(
    operations: MessageOperation[],
    signal?: AbortSignal,
    options: { chain?: boolean } = {},
  ): Promise<MessageOperationResult[]> {
    const retry = operations.some((op) => op.action === 'copy')
      ? ('write' as const)
      : ('idempotent' as const);
    const writes = operations.some((op) => op.method !== 'GET');
    const permission = writes ? ('Mail.ReadWrite' as const) : ('Mail.Read' as const);
    if (operations.length === 1) {
      const [op] = operations;
      try {
        const response = await this.client.request(
          this.req({
            method: op.method,
            path: this.operationPath(op),
            query: op.select?.length ? { $select: op.select.join(',') } : undefined,
            body: op.body,
            headers: preferBody(op),
            retry,
            signal,
            permission,
          }),
        );
        return [{ ok: true, status: response.status, body: response.data }];
      } catch (err) {
        const error = asO365Error(err);
        return [{ ok: false, status: error.status ?? 0, error }];
      }
    }
    const items = operations.map((op, index) => {
      const select = op.select?.length ? `?$select=${op.select.map(encodeURIComponent).join(',')}` : '';
      const url = this.operationPath(op) + select;
      const dependsOn = options.chain && index > 0 ? [String(index)] : undefined;
      return {
        id: String(index + 1),
        method: op.method,
        url,
        body: op.body,
        headers: preferBody(op),
        dependsOn,
      };
    });
    const results = await this.client.batch(items, { mailbox: this.mailbox, signal, permission, retry });
    return results.map((result) => {
      if (result.status >= 200 && result.status < 300)
        return { ok: true, status: result.status, body: result.body };
      const error = graphError(result.status, result.body, flattenHeaders(result.headers), {
        mailbox: this.mailbox,
        permission,
      });
      return { ok: false, status: result.status, error, notRun: result.status === 424 || undefined };
    });
  }

  private operationPath(op: MessageOperation): string {
    const path = `${this.user}/messages/${pathSegment(op.messageId)}`;
    return op.action ? `${path}/${op.action}` : path;
  }

  /** POST sendMail: repeated by the client only after 429; any other unclear end is the send engine's to settle. */
  async sendMail(body: object, signal?: AbortSignal): Promise<void> {
    await this.client.request(
      this.req({
        method: 'POST',
        path: `${this.user}/sendMail`,
        body,
        retry: 'send',
        signal,
        permission: 'Mail.Send',
      }),
    );
  }

  /**
   * Creates a draft; resolves with its id and internetMessageId. `repeated`: Graph was asked more than once (an answer such as 503 came after the first request),
   * so an earlier request may have created a draft too, left behind in Drafts.
   */
  async createDraft(
    message: object,
    signal?: AbortSignal,
  ): Promise<{ id: string; internetMessageId?: string; repeated?: boolean }> {
    const response = await this.client.request<{ id: string; internetMessageId?: string }>(
      this.req({
        method: 'POST',
        path: `${this.user}/messages`,
        body: message,
        retry: 'write',
        signal,
        permission: 'Mail.ReadWrite',
      }),
    );
    return {
      id: response.data.id,
      internetMessageId: response.data.internetMessageId,
      ...((response.attempts ?? 1) > 1 ? { repeated: true } : {}),
    };
  }

  /**
   * Creates the draft of a reply, a reply to all or a forward of a message (createReply, createReplyAll,
   * createForward): Graph gives it the thread, the default recipients and the quoted original. Not repeated after an
   * unclear answer (it would leave a second draft); it sends nothing either way.
   */
  async createAnswer(
    mode: 'reply' | 'replyAll' | 'forward',
    messageId: string,
    body: object,
    signal?: AbortSignal,
  ): Promise<GraphMessage> {
    const action = { reply: 'createReply', replyAll: 'createReplyAll', forward: 'createForward' }[mode];
    const response = await this.client.request<GraphMessage>(
      this.req({
        method: 'POST',
        path: `${this.user}/messages/${pathSegment(messageId)}/${action}`,
        body,
        retry: 'write',
        signal,
        permission: 'Mail.ReadWrite',
      }),
    );
    return response.data;
  }

  /** Changes a draft (PATCH): recipients, subject, body, importance, headers. */
  async updateDraft(draftId: string, changes: object, signal?: AbortSignal): Promise<void> {
    await this.client.request(
      this.req({
        method: 'PATCH',
        path: `${this.user}/messages/${pathSegment(draftId)}`,
        body: changes,
        retry: 'idempotent',
        signal,
        permission: 'Mail.ReadWrite',
      }),
    );
  }

  /**
   * sendMail with a MIME body: the whole mail, base64-encoded, as `text/plain` (user-sendmail). Graph files a copy
   * in Sent Items (the MIME form has no saveToSentItems). One request, repeated only after 429.
   */
  async sendMime(mime: Buffer, signal?: AbortSignal): Promise<void> {
    await this.client.request(
      this.req({
        method: 'POST',
        path: `${this.user}/sendMail`,
        body: Buffer.from(mime.toString('base64'), 'ascii'),
        headers: { 'Content-Type': 'text/plain' },
        retry: 'send',
        signal,
        permission: 'Mail.Send',
      }),
    );
  }

  /** Adds a (small) attachment to a draft. */
  async addAttachment(draftId: string, attachment: object, signal?: AbortSignal): Promise<void> {
    await this.client.request(
      this.req({
        method: 'POST',
        path: `${this.user}/messages/${pathSegment(draftId)}/attachments`,
        body: attachment,
        retry: 'write',
        signal,
        permission: 'Mail.ReadWrite',
      }),
    );
  }

  /** Uploads a large attachment to a draft through an upload session, in ordered chunks. */
  async uploadAttachment(
    draftId: string,
    attachment: { name: string; contentType: string; content: Buffer; isInline: boolean; contentId?: string },
    signal?: AbortSignal,
    chunkBytes = UPLOAD_CHUNK_BYTES,
  ): Promise<void> {
    const item: Record<string, unknown> = {
      attachmentType: 'file',
      name: attachment.name,
      size: attachment.content.length,
      contentType: attachment.contentType,
    };
    if (attachment.isInline) item.isInline = true;
    if (attachment.contentId) item.contentId = attachment.contentId;
    const session = await this.client.request<{ uploadUrl: string }>(
      this.req({
        method: 'POST',
        path: `${this.user}/messages/${pathSegment(draftId)}/attachments/createUploadSession`,
        body: { AttachmentItem: item },
        retry: 'write',
        signal,
        permission: 'Mail.ReadWrite',
      }),
    );
    const uploadUrl = session.data.uploadUrl;
    const total = attachment.content.length;
    for (let start = 0; start < total; start += chunkBytes) {
      const end = Math.min(start + chunkBytes, total);
      // The upload URL carries its own authorization: no bearer token, and no mailbox slot (it is not a Graph
      // operation on the mailbox); its bytes count towards the mailbox's upload volume all the same.
      await this.client.request({
        method: 'PUT',
        path: uploadUrl,
        anonymous: true,
        body: attachment.content.subarray(start, end),
        headers: {
          'Content-Range': `bytes ${start}-${end - 1}/${total}`,
          'Content-Type': 'application/octet-stream',
        },
        mailbox: this.mailbox,
        slots: 0,
        retry: 'write',
        signal,
      });
    }
  }

  /** Sends a draft (repeated by the client only after 429, as sendMail). */
  async sendDraft(draftId: string, signal?: AbortSignal): Promise<void> {
    await this.client.request(
      this.req({
        method: 'POST',
        path: `${this.user}/messages/${pathSegment(draftId)}/send`,
        retry: 'send',
        signal,
        permission: 'Mail.Send',
      }),
    );
  }

  /**
   * Ids of messages with the given internetMessageId, in one folder (to find a Sent Items copy) or, with `null`, in
   * the whole mailbox (to find a mail that moved).
   */
  async findByInternetMessageId(
    folder: string | null,
    internetMessageId: string,
    signal?: AbortSignal,
  ): Promise<string[]> {
    const path =
      folder === null ? `${this.user}/messages` : `${this.user}/mailFolders/${pathSegment(folder)}/messages`;
    const response = await this.client.request<{ value?: { id: string }[] }>(
      this.req({
        method: 'GET',
        path,
        query: { $filter: `internetMessageId eq ${odataString(internetMessageId)}`, $select: 'id', $top: 10 },
        signal,
        permission: 'Mail.Read',
      }),
    );
    return (response.data.value ?? []).map((m) => m.id);
  }
}

/** The Prefer header of a GET that asks for a body format. */
function preferBody(op: MessageOperation): Record<string, string> | undefined {
  return op.bodyFormat ? { Prefer: `outlook.body-content-type="${op.bodyFormat}"` } : undefined;
}

function failedAck(id: string, err: unknown): AcknowledgeResult {
  const error = asO365Error(err);
  if (error.reason === 'item-not-found') return { id, ok: true, gone: true, error };
  return { id, ok: false, error };
}
