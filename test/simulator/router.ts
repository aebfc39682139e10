/** Graph v1.0 routing and the per-operation pipeline: auth, roles, mailbox, faults, limits, schema checks. */
import { accessDenied, badRequest, GraphFailure, graphErrorBody, tooLarge } from './errors';
import { delay, DropConnection, type FaultRule } from './faults';
import type { TokenClaims } from './identity';
import type { SimState } from './state';
import type { Mailbox } from './store';
import type { GraphCall, GraphReply, HandlerContext } from './handler';
import type { Operation } from './types';
import * as folders from './graph-folders';
import * as messages from './graph-messages';
import * as attachments from './graph-attachments';
import * as send from './graph-send';
import * as answers from './graph-answer';
import { deltaMessages } from './delta';
import { handleSubscriptionCall, isSubscriptionPath, subscriptionOperation } from './subscriptions';

export type { GraphCall, GraphReply, HandlerContext } from './handler';

/** Graph's documented request limit (the default of `maxRequestBytes`). */
export const MAX_REQUEST_BYTES = 4 * 1024 * 1024;

/** Stands for the signed-in user in a /me path until the token says who that is. */
const ME = '\u0000me';

type Need = 'read' | 'readFull' | 'write' | 'send' | 'user';
type Handler = (ctx: HandlerContext) => Promise<GraphReply> | GraphReply;

interface Route {
  operation: Operation;
  method: string;
  /** Segments; ':name' captures, matched case-insensitively. */
  pattern: string[];
  need: Need;
  handler: Handler;
}

const M = ['users', ':user'];
const MSG = (...rest: string[]): string[][] => [
  [...M, 'messages', ':id', ...rest],
  [...M, 'mailfolders', ':folder', 'messages', ':id', ...rest],
];

function routes(): Route[] {
  const list: Route[] = [];
  const add = (
    operation: Operation,
    method: string,
    patterns: string[][],
    need: Need,
    handler: Handler,
  ): void => {
    for (const pattern of patterns) list.push({ operation, method, pattern, need, handler });
  };
  add('getUser', 'GET', [M], 'user', folders.getUser);
  add(
    'listFolders',
    'GET',
    [
      [...M, 'mailfolders'],
      [...M, 'mailfolders', ':folder', 'childfolders'],
    ],
    'read',
    folders.listFolders,
  );
  add(
    'createFolder',
    'POST',
    [
      [...M, 'mailfolders'],
      [...M, 'mailfolders', ':folder', 'childfolders'],
    ],
    'write',
    folders.createFolder,
  );
  add('getFolder', 'GET', [[...M, 'mailfolders', ':folder']], 'read', folders.getFolder);
  add('delta', 'GET', [[...M, 'mailfolders', ':folder', 'messages', 'delta']], 'read', deltaMessages);
  add(
    'listMessages',
    'GET',
    [
      [...M, 'messages'],
      [...M, 'mailfolders', ':folder', 'messages'],
    ],
    'read',
    messages.listMessages,
  );
  add(
    'createDraft',
    'POST',
    [
      [...M, 'messages'],
      [...M, 'mailfolders', ':folder', 'messages'],
    ],
    'write',
    messages.createDraft,
  );
  add('sendMail', 'POST', [[...M, 'sendmail']], 'send', send.sendMail);
  add('getMessage', 'GET', MSG(), 'read', messages.getMessage);
  add('patchMessage', 'PATCH', MSG(), 'write', messages.patchMessage);
  add('deleteMessage', 'DELETE', MSG(), 'write', messages.deleteMessage);
  add('getMime', 'GET', MSG('$value'), 'readFull', messages.getMime);
  add('moveMessage', 'POST', MSG('move'), 'write', messages.moveMessage);
  add('copyMessage', 'POST', MSG('copy'), 'write', messages.copyMessage);
  add('createReply', 'POST', MSG('createreply'), 'write', answers.createReply);
  add('createReplyAll', 'POST', MSG('createreplyall'), 'write', answers.createReplyAll);
  add('createForward', 'POST', MSG('createforward'), 'write', answers.createForward);
  add('sendDraft', 'POST', MSG('send'), 'send', send.sendDraft);
  add('listAttachments', 'GET', MSG('attachments'), 'readFull', attachments.listAttachments);
  add('addAttachment', 'POST', MSG('attachments'), 'write', attachments.addAttachment);
  add(
    'createUploadSession',
    'POST',
    MSG('attachments', 'createuploadsession'),
    'write',
    attachments.createUploadSession,
  );
  add('getAttachment', 'GET', MSG('attachments', ':attachment'), 'readFull', attachments.getAttachment);
  add(
    'getAttachmentValue',
    'GET',
    MSG('attachments', ':attachment', '$value'),
    'readFull',
    attachments.getAttachmentValue,
  );
  return list;
}

