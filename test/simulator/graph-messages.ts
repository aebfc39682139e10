/** Graph handlers for messages: list, get, PATCH, DELETE, move, create draft, MIME ($value). */
import { applyPatch, messageFromBody, type MessageBody } from './compose';
import { badRequest, GraphFailure, notFound } from './errors';
import { contextUrl, linkWith, looksLikeId, pathFolder } from './graph-folders';
import { exchangeId, graphTime } from './ids';
import { renderMime } from './mime';
import { compareBy, parseMessageQuery, parseSelect, type MessageQuery } from './odata';
import { requireBody, type GraphReply, type HandlerContext } from './handler';
import { changeKey, cloneMessage, refreshDerived, type Folder, type MessageRecord } from './store';
import { messageView } from './views';

/** The body type asked for with `Prefer: outlook.body-content-type="text"|"html"`. */
export function preferredBodyType(ctx: HandlerContext): { bodyType?: 'text' | 'html'; applied?: string } {
  const prefer = ctx.call.headers.prefer ?? '';
  const m = /outlook\.body-content-type\s*=\s*"?(text|html)"?/i.exec(prefer);
  if (!m) return {};
  const bodyType = m[1].toLowerCase() as 'text' | 'html';
  return { bodyType, applied: `outlook.body-content-type="${bodyType}"` };
}

/** The message named in the path; 404 when unknown, 400 when the id is malformed. */
export function pathMessage(ctx: HandlerContext): MessageRecord {
  if (ctx.params.folder) pathFolder(ctx);
  const record = ctx.mailbox.messages.get(ctx.params.id);
  if (record) return record;
  throw looksLikeId(ctx.params.id)
    ? notFound()
    : new GraphFailure(400, 'ErrorInvalidIdMalformed', 'Id is malformed.');
}

function rejectUnknownOptions(query: Record<string, string>, allowed: string[]): void {
  for (const key of Object.keys(query)) {
    if (key.startsWith('$') && !allowed.includes(key.slice(1).toLowerCase())) {
      throw badRequest(`Query option '${key}' is not allowed.`);
    }
  }
}

/** $search answers at most this many results (search-query-parameter page). */
export const SEARCH_RESULT_CAP = 1000;

function records(ctx: HandlerContext, q: MessageQuery): Iterable<MessageRecord> {
  const { store } = ctx.state;
  if (q.search) {
    // $search results are sorted by the time the message was sent (newest first, an assumption on the direction),
    // and mail the index has not taken in yet (searchLagMs) is not found.
    const lag = ctx.state.quirks.searchLagMs;
    const now = Date.now();
    const all = ctx.params.folder
      ? [...store.folderRecords(ctx.mailbox, pathFolder(ctx))]
      : store.allRecords(ctx.mailbox);
    const indexed = lag > 0 ? all.filter((r) => now - r.changedAt >= lag) : all;
    const sent = (r: MessageRecord): number => Date.parse(r.message.sentDateTime);
    return indexed.sort((a, b) => sent(b) - sent(a) || b.seq - a.seq);
  }
  const byReceived = q.order.length === 1 && q.order[0].property === 'receiveddatetime';
  if (byReceived && ctx.params.folder) {
    return store.folderRecords(ctx.mailbox, pathFolder(ctx), !q.order[0].descending);
  }
  const all = ctx.params.folder
    ? [...store.folderRecords(ctx.mailbox, pathFolder(ctx))]
    : store.allRecords(ctx.mailbox);
  if (!byReceived) {
    const cmp = compareBy(q.order);
    all.sort((a, b) => cmp(a.message, b.message));
  } else if (!q.order[0].descending) all.reverse();
  return all;
}

export function listMessages(ctx: HandlerContext): GraphReply {
  const q = parseMessageQuery(ctx.call.query);
  const { bodyType, applied } = preferredBodyType(ctx);
  const match = q.filter ?? q.search;
  const page: MessageRecord[] = [];
  let seen = 0;
  let more = false;
  let total = 0;
  // One pass, stopping as soon as the page is full (unless $count needs every match).
  let matched = 0;
  for (const record of records(ctx, q)) {
    if (match && !match(record.message)) continue;
    if (q.search && ++matched > SEARCH_RESULT_CAP) break;
    total++;
    if (seen++ < q.skip) continue;
    if (page.length < q.top) page.push(record);
    else {
      more = true;
      if (!q.count) break;
    }
  }
  const body: Record<string, unknown> = {
    '@odata.context': contextUrl(
      ctx,
      ctx.params.folder ? `mailFolders('${ctx.params.folder}')/messages` : 'messages',
    ),
  };
  if (q.count) body['@odata.count'] = total;
  body.value = page.map((r) =>
    messageView(r.message, {
      select: q.select,
      expandAttachments: q.expandAttachments,
      bodyType,
      basic: ctx.basic,
    }),
  );
  if (more) body['@odata.nextLink'] = linkWith(ctx, { $skip: String(q.skip + q.top) });
  largePageCheck(ctx, body, q.expandAttachments);
  return {
    status: 200,
    headers: applied ? { 'Preference-Applied': applied } : {},
    body,
    schema: 'messageCollectionResponse',
  };
}

/**
 * A page with bodies and attachments can take the gateway longer than it waits: 504 (user-list-messages page). The
 * largePage quirk sets when; the error body is the one docs issue 5853 shows (UnknownError, empty message).
 */
