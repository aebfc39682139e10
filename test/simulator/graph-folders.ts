/** Graph handlers for users and mail folders. */
import { badRequest, GraphFailure, notFound } from './errors';
import { requireBody, type GraphReply, type HandlerContext } from './handler';
import type { Folder, Mailbox } from './store';
import { folderView } from './views';

/** The folder named in the path (well-known name or id); 400 for malformed ids, 404 for unknown ones. */
export function pathFolder(ctx: HandlerContext, ref = ctx.params.folder): Folder {
  const folder = ctx.state.store.findFolder(ctx.mailbox, ref);
  if (folder) return folder;
  throw looksLikeId(ref) ? notFound() : new GraphFailure(400, 'ErrorInvalidIdMalformed', 'Id is malformed.');
}

/** Exchange ids are long base64 strings; anything else is "malformed" rather than "not found". */
export function looksLikeId(ref: string): boolean {
  return /^[A-Za-z0-9+/_=-]{20,}$/.test(ref);
}

/** Absolute URL of the same request with other query values (for @odata.nextLink). */
export function linkWith(ctx: HandlerContext, changes: Record<string, string | undefined>): string {
  const query = { ...ctx.call.query };
  for (const [key, value] of Object.entries(changes)) {
    delete query[key];
    delete query[key.replace(/^\$/, '')];
    if (value !== undefined) query[key] = value;
  }
  const text = Object.entries(query)
    .map(([k, v]) => `${k}=${encodeURIComponent(v).replace(/%20/g, '%20')}`)
    .join('&');
  return `${ctx.state.baseUrl}/v1.0${ctx.call.path}${text ? `?${text}` : ''}`;
}

export function contextUrl(ctx: HandlerContext, what: string): string {
  return `${ctx.state.baseUrl}/v1.0/$metadata#users('${encodeURIComponent(ctx.mailbox.address)}')/${what}`;
}

export function getUser(ctx: HandlerContext): GraphReply {
  const m: Mailbox = ctx.mailbox;
  return {
    status: 200,
    body: {
      '@odata.context': `${ctx.state.baseUrl}/v1.0/$metadata#users/$entity`,
      id: m.userId,
      displayName: m.displayName,
      mail: m.address,
      userPrincipalName: m.address,
    },
  };
}

export function listFolders(ctx: HandlerContext): GraphReply {
  const { store } = ctx.state;
  const parent = ctx.params.folder
    ? pathFolder(ctx)
    : (ctx.mailbox.folders.get(ctx.mailbox.rootId) as Folder);
  const q = ctx.call.query;
  const get = (name: string): string | undefined => q[`$${name}`] ?? q[name];
  const select = parseFolderSelect(get('select'));
  let children = store.childFolders(ctx.mailbox, parent);
  const filter = get('filter');
  if (filter !== undefined) {
    const m = /^\s*displayName\s+eq\s+'((?:[^']|'')*)'\s*$/i.exec(filter);
    if (!m)
      throw new GraphFailure(
        400,
        'ErrorInvalidUrlQueryFilter',
        'The query filter contains one or more invalid nodes.',
      );
    const wanted = m[1].replace(/''/g, "'").toLowerCase();
    children = children.filter((f) => f.displayName.toLowerCase() === wanted);
  }
  const top = get('top') === undefined ? 10 : Number(get('top'));
  const skip = get('skip') === undefined ? 0 : Number(get('skip'));
  if (!Number.isInteger(top) || top < 1 || top > 1000) {
    throw badRequest(
      `The value of $top must be between 1 and 1000, got ${get('top')}.`,
      'ErrorInvalidArgument',
    );
  }
  if (!Number.isInteger(skip) || skip < 0)
    throw badRequest(`Invalid value '${get('skip')}' for query option $skip.`);
  const page = children.slice(skip, skip + top);
  const body: Record<string, unknown> = {
    '@odata.context': contextUrl(ctx, 'mailFolders'),
    value: page.map((f) => folderView(ctx.mailbox, f, select)),
  };
  if (skip + top < children.length) body['@odata.nextLink'] = linkWith(ctx, { $skip: String(skip + top) });
  return { status: 200, body, schema: 'mailFolder[]' };
}

function parseFolderSelect(text: string | undefined): string[] | undefined {
  if (text === undefined) return undefined;
  const known = [
    'id',
    'displayName',
    'parentFolderId',
    'childFolderCount',
    'unreadItemCount',
    'totalItemCount',
    'isHidden',
    'sizeInBytes',
  ];
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((name) => {
      const match = known.find((k) => k.toLowerCase() === name.toLowerCase());
      if (!match) {
        throw badRequest(
          `Could not find a property named '${name}' on type 'microsoft.graph.mailFolder'.`,
          'RequestBroker--ParseUri',
        );
      }
      return match;
    });
}

export function getFolder(ctx: HandlerContext): GraphReply {
  const folder = pathFolder(ctx);
  const q = ctx.call.query;
  const select = parseFolderSelect(q.$select ?? q.select);
  return {
    status: 200,
    body: {
      '@odata.context': contextUrl(ctx, 'mailFolders/$entity'),
      ...folderView(ctx.mailbox, folder, select),
    },
    schema: 'mailFolder',
  };
}

export function createFolder(ctx: HandlerContext): GraphReply {
  const parent = ctx.params.folder
    ? pathFolder(ctx)
    : (ctx.mailbox.folders.get(ctx.mailbox.rootId) as Folder);
  const body = requireBody<{ displayName?: string | null }>(ctx, 'mailFolder');
  const name = body.displayName?.trim();
  if (!name) throw badRequest('The displayName property is required.', 'ErrorInvalidRequest');
  const store = ctx.state.store;
  if (
    store.childFolders(ctx.mailbox, parent).some((f) => f.displayName.toLowerCase() === name.toLowerCase())
  ) {
    throw new GraphFailure(409, 'ErrorFolderExists', 'A folder with the specified name already exists.');
  }
  const folder = store.createFolder(ctx.mailbox, parent, name);
  return {
    status: 201,
    body: { '@odata.context': contextUrl(ctx, 'mailFolders/$entity'), ...folderView(ctx.mailbox, folder) },
    schema: 'mailFolder',
  };
}
