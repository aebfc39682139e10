/**
 * Acts on existing mail of one mailbox: each action becomes Graph requests that go out coalesced with the others
 * arriving at the same time (src/act/coalescer.ts). A mail whose id no longer resolves (moved by mail in, a rule or a
 * person) is looked up by its internetMessageId before the action gives up. `get` reads the mail as mail in does
 * (src/receive/assemble.ts, src/mail/inbound.ts). No Node-RED here.
 */
import { isItemGone } from '../graph/errors';
import type { MailApi, MessageOperation, MessageOperationResult } from '../graph/mail-api';
import { MAILBOX_CONCURRENCY } from '../graph/limiter';
import { MESSAGE_SELECT, type InboundMail } from '../mail/inbound';
import { assembleMail } from '../receive/assemble';
import { Coalescer } from './coalescer';
import { ActionError, asActionError } from './errors';
import { ActionErrorCodes } from '../graph/error-codes';
import { categoriesAfter, changeFor, needsFolder, type CategoryMode, type Operation } from './operations';

/** The MailApi operations the actor uses (a structural subset, so tests may stand in for it). */
export type ActApi = Pick<
  MailApi,
  | 'mailbox'
  | 'resolveFolder'
  | 'perform'
  | 'findByInternetMessageId'
  | 'getMime'
  | 'listAttachments'
  | 'attachmentValue'
>;

/** How `get` reads the mail: mail in's options of the same names. */
export interface GetOptions {
  bodyFormat: 'text' | 'html';
  attachments: boolean;
  output: 'message' | 'mime';
}

/** One action on one mail, resolved from the node's fields and the message. */
export interface ActionRequest {
  operation: Operation;
  /** The mail: its id (msg.o365.id) and, to find it after a move, its internetMessageId. */
  mail: { id?: string; internetMessageId?: string };
  /** Destination folder of a move or copy: id, well-known name or path such as `Inbox/Done`. */
  target?: string;
  /** Categories for categorize. */
  categories?: string[];
  categoryMode: CategoryMode;
  read: GetOptions;
  /** The folder the message says the mail is in (msg.o365.folder), kept in what `get` gives. */
  folder?: string;
}

/** What became of the mail. */
export interface ActionResult {
  /** Where the mail is now: the new id after a move, the copy's id after a copy, else the id acted on. */
  id: string;
  /** The id before a move or copy. */
  previousId?: string;
  /** True when the id given no longer resolved and the mail was found by its internetMessageId. */
  foundByInternetMessageId?: boolean;
  /** After a move or copy: the destination as given. */
  folder?: string;
  isRead?: boolean;
  flagStatus?: 'flagged' | 'notFlagged' | 'complete';
  categories?: string[];
  deleted?: boolean;
  /** `get`: the mail as mail in gives it. */
  mail?: InboundMail;
  /** `getMime`: the whole RFC 822 mail. */
  mime?: Buffer;
}

export interface ActorOptions {
  /** Requests in one `$batch` (default 20). */
  maxBatch?: number;
  /** Told whenever the number of running or waiting requests changes. */
  onChange?: (running: number, waiting: number) => void;
}

/** Acts on the mail of one mailbox. */
export class MailActor {
  private readonly coalescer: Coalescer<MessageOperation, MessageOperationResult>;

  constructor(
    private readonly api: ActApi,
    options: ActorOptions = {},
  ) {
    this.coalescer = new Coalescer(
      (operations, signal, chain) => api.perform(operations, signal, { chain }),
      {
        maxBatch: options.maxBatch ?? 20,
        slots: MAILBOX_CONCURRENCY,
        keyOf: (op) => op.messageId,
        // Changes that return nothing a later request needs (mark read, flag, categorize, delete) may run in a chain.
        chainable: (op) => op.method === 'PATCH' || op.method === 'DELETE',
        notRun: (result) => result.notRun === true,
        onChange: options.onChange,
      },
    );
  }

  /** Requests in flight and waiting, for status displays. */
  get load(): { running: number; waiting: number } {
    return { running: this.coalescer.active, waiting: this.coalescer.queued };
  }

  /**
   * Does the action; rejects with an ActionError: MailNotFound, MailAmbiguous, FolderNotFound, PermissionMissing,
   * BadInput, Failed or Closed (nothing changed), or OutcomeUnknown (Graph may have done it; not repeated).
   */
  async act(request: ActionRequest, signal?: AbortSignal): Promise<ActionResult> {
    const context = { operation: request.operation, mailbox: this.api.mailbox, mailId: request.mail.id };
    try {
      const destinationId = needsFolder(request.operation)
        ? await this.api.resolveFolder(request.target ?? '', signal)
        : undefined;
      const given = request.mail.id;
      if (!given)
        return {
          ...(await this.run(request, await this.find(request, signal), destinationId)),
          foundByInternetMessageId: true,
        };
      try {
        return await this.run(request, given, destinationId);
      } catch (err) {
        if (!isItemGone(err) || !request.mail.internetMessageId) throw notFound(err, request, context);
        const found = await this.find(request, signal);
        if (found === given) throw err;
        const result = await this.run(request, found, destinationId);
        return { ...result, foundByInternetMessageId: true };
      }
    } catch (err) {
      // Closing stops requests wherever they wait; the error then names this action.
      if (err instanceof ActionError && err.code === ActionErrorCodes.closed) {
        throw new ActionError({ ...context, code: err.code, problem: err.problem });
      }
      throw asActionError(err, context);
    }
  }