function largePageCheck(ctx: HandlerContext, body: Record<string, unknown>, expanded: boolean): void {
  const rule = ctx.state.quirks.largePage;
  if (!rule) return;
  const items = (body.value as { attachments?: unknown[] }[]) ?? [];
  const attachments = expanded ? items.reduce((n, m) => n + (m.attachments?.length ?? 0), 0) : 0;
  const tooManyAttachments =
    rule.maxExpandedAttachments !== undefined && expanded && attachments > rule.maxExpandedAttachments;
  const tooBig =
    rule.maxResponseBytes !== undefined && Buffer.byteLength(JSON.stringify(body)) > rule.maxResponseBytes;
  if (tooManyAttachments || tooBig) throw new GraphFailure(504, 'UnknownError', '', {}, rule.delayMs ?? 0);
}

export function getMessage(ctx: HandlerContext): GraphReply {
  const record = pathMessage(ctx);
  const query = ctx.call.query;
  rejectUnknownOptions(query, ['select', 'expand']);
  const expand = query.$expand ?? query.expand;
  if (expand !== undefined && expand.trim().toLowerCase() !== 'attachments') {
    throw badRequest(
      `Parsing OData Select and Expand failed: Could not find a property named '${expand}' on type 'microsoft.graph.message'.`,
    );
  }
  const { bodyType, applied } = preferredBodyType(ctx);
  const view = messageView(record.message, {
    select: parseSelect(query.$select ?? query.select),
    expandAttachments: expand !== undefined,
    bodyType,
    basic: ctx.basic,
  });
  return {
    status: 200,
    headers: applied ? { 'Preference-Applied': applied } : {},
    body: { '@odata.context': contextUrl(ctx, 'messages/$entity'), ...view },
    schema: 'message',
  };
}

export function patchMessage(ctx: HandlerContext): GraphReply {
  const patch = requireBody<MessageBody>(ctx, 'message');
  const record = pathMessage(ctx);
  const patched = cloneMessage(record.message);
  applyPatch(patched, patch);
  ctx.state.checkMessageSize(ctx.mailbox.address, patched);
  applyPatch(record.message, patch);
  ctx.state.store.touch(record);
  return {
    status: 200,
    body: { '@odata.context': contextUrl(ctx, 'messages/$entity'), ...messageView(record.message) },
    schema: 'message',
  };
}

export function deleteMessage(ctx: HandlerContext): GraphReply {
  const record = pathMessage(ctx);
  if (!ctx.state.store.remove(ctx.mailbox, record.message.id)) throw notFound();
  return { status: 204 };
}

/** The folder of a move or copy body (`destinationId`: a well-known name or a folder id). */
function destinationOf(ctx: HandlerContext, def: 'moveRequest' | 'copyRequest'): Folder {
  const body = requireBody<Record<string, string>>(ctx, def);
  const destinationId = Object.entries(body).find(([k]) => k.toLowerCase() === 'destinationid')?.[1] ?? '';
  return pathFolder(ctx, destinationId);
}

export function moveMessage(ctx: HandlerContext): GraphReply {
  const destination = destinationOf(ctx, 'moveRequest');
  const record = pathMessage(ctx);
  const { store } = ctx.state;
  // Check-and-remove happens in one synchronous step: of two concurrent moves exactly one finds the message.
  if (!store.remove(ctx.mailbox, record.message.id)) throw notFound();
  const moved = { ...record.message, id: exchangeId() };
  const stored = store.insert(ctx.mailbox, destination, moved);
  // Undocumented: whether a move stamps lastModifiedDateTime and changeKey (assumption; moveKeepsLastModified).
  store.touch(stored, { keepLastModified: ctx.state.moveKeepsLastModified });
  return {
    status: 201,
    body: { '@odata.context': contextUrl(ctx, 'messages/$entity'), ...messageView(stored.message) },
    schema: 'message',
  };
}

/**
 * message-copy: 201 with the copy, a new item in the destination (new id, changeKey and attachment ids; the same
 * internetMessageId, conversationId, receivedDateTime and read state). The original stays where it is.
 */
export function copyMessage(ctx: HandlerContext): GraphReply {
  const destination = destinationOf(ctx, 'copyRequest');
  const record = pathMessage(ctx);
  const copy = cloneMessage(record.message);
  copy.id = exchangeId();
  copy.changeKey = changeKey();
  copy.createdDateTime = graphTime(Date.now());
  copy.lastModifiedDateTime = copy.createdDateTime;
  copy.attachments = copy.attachments.map((a) => ({ ...a, id: exchangeId('AAMkAGA') }));
  refreshDerived(copy);
  const stored = ctx.state.store.insert(ctx.mailbox, destination, copy);
  return {
    status: 201,
    body: { '@odata.context': contextUrl(ctx, 'messages/$entity'), ...messageView(stored.message) },
    schema: 'message',
  };
}

export function createDraft(ctx: HandlerContext): GraphReply {
  const body = requireBody<MessageBody>(ctx, 'message');
  const folder = ctx.params.folder ? pathFolder(ctx) : pathFolder(ctx, 'drafts');
  const message = messageFromBody(body, {
    isDraft: true,
    from: { emailAddress: { name: ctx.mailbox.displayName, address: ctx.mailbox.address } },
  });
  ctx.state.checkMessageSize(ctx.mailbox.address, message);
  const record = ctx.state.store.insert(ctx.mailbox, folder, message);
  return {
    status: 201,
    body: { '@odata.context': contextUrl(ctx, 'messages/$entity'), ...messageView(record.message) },
    schema: 'message',
  };
}

export function getMime(ctx: HandlerContext): GraphReply {
  const record = pathMessage(ctx);
  return { status: 200, headers: { 'Content-Type': 'text/plain' }, body: renderMime(record.message) };
}
