/** One listed Graph message -> the mail a msg is made of, fetching only what the listing could not carry. */
import type { GraphAttachment, GraphMessage, MailApi } from '../graph/mail-api';
import { O365Error } from '../graph/errors';
import { GraphAttachmentLike, InboundMail, mapInboundMessage } from '../mail/inbound';
import type { ReceiveOptions } from './options';

/** The MailApi operations the receiver uses (a structural subset, so tests may stand in for it). */
export type ReceiveApi = Pick<
  MailApi,
  | 'mailbox'
  | 'resolveFolder'
  | 'ensureChildFolder'
  | 'listMessages'
  | 'delta'
  | 'getMessage'
  | 'getMessages'
  | 'getMime'
  | 'listAttachments'
  | 'attachmentValue'
  | 'acknowledge'
  | 'move'
>;

/** What reading one mail needs of the API and of the options (mail-action's `get` reads mail the same way). */
export type ReadApi = Pick<ReceiveApi, 'getMime' | 'listAttachments' | 'attachmentValue'>;
export type ReadOptions = Pick<
  ReceiveOptions,
  'mailbox' | 'folder' | 'bodyFormat' | 'attachments' | 'output'
>;

/** True when listing pages should carry the attachments ($expand), saving one request per mail. */
export function expandsAttachments(options: ReceiveOptions): boolean {
  return options.attachments && options.output === 'message';
}

/** Mail ids a listing gave that are usable (an item without an id cannot be acknowledged, only reported). */
export function idOf(message: unknown): string | undefined {
  const id = (message as { id?: unknown } | null)?.id;
  return typeof id === 'string' && id !== '' ? id : undefined;
}

/**
 * Builds the mail of one listed message. `id` is where the message is now (after a claim it has a new id; the
 * listing's attachment ids then no longer apply and are fetched again when needed). Throws when nothing can be read.
 */
export async function assembleMail(
  api: ReadApi,
  listed: GraphMessage,
  id: string,
  options: ReadOptions,
  signal?: AbortSignal,
): Promise<InboundMail> {
  const inbound = { mailbox: options.mailbox, folder: options.folder, bodyFormat: options.bodyFormat };
  const message: GraphMessage = { ...listed, id };
  if (options.output === 'mime') {
    const mime = await api.getMime(id, signal);
    const mail = mapInboundMessage(message, [], { ...inbound, attachments: false });
    delete mail.html;
    return { ...mail, payload: mime };
  }
  if (!options.attachments) return mapInboundMessage(message, [], { ...inbound, attachments: false });
  const warnings: string[] = [];
  const attachments = await attachmentsOf(api, listed, id, signal, warnings);
  const mail = mapInboundMessage(message, attachments, { ...inbound, attachments: true });
  if (warnings.length) mail.o365.warnings = [...warnings, ...(mail.o365.warnings ?? [])];
  return mail;
}

async function attachmentsOf(
  api: ReadApi,
  listed: GraphMessage,
  id: string,
  signal: AbortSignal | undefined,
  warnings: string[],
): Promise<GraphAttachmentLike[]> {
  let list = Array.isArray(listed.attachments) ? (listed.attachments as GraphAttachment[]) : undefined;
  const moved = id !== listed.id;
  // Without $expand (or after a move, whose attachment ids differ), the attachments are fetched on their own.
  if (list === undefined && !mayHaveAttachments(listed)) return [];
  if (list === undefined || (moved && list.some(isItem))) {
    list = await api.listAttachments(id, signal);
  }
  const out: GraphAttachmentLike[] = [];
  for (const attachment of list) {
    if (!isItem(attachment) || typeof attachment.id !== 'string') {
      out.push(attachment as GraphAttachmentLike);
      continue;
    }
    try {
      // An attached mail has no bytes in the listing: its MIME comes from $value.
      const content = await api.attachmentValue(id, attachment.id, signal);
      out.push({ ...(attachment as GraphAttachmentLike), content });
    } catch (err) {
      if (signal?.aborted) throw err;
      warnings.push(
        `attached mail ${JSON.stringify(attachment.name ?? '')} could not be read: ${reason(err)}`,
      );
      out.push(attachment as GraphAttachmentLike);
    }
  }
  return out;
}

/**
 * Whether a message listed without its attachments (a delta page cannot expand them) may have some. Graph's
 * hasAttachments is false when the only attachments are inline, so the body and the MIME type are asked too.
 */
function mayHaveAttachments(message: GraphMessage): boolean {
  if (message.hasAttachments === true) return true;
  const body = (message.body as { content?: unknown } | undefined)?.content;
  if (typeof body === 'string' && /cid:/i.test(body)) return true;
  const headers = Array.isArray(message.internetMessageHeaders) ? message.internetMessageHeaders : [];
  const type = headers.find(
    (h) => String((h as { name?: unknown })?.name).toLowerCase() === 'content-type',
  ) as { value?: unknown } | undefined;
  // Without a Content-Type header (mail made inside Exchange) there is no telling: ask.
  if (!type) return true;
  return /multipart\/(related|mixed)/i.test(String(type.value));
}

function isItem(attachment: GraphAttachment): boolean {
  return String(attachment['@odata.type'] ?? '')
    .toLowerCase()
    .endsWith('itemattachment');
}

function reason(err: unknown): string {
  if (err instanceof O365Error) return err.code;
  return err instanceof Error ? err.message : String(err);
}