const ROUTES = routes();

interface Matched {
  route: Route;
  params: Record<string, string>;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw badRequest(`The request URI segment '${segment}' is not valid percent-encoding.`);
  }
}

/** Finds the route of a call; throws Graph's 400/405 answers. */
export function matchRoute(method: string, path: string): Matched {
  const raw = path.split('/').filter((s) => s.length > 0);
  const segments = raw.map(decodeSegment);
  // /me is /users/{signed-in user}; who that is (and whether there is one) is known once the token is read.
  if (segments[0]?.toLowerCase() === 'me') segments.splice(0, 1, 'users', ME);
  let methodMismatch = false;
  for (const route of ROUTES) {
    if (route.pattern.length !== segments.length) continue;
    const params: Record<string, string> = {};
    const ok = route.pattern.every((p, i) => {
      if (p.startsWith(':')) {
        params[p.slice(1)] = segments[i];
        return segments[i].length > 0;
      }
      // Graph accepts action names with their namespace too (microsoft.graph.move).
      const s = segments[i].toLowerCase();
      return s === p || s === `microsoft.graph.${p}`;
    });
    if (!ok) continue;
    if (route.method !== method.toUpperCase()) {
      methodMismatch = true;
      continue;
    }
    // 'delta' is a function, not a message id; prefer the literal route (listed first).
    return { route, params };
  }
  if (methodMismatch)
    throw new GraphFailure(
      405,
      'BadRequest',
      `The HTTP method '${method}' is not allowed for this resource.`,
    );
  const unknown = segments.find((s, i) => i > 0 && !/^[^/]+$/.test(s)) ?? segments[segments.length - 1] ?? '';
  throw badRequest(`Resource not found for the segment '${unknown}'.`);
}

function hasRole(claims: TokenClaims, state: SimState, need: Need): { ok: boolean; basic: boolean } {
  // Roles are read from the app registration so that sim.setRoles() applies at once (documented simplification).
  const roles = new Set(state.identity.app(claims.appid)?.roles ?? claims.roles ?? []);
  const full = roles.has('Mail.Read') || roles.has('Mail.ReadWrite');
  const basic = roles.has('Mail.ReadBasic') || roles.has('Mail.ReadBasic.All');
  switch (need) {
    case 'read':
      return { ok: full || basic, basic: !full };
    case 'readFull':
      return { ok: full, basic: false };
    case 'write':
      return { ok: roles.has('Mail.ReadWrite'), basic: false };
    case 'send':
      return { ok: roles.has('Mail.Send'), basic: false };
    case 'user':
      return {
        ok: ['User.Read.All', 'User.ReadBasic.All', 'Directory.Read.All'].some((r) => roles.has(r)),
        basic: false,
      };
  }
}

/**
 * A delegated token's access: the signed-in user's own mailbox needs the plain permission in `scp` (Mail.Read,
 * Mail.ReadWrite, Mail.Send); another mailbox needs the .Shared permission and the owner's delegation.
 */
function delegatedAccess(
  claims: TokenClaims,
  user: Mailbox,
  mailbox: Mailbox,
  need: Need,
): { ok: boolean; basic: boolean } {
  const scopes = new Set((claims.scp ?? '').split(' ').filter(Boolean));
  const has = (...names: string[]) => names.some((n) => scopes.has(n));
  if (mailbox === user) {
    const full = has('Mail.Read', 'Mail.ReadWrite');
    switch (need) {
      case 'read':
        return { ok: full || has('Mail.ReadBasic'), basic: !full };
      case 'readFull':
        return { ok: full, basic: false };
      case 'write':
        return { ok: has('Mail.ReadWrite'), basic: false };
      case 'send':
        return { ok: has('Mail.Send'), basic: false };
      case 'user':
        return { ok: has('User.Read'), basic: false };
    }
  }
  const rights = mailbox.delegates?.get(user.userId) ?? new Set<string>();
  switch (need) {
    case 'read':
    case 'readFull':
      return {
        ok:
          has('Mail.Read.Shared', 'Mail.ReadWrite.Shared') && (rights.has('read') || rights.has('readWrite')),
        basic: false,
      };
    case 'write':
      return { ok: has('Mail.ReadWrite.Shared') && rights.has('readWrite'), basic: false };
    case 'send':
      return { ok: has('Mail.Send.Shared') && rights.has('send'), basic: false };
    case 'user':
      return { ok: false, basic: false };
  }
}

