/**
 * createReply, createReplyAll and createForward: a draft in Drafts that answers a mail in its thread, as Exchange
 * makes it: the original's conversation, `In-Reply-To` and `References` for the recipients, the subject with RE: or
 * FW:, the default recipients, the original quoted below an Outlook-style header block, and the comment above it.
 */
import { escapeHtml, textToHtml } from './bodies';
import { applyPatch, type MessageBody } from './compose';
import { badRequest } from './errors';
import { contextUrl, pathFolder } from './graph-folders';
import { pathMessage } from './graph-messages';
import { exchangeId } from './ids';
import { requireBody, type GraphReply, type HandlerContext } from './handler';
import { changeKey, cloneMessage, newMessage, refreshDerived } from './store';
import type { Recipient, StoredMessage } from './types';
import { messageView } from './views';

type Kind = 'reply' | 'replyAll' | 'forward';

const SCHEMA: Record<Kind, string> = {
  reply: 'createReplyRequest',
  replyAll: 'createReplyAllRequest',
  forward: 'createForwardRequest',
};

/** The parameter of an action body by name, whatever its case (Graph binds them case-insensitively). */
function param(body: Record<string, unknown>, name: string): unknown {
  return Object.entries(body).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
}

function sameAddress(a: Recipient, b: Recipient): boolean {
  return a.emailAddress.address.toLowerCase() === b.emailAddress.address.toLowerCase();
}

function withoutDuplicates(list: Recipient[], exclude: Recipient[] = []): Recipient[] {
  const out: Recipient[] = [];
  for (const r of list) if (![...out, ...exclude].some((o) => sameAddress(o, r))) out.push(r);
  return out;
}

/**
 * Assumption: Exchange does not stack prefixes; a subject that already starts with the prefix (any case) keeps it
 * (Outlook's behaviour for RE:/FW:).
 */
function prefixed(prefix: 'RE' | 'FW', subject: string): string {
  return new RegExp(`^\\s*${prefix}:`, 'i').test(subject) ? subject : `${prefix}: ${subject}`;
}

function formatRecipients(list: Recipient[]): string {
  return list
    .map((r) =>
      r.emailAddress.name && r.emailAddress.name !== r.emailAddress.address
        ? `${r.emailAddress.name} <${r.emailAddress.address}>`
        : r.emailAddress.address,
    )
    .join('; ');
}

/** The original's header block and body, as Outlook on the web quotes a mail below a reply or forward. */
function quoteOf(original: StoredMessage): string {
  const lines: [string, string][] = [
    ['From', original.from ? formatRecipients([original.from]) : ''],
    ['Sent', new Date(original.sentDateTime).toUTCString()],
    ['To', formatRecipients(original.toRecipients)],
  ];
  if (original.ccRecipients.length) lines.push(['Cc', formatRecipients(original.ccRecipients)]);
  lines.push(['Subject', original.subject]);
  const block = lines.map(([name, value]) => `<b>${name}:</b> ${escapeHtml(value)}`).join('<br>\r\n');
  const body =
    original.body.contentType === 'html'
      ? original.body.content.replace(/^[\s\S]*<body[^>]*>|<\/body>[\s\S]*$/gi, '')
      : `<div>${escapeHtml(original.body.content).replace(/\r?\n/g, '<br>\r\n')}</div>`;
  return (
    '<hr style="display:inline-block;width:98%" tabindex="-1">\r\n' +
    `<div id="divRplyFwdMsg" dir="ltr"><font face="Calibri, sans-serif" style="font-size:11pt" color="#000000">${block}</font>` +
    '<div>&nbsp;</div></div>\r\n' +
    body
  );
}

/** The HTML body of the draft: the comment (text, as Graph takes it), then the quote. */
function draftBody(original: StoredMessage, comment: string): string {
  const above = comment
    ? `<div>${escapeHtml(comment).replace(/\r?\n/g, '<br>\r\n')}</div>\r\n`
    : '<div></div>\r\n';
  const html = textToHtml('');
  return html.replace(/<body>[\s\S]*<\/body>/, `<body>\r\n${above}${quoteOf(original)}\r\n</body>`);
}