  /** Stops: waiting requests fail as not done (Closed); running ones may finish (bounded). */
  close(): Promise<void> {
    return this.coalescer.close(() => closedError());
  }

  private async run(request: ActionRequest, id: string, destinationId?: string): Promise<ActionResult> {
    const { operation } = request;
    switch (operation) {
      case 'get':
        return { id, mail: await this.read(request, id) };
      case 'getMime':
        return { id, mime: await this.api.getMime(id) };
      case 'categorize': {
        let categories = request.categories ?? [];
        if (request.categoryMode !== 'set') {
          const current = await this.submit({ messageId: id, method: 'GET', select: ['categories'] });
          categories = categoriesAfter(request.categoryMode, categoriesOf(current), categories);
        }
        await this.submit(changeFor('categorize', id, { categories }));
        return { id, categories };
      }
      case 'move':
      case 'copy': {
        const answer = await this.submit(changeFor(operation, id, { destinationId }));
        const newId = (answer as { id?: unknown } | undefined)?.id;
        // Graph answers 201 with the message under its new id; without one, the old id is all there is.
        return { id: typeof newId === 'string' ? newId : id, previousId: id, folder: request.target };
      }
      case 'delete':
        await this.submit(changeFor(operation, id));
        return { id, deleted: true };
      case 'markRead':
      case 'markUnread':
        await this.submit(changeFor(operation, id));
        return { id, isRead: operation === 'markRead' };
      case 'flag':
      case 'unflag':
      case 'complete': {
        const change = changeFor(operation, id);
        await this.submit(change);
        const flagStatus = (change.body as { flag: { flagStatus: ActionResult['flagStatus'] } }).flag
          .flagStatus;
        return { id, flagStatus };
      }
    }
  }

  /** The mail as mail in reads it: the message through the coalescer, attachments and MIME as mail in fetches them. */
  private async read(request: ActionRequest, id: string): Promise<InboundMail> {
    const { bodyFormat, attachments, output } = request.read;
    const message = await this.submit({ messageId: id, method: 'GET', select: MESSAGE_SELECT, bodyFormat });
    const options = {
      mailbox: this.api.mailbox,
      folder: request.folder ?? '',
      bodyFormat,
      attachments,
      output,
    };
    return assembleMail(this.api, { ...(message as object), id }, id, options);
  }

  /** One request through the coalescer; its Graph error is thrown. */
  private async submit(operation: MessageOperation): Promise<unknown> {
    const result = await this.coalescer.submit(operation, () => closedError());
    if (!result.ok) throw result.error;
    return result.body;
  }

  /** The one mail with the request's internetMessageId; MailNotFound or MailAmbiguous otherwise. */
  private async find(request: ActionRequest, signal?: AbortSignal): Promise<string> {
    const internetMessageId = request.mail.internetMessageId;
    const context = { operation: request.operation, mailbox: this.api.mailbox, mailId: request.mail.id };
    if (!internetMessageId) {
      throw new ActionError({
        ...context,
        code: ActionErrorCodes.badInput,
        problem: 'the message names no mail: set msg.o365.id (as mail in does) or msg.o365.internetMessageId',
      });
    }
    const ids = await this.api.findByInternetMessageId(null, internetMessageId, signal);
    if (ids.length === 1) return ids[0];
    if (ids.length === 0) {
      throw new ActionError({
        ...context,
        code: ActionErrorCodes.mailNotFound,
        problem: `no mail in the mailbox has internetMessageId ${internetMessageId}${request.mail.id ? ' (its id no longer resolves either: it was deleted)' : ''}`,
      });
    }
    throw new ActionError({
      ...context,
      code: ActionErrorCodes.mailAmbiguous,
      problem: `${ids.length} mails have internetMessageId ${internetMessageId} (copies); the node does not guess which one is meant`,
    });
  }
}

/** A gone mail that cannot be looked up by internetMessageId is MailNotFound; other errors stay as they are. */
function notFound(
  err: unknown,
  request: ActionRequest,
  context: { operation: string; mailbox: string; mailId?: string },
): unknown {
  if (!isItemGone(err)) return err;
  return new ActionError(
    {
      ...context,
      code: ActionErrorCodes.mailNotFound,
      problem:
        'no mail with this id in the mailbox (it was moved or deleted; with msg.o365.internetMessageId the node finds a moved mail)',
    },
    err,
  );
}

function categoriesOf(message: unknown): string[] {
  const categories = (message as { categories?: unknown } | undefined)?.categories;
  return Array.isArray(categories) ? categories.filter((c): c is string => typeof c === 'string') : [];
}

function closedError(): Error {
  return new ActionError({
    code: ActionErrorCodes.closed,
    operation: 'action',
    problem: 'the node closed before it was done',
  });
}