/** Resolves the mailbox in the path: 404 unknown or inactive, 403 denied by an (app-only) access policy. */
export function resolveMailbox(state: SimState, ref: string, appId: string, delegated = false): Mailbox {
  const mailbox = state.store.findMailbox(ref);
  if (!mailbox) throw new GraphFailure(404, 'ErrorInvalidUser', `The requested user '${ref}' is invalid.`);
  if (mailbox.state === 'inactive') {
    throw new GraphFailure(
      404,
      'MailboxNotEnabledForRESTAPI',
      'The mailbox is either inactive, soft-deleted, or is hosted on-premise.',
    );
  }
  const app = delegated ? undefined : state.identity.app(appId);
  if (
    app?.deniedMailboxes?.some(
      (d) => d.toLowerCase() === mailbox.address || d.toLowerCase() === mailbox.userId,
    )
  ) {
    throw new GraphFailure(
      403,
      'ErrorAccessDenied',
      'Access to OData is disabled: [RAOP] : Blocked by tenant configured AppOnly AccessPolicy settings.',
    );
  }
  return mailbox;
}

/** Outcome of one operation, with what the transport must do besides answering. */
export interface Outcome {
  reply: GraphReply;
  operation: Operation | null;
  mailbox: string | null;
  /** Destroy the connection instead of answering (after the operation when it ran). */
  drop?: boolean;
  malformed?: boolean;
}

/** Turns a failure into Graph's error reply. */
export function failureReply(
  failure: GraphFailure,
  call: { requestId: string; clientRequestId: string },
): GraphReply {
  return {
    status: failure.status,
    headers: { ...failure.headers },
    body: graphErrorBody(failure.code, failure.message, call.requestId, call.clientRequestId),
    schema: 'odataError',
  };
}

/** The answer of a throttle or fail fault (failAfter: after the operation); undefined for other faults. */
export function faultReply(rule: FaultRule): GraphFailure | undefined {
  if (rule.kind === 'throttle') {
    return new GraphFailure(
      429,
      'ApplicationThrottled',
      'Application is over its MailboxConcurrency limit.',
      rule.retryAfter === null ? {} : { 'Retry-After': String(rule.retryAfter) },
    );
  }
  if (rule.kind === 'fail' || rule.kind === 'failAfter') {
    return new GraphFailure(
      rule.status,
      rule.code,
      rule.status >= 500
        ? 'The service is temporarily unavailable. Please retry later.'
        : 'Injected failure.',
      rule.retryAfter === null ? {} : { 'Retry-After': String(rule.retryAfter) },
    );
  }
  return undefined;
}

/**
 * Takes the fault that applies to this operation, if any, and applies what happens before it runs: an error answer,
 * a dropped connection or a delay. The rule is returned for what happens after (drop after, malformed answer).
 */
async function takeFault(
  state: SimState,
  call: GraphCall,
  operation: Operation,
  mailbox: string | null,
): Promise<FaultRule | undefined> {
  const rule = state.faults.take({
    operation,
    method: call.method,
    mailbox,
    path: call.path,
    inBatch: call.inBatch,
  });
  if (!rule) return undefined;
  // failAfter answers after the operation ran (executeGraph).
  const failure = rule.kind === 'failAfter' ? undefined : faultReply(rule);
  if (failure) throw failure;
  if (rule.kind === 'drop' && !rule.after) throw new DropConnection();
  if (rule.kind === 'slow') await delay(rule.delayMs);
  return rule;
}