/** The References of a mail that answers `original`: its chain, then its own Message-ID. */
function referencesAfter(original: StoredMessage): string {
  const chain =
    original.references ??
    original.internetMessageHeaders.find((h) => h.name.toLowerCase() === 'references')?.value ??
    '';
  return `${chain} ${original.internetMessageId}`.trim();
}

/** The recipients Exchange puts on the draft by default. */
function defaultRecipients(
  kind: Kind,
  original: StoredMessage,
  self: Recipient,
): { to: Recipient[]; cc: Recipient[] } {
  if (kind === 'forward') return { to: [], cc: [] };
  const sender = original.replyTo.length ? original.replyTo : original.from ? [original.from] : [];
  if (kind === 'reply') return { to: withoutDuplicates(sender), cc: [] };
  const to = withoutDuplicates([...sender, ...original.toRecipients], [self]);
  return { to, cc: withoutDuplicates(original.ccRecipients, [self, ...to]) };
}

function answer(ctx: HandlerContext, kind: Kind): GraphReply {
  // No body at all is fine (message-createreply: "This method does not require a request body").
  const body = ctx.call.bodyBytes > 0 ? requireBody<Record<string, unknown>>(ctx, SCHEMA[kind]) : {};
  const message = (param(body, 'message') ?? {}) as MessageBody;
  const comment = param(body, 'comment');
  const toRecipients = param(body, 'toRecipients') as Recipient[] | null | undefined;
  if (typeof comment === 'string' && comment !== '' && message.body) {
    // message-createreply: "Specifying both will return an HTTP 400 Bad Request error." (the code: assumption)
    throw badRequest('A comment and the body of the message cannot both be given.', 'ErrorInvalidArgument');
  }
  // message-createforward: "Specify either the toRecipients parameter or the toRecipients property of the message
  // parameter. Specifying both or specifying neither will return an HTTP 400 Bad Request error." A request without
  // any body (the page's example 1) is taken as it is (assumption: the rule applies to JSON bodies).
  const bothOrNeither = Boolean(toRecipients) === Boolean(message.toRecipients);
  if (kind === 'forward' && ctx.call.bodyBytes > 0 && bothOrNeither) {
    throw badRequest(
      'Specify either toRecipients or message.toRecipients: one of them, not both.',
      'ErrorInvalidArgument',
    );
  }
  const original = pathMessage(ctx).message;
  const self: Recipient = { emailAddress: { name: ctx.mailbox.displayName, address: ctx.mailbox.address } };
  const { to, cc } = defaultRecipients(kind, original, self);
  const draft = newMessage({
    subject: prefixed(kind === 'forward' ? 'FW' : 'RE', original.subject),
    body: { contentType: 'html', content: draftBody(original, typeof comment === 'string' ? comment : '') },
    from: self,
    sender: self,
    toRecipients: kind === 'forward' ? [...(toRecipients ?? [])] : to,
    ccRecipients: cc,
    isDraft: true,
    isRead: true,
    conversationId: original.conversationId,
    conversationIndex: original.conversationIndex,
    // A forward carries the original's attachments; a reply does not (Outlook's behaviour).
    attachments:
      kind === 'forward'
        ? cloneMessage(original).attachments.map((a) => ({ ...a, id: exchangeId('AAMkAGA') }))
        : [],
  });
  draft.inReplyTo = original.internetMessageId;
  draft.references = referencesAfter(original);
  draft.changeKey = changeKey();
  // The message parameter updates the draft as a PATCH would ("Any writeable properties to update").
  applyPatch(draft, message);
  refreshDerived(draft);
  ctx.state.checkMessageSize(ctx.mailbox.address, draft);
  const record = ctx.state.store.insert(ctx.mailbox, pathFolder(ctx, 'drafts'), draft);
  return {
    status: 201,
    body: { '@odata.context': contextUrl(ctx, 'messages/$entity'), ...messageView(record.message) },
    schema: 'message',
  };
}

export const createReply = (ctx: HandlerContext): GraphReply => answer(ctx, 'reply');
export const createReplyAll = (ctx: HandlerContext): GraphReply => answer(ctx, 'replyAll');
export const createForward = (ctx: HandlerContext): GraphReply => answer(ctx, 'forward');