/** Runs one Graph operation through the whole pipeline. Never throws except DropConnection. */
export async function executeGraph(
  state: SimState,
  call: GraphCall,
  authorization: string | undefined,
): Promise<Outcome> {
  if (isSubscriptionPath(call.path)) return executeSubscription(state, call, authorization);
  let operation: Operation | null = null;
  let mailboxName: string | null = null;
  let rule: FaultRule | undefined;
  try {
    const { route, params } = matchRoute(call.method, call.path);
    operation = route.operation;
    state.countOperation(operation);
    const claims = state.identity.verify(authorization);
    const user = claims.idtyp === 'user' && claims.oid ? state.store.findMailbox(claims.oid) : undefined;
    if (params.user === ME) {
      if (!user) throw badRequest('/me request is only valid with delegated authentication flow.');
      params.user = user.userId;
    }
    let access: { ok: boolean; basic: boolean };
    let mailbox: Mailbox;
    if (user) {
      mailbox = resolveMailbox(state, params.user, claims.appid, true);
      access = delegatedAccess(claims, user, mailbox, route.need);
      if (!access.ok) throw accessDenied();
    } else {
      access = hasRole(claims, state, route.need);
      if (!access.ok) throw accessDenied();
      mailbox = resolveMailbox(state, params.user, claims.appid);
    }
    mailboxName = mailbox.address;
    rule = await takeFault(state, call, operation, mailboxName);
    if (call.bodyBytes > state.maxRequestBytes) throw tooLarge();
    if (['PATCH', 'POST', 'PUT'].includes(call.method.toUpperCase()))
      state.uploadVolume.admit(`${claims.appid}|${mailbox.address}`, call.bodyBytes);
    const reply = await state.limits.run(mailbox.address, async () =>
      route.handler({ state, call, mailbox, params, claims, basic: access.basic }),
    );
    if (rule?.kind === 'drop') throw new DropConnection();
    // Processed, then answered an error: the operation took effect (a sent mail is sent).
    if (rule?.kind === 'failAfter') throw faultReply(rule) as GraphFailure;
    return finish(state, call.path, {
      reply,
      operation,
      mailbox: mailboxName,
      malformed: rule?.kind === 'malformed',
    });
  } catch (err) {
    if (err instanceof DropConnection) throw err;
    if (!(err instanceof GraphFailure)) {
      const failure = new GraphFailure(
        500,
        'InternalServerError',
        `Simulator error: ${(err as Error).message}`,
      );
      return finish(state, call.path, {
        reply: failureReply(failure, call),
        operation,
        mailbox: mailboxName,
      });
    }
    if (err.status === 429) state.counters.throttled++;
    if (err.delayMs > 0) await delay(err.delayMs);
    return finish(state, call.path, { reply: failureReply(err, call), operation, mailbox: mailboxName });
  }
}

/** Runs one /subscriptions call: token, faults, handler (subscriptions hold no mailbox slot). */
async function executeSubscription(
  state: SimState,
  call: GraphCall,
  authorization: string | undefined,
): Promise<Outcome> {
  let operation: Operation | null = null;
  try {
    operation = subscriptionOperation(call.method, call.path);
    state.countOperation(operation);
    const claims = state.identity.verify(authorization);
    const rule = await takeFault(state, call, operation, null);
    const reply = await handleSubscriptionCall(state, call, claims);
    if (rule?.kind === 'drop') throw new DropConnection();
    return finish(state, call.path, {
      reply,
      operation,
      mailbox: null,
      malformed: rule?.kind === 'malformed',
    });
  } catch (err) {
    if (err instanceof DropConnection) throw err;
    const failure =
      err instanceof GraphFailure
        ? err
        : new GraphFailure(500, 'InternalServerError', `Simulator error: ${(err as Error).message}`);
    if (failure.status === 429) state.counters.throttled++;
    return finish(state, call.path, { reply: failureReply(failure, call), operation, mailbox: null });
  }
}

/** Records response schema violations of an outcome and passes it on. */
export function finish(state: SimState, path: string, outcome: Outcome): Outcome {
  const { reply } = outcome;
  if (reply.schema && reply.body !== undefined && !Buffer.isBuffer(reply.body)) {
    if (reply.schema.endsWith('[]')) {
      // Collections without a wrapper schema: check every item.
      const items = (reply.body as { value?: unknown[] }).value ?? [];
      for (const item of items) state.validate('response', 'lenient', reply.schema.slice(0, -2), item, path);
    } else state.validate('response', 'lenient', reply.schema, reply.body, path);
  }
  return outcome;
}
