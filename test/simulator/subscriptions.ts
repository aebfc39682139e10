/**
 * Graph change-notification subscriptions on Outlook messages: /subscriptions (create with the validation request,
 * list, get, renew with PATCH, delete, reauthorize), expiry, the per-mailbox limit, and the notifications sent when
 * mail arrives or a lifecycle event is raised. Graph's outgoing requests are made by push.ts.
 */
import * as crypto from 'node:crypto';
import { badRequest, GraphFailure } from './errors';
import { requireBody, type GraphCall, type GraphReply } from './handler';
import { resolveMailbox } from './router';
import type { TokenClaims } from './identity';
import { type LifecycleEvent, PushDelivery } from './push';
import type { SimState } from './state';
import type { Folder, Mailbox, MessageRecord } from './store';
import type { Operation } from './types';

/** A subscription as the simulator keeps it. */
export interface SimSubscription {
  id: string;
  applicationId: string;
  resource: string;
  changeType: string;
  notificationUrl: string;
  lifecycleNotificationUrl: string | null;
  clientState: string | null;
  expirationDateTime: string;
  latestSupportedTlsVersion: string;
  mailbox: string;
  /** null: every folder of the mailbox (`users/{id}/messages`). */
  folderId: string | null;
  /** After reauthorizationRequired, change notifications pause until the app reauthorizes or renews. */
  paused: boolean;
}

/** Graph's limits and the test controls that shorten what Graph grants. */
export interface SubscriptionLimits {
  /** Longest lifetime Graph accepts for message subscriptions, in minutes (10,080: under 7 days). */
  maxMinutes: number;
  /** Active subscriptions per mailbox across all apps (1,000). */
  perMailbox: number;
  /** GET /subscriptions page size (assumption: 100). */
  pageSize: number;
  /** Test control, not Graph's behaviour: grant at most this lifetime whatever was asked (null: as asked). */
  grantedLifetimeMs: number | null;
}

interface SubscriptionBody {
  changeType?: string;
  notificationUrl?: string;
  lifecycleNotificationUrl?: string | null;
  resource?: string;
  expirationDateTime?: string;
  clientState?: string | null;
  latestSupportedTlsVersion?: string | null;
  includeResourceData?: boolean | null;
}

const CHANGE_TYPES = ['created', 'updated', 'deleted'];
const READ_ROLES = ['Mail.Read', 'Mail.ReadWrite', 'Mail.ReadBasic', 'Mail.ReadBasic.All'];

/** The subscriptions of every app, and the notifications they cause. */
export class Subscriptions {
  readonly byId = new Map<string, SimSubscription>();
  readonly limits: SubscriptionLimits = {
    maxMinutes: 10_080,
    perMailbox: 1000,
    pageSize: 100,
    grantedLifetimeMs: null,
  };
  readonly delivery: PushDelivery;
  /** Subscriptions with a `missed` lifecycle notification queued, so a burst of drops sends one. */
  private readonly missedQueued = new Set<string>();

  constructor(
    private readonly state: SimState,
    private readonly tenantId: string,
  ) {
    this.delivery = new PushDelivery((id) => this.dropped(id));
    state.store.insertListeners.push((mailbox, folder, record) =>
      this.messageCreated(mailbox, folder, record),
    );
  }

  /** Active subscriptions (expired ones are removed, as Graph deletes a subscription it was not renewed). */
  active(): SimSubscription[] {
    const now = Date.now();
    for (const [id, s] of this.byId) if (Date.parse(s.expirationDateTime) <= now) this.byId.delete(id);
    return [...this.byId.values()];
  }

  /** Raises a lifecycle event for a subscription, as Graph does when it has to. */
  raise(id: string, event: LifecycleEvent): void {
    const subscription = this.active().find((s) => s.id === id);
    if (!subscription) throw new Error(`simulator: no active subscription '${id}'`);
    if (event === 'subscriptionRemoved') this.byId.delete(id);
    if (event === 'reauthorizationRequired') subscription.paused = true;
    this.sendLifecycle(subscription, event);
  }

  private sendLifecycle(subscription: SimSubscription, event: LifecycleEvent): void {
    // Without a lifecycleNotificationUrl Graph has nowhere to send lifecycle notifications.
    if (!subscription.lifecycleNotificationUrl) return;
    this.delivery.lifecycle(subscription.lifecycleNotificationUrl, subscription.id, event, {
      subscriptionId: subscription.id,
      subscriptionExpirationDateTime: subscription.expirationDateTime,
      tenantId: this.tenantId,
      clientState: subscription.clientState,
      lifecycleEvent: event,
    });
  }

  /** Change notifications Graph could not deliver: tell the app once through `missed`. */
  private dropped(id: string): void {
    const subscription = this.byId.get(id);
    if (!subscription || this.missedQueued.has(id)) return;
    this.missedQueued.add(id);
    setTimeout(() => this.missedQueued.delete(id), this.delivery.timing.windowMs).unref();
    this.sendLifecycle(subscription, 'missed');
  }

  private messageCreated(mailbox: Mailbox, folder: Folder, record: MessageRecord): void {
    for (const subscription of this.active()) {
      if (subscription.mailbox !== mailbox.address) continue;
      if (subscription.folderId !== null && subscription.folderId !== folder.id) continue;
      if (!subscription.changeType.split(',').includes('created')) continue;
      // Notifications for changes during a reauthorization pause are lost (Microsoft: "are lost").
      if (subscription.paused) continue;
      const resource = `Users/${mailbox.userId}/Messages/${record.message.id}`;
      this.delivery.change(subscription.notificationUrl, subscription.id, {
        subscriptionId: subscription.id,
        subscriptionExpirationDateTime: subscription.expirationDateTime,
        changeType: 'created',
        resource,
        resourceData: {
          '@odata.type': '#Microsoft.Graph.Message',
          '@odata.id': resource,
          '@odata.etag': `W/"${record.message.changeKey}"`,
          id: record.message.id,
        },
        clientState: subscription.clientState,
        tenantId: this.tenantId,
      });
    }
  }
}

/** True for paths this module answers: /subscriptions[/{id}[/reauthorize]]. */
export function isSubscriptionPath(path: string): boolean {
  return /^\/subscriptions(\/|$)/i.test(path);
}

interface SubscriptionRoute {
  operation: Operation;
  id?: string;
}

function route(method: string, path: string): SubscriptionRoute {
  const segments = path.split('/').filter((s) => s.length > 0);
  const id = segments[1] ? decodeURIComponent(segments[1]) : undefined;
  const action = segments[2]?.toLowerCase();
  const verb = method.toUpperCase();
  if (segments.length === 1 && verb === 'POST') return { operation: 'createSubscription' };
  if (segments.length === 1 && verb === 'GET') return { operation: 'listSubscriptions' };
  if (segments.length === 2 && verb === 'GET') return { operation: 'getSubscription', id };
  if (segments.length === 2 && verb === 'PATCH') return { operation: 'updateSubscription', id };
  if (segments.length === 2 && verb === 'DELETE') return { operation: 'deleteSubscription', id };
  const reauthorize = action === 'reauthorize' || action === 'microsoft.graph.reauthorize';
  if (segments.length === 3 && reauthorize && verb === 'POST')
    return { operation: 'reauthorizeSubscription', id };
  if (segments.length <= 2 || (segments.length === 3 && reauthorize)) {
    throw new GraphFailure(
      405,
      'BadRequest',
      `The HTTP method '${method}' is not allowed for this resource.`,
    );
  }
  throw badRequest(`Resource not found for the segment '${segments[segments.length - 1]}'.`);
}

/** The route's operation, for counting and fault matching before the handler runs. */
export function subscriptionOperation(method: string, path: string): Operation {
  return route(method, path).operation;
}

/** Runs one /subscriptions call (after the token was verified and faults applied). */
export async function handleSubscriptionCall(
  state: SimState,
  call: GraphCall,
  claims: TokenClaims,
): Promise<GraphReply> {
  const { operation, id } = route(call.method, call.path);
  const subscriptions = state.subscriptions;
  if (operation === 'createSubscription') return create(state, call, claims);
  if (operation === 'listSubscriptions') return list(state, call, claims);
  const subscription = subscriptions.active().find((s) => s.id === id && s.applicationId === claims.appid);
  // Another app's subscription is as invisible as a missing one (assumption: same 404).
  if (!subscription)
    throw new GraphFailure(
      404,
      'ResourceNotFound',
      `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`,
    );
  requireReadRole(state, claims, operationName(operation));
  switch (operation) {
    case 'getSubscription':
      return reply(state, 200, subscription, false);
    case 'deleteSubscription':
      subscriptions.byId.delete(subscription.id);
      return { status: 204 };
    case 'reauthorizeSubscription':
      subscription.paused = false;
      return { status: 204 };
    default:
      return renew(state, call, subscription);
  }
}

async function create(state: SimState, call: GraphCall, claims: TokenClaims): Promise<GraphReply> {
  const body = requireBody<SubscriptionBody>({ state, call }, 'subscription');
  for (const property of ['changeType', 'notificationUrl', 'resource', 'expirationDateTime'] as const) {
    if (!body[property])
      throw badRequest(`${property} is a required property for subscription creation.`, 'InvalidRequest');
  }
  const changeType = String(body.changeType).toLowerCase();
  if (!changeType.split(',').every((t) => CHANGE_TYPES.includes(t.trim()))) {
    throw badRequest(`'${body.changeType}' is not a valid changeType.`, 'InvalidRequest');
  }
  httpsOnly('NotificationUrl', String(body.notificationUrl));
  if (body.lifecycleNotificationUrl) httpsOnly('LifecycleNotificationUrl', body.lifecycleNotificationUrl);
  if (body.includeResourceData) {
    throw badRequest(
      'Resource data is not modelled by the simulator: subscribe without includeResourceData.',
      'InvalidRequest',
    );
  }
  const target = resourceOf(state, String(body.resource), claims);
  requireReadRole(state, claims, 'Create');
  const expirationDateTime = checkExpiration(state, String(body.expirationDateTime));
  const subscriptions = state.subscriptions;
  if (
    subscriptions.active().filter((s) => s.mailbox === target.mailbox.address).length >=
    subscriptions.limits.perMailbox
  ) {
    throw new GraphFailure(
      403,
      'ExtensionError',
      'Operation: Create; Exception: [Status Code: Forbidden; Reason: Maximum number of subscriptions has been reached]',
    );
  }
  // Graph validates both URLs before it creates the subscription; a failure creates nothing.
  await subscriptions.delivery.validate(String(body.notificationUrl));
  if (body.lifecycleNotificationUrl) await subscriptions.delivery.validate(body.lifecycleNotificationUrl);
  const subscription: SimSubscription = {
    id: crypto.randomUUID(),
    applicationId: claims.appid,
    resource: String(body.resource),
    changeType,
    notificationUrl: String(body.notificationUrl),
    lifecycleNotificationUrl: body.lifecycleNotificationUrl ?? null,
    clientState: body.clientState ?? null,
    expirationDateTime,
    latestSupportedTlsVersion: body.latestSupportedTlsVersion ?? 'v1_2',
    mailbox: target.mailbox.address,
    folderId: target.folderId,
    paused: false,
  };
  subscriptions.byId.set(subscription.id, subscription);
  return reply(state, 201, subscription, true);
}

function renew(state: SimState, call: GraphCall, subscription: SimSubscription): GraphReply {
  const body = requireBody<SubscriptionBody>({ state, call }, 'subscription');
  const unknown = Object.keys(body).filter(
    (k) => !k.startsWith('@') && k !== 'expirationDateTime' && k !== 'notificationUrl',
  );
  if (unknown.length > 0)
    throw badRequest(
      `Only expirationDateTime and notificationUrl can be updated, not ${unknown.join(', ')}.`,
      'InvalidRequest',
    );
  if (body.notificationUrl) {
    httpsOnly('NotificationUrl', body.notificationUrl);
    subscription.notificationUrl = body.notificationUrl;
  }
  if (body.expirationDateTime)
    subscription.expirationDateTime = checkExpiration(state, body.expirationDateTime);
  // Renewing also reauthorizes (Microsoft: "renewing your subscription also reauthorizes your endpoint").
  subscription.paused = false;
  return reply(state, 200, subscription, false);
}

function list(state: SimState, call: GraphCall, claims: TokenClaims): GraphReply {
  const mine = state.subscriptions.active().filter((s) => s.applicationId === claims.appid);
  const pageSize = state.subscriptions.limits.pageSize;
  const skip = Number(call.query.$skiptoken ?? call.query.skiptoken ?? 0);
  if (!Number.isInteger(skip) || skip < 0) throw badRequest('The $skiptoken is not valid.', 'InvalidRequest');
  const page = mine.slice(skip, skip + pageSize);
  const body: Record<string, unknown> = {
    '@odata.context': `${state.baseUrl}/v1.0/$metadata#subscriptions`,
    value: page.map((s) => view(s, false)),
  };
  if (skip + pageSize < mine.length)
    body['@odata.nextLink'] = `${state.baseUrl}/v1.0/subscriptions?$skiptoken=${skip + pageSize}`;
  return { status: 200, body, schema: 'subscriptionCollectionResponse' };
}

function reply(
  state: SimState,
  status: number,
  subscription: SimSubscription,
  withClientState: boolean,
): GraphReply {
  return {
    status,
    body: {
      '@odata.context': `${state.baseUrl}/v1.0/$metadata#subscriptions/$entity`,
      ...view(subscription, withClientState),
    },
    schema: 'subscription',
  };
}

/** Graph returns clientState when it creates a subscription, and null when it lists or reads one. */
function view(s: SimSubscription, withClientState: boolean): Record<string, unknown> {
  return {
    id: s.id,
    resource: s.resource,
    applicationId: s.applicationId,
    changeType: s.changeType,
    clientState: withClientState ? s.clientState : null,
    notificationUrl: s.notificationUrl,
    lifecycleNotificationUrl: s.lifecycleNotificationUrl,
    expirationDateTime: s.expirationDateTime,
    creatorId: s.applicationId,
    includeResourceData: false,
    latestSupportedTlsVersion: s.latestSupportedTlsVersion,
    encryptionCertificate: null,
    encryptionCertificateId: null,
    notificationQueryOptions: null,
    notificationUrlAppId: null,
  };
}

function httpsOnly(property: string, url: string): void {
  let scheme: string;
  try {
    scheme = new URL(url).protocol.replace(/:$/, '');
  } catch {
    throw badRequest(`${property} '${url}' is not a valid absolute URL.`, 'InvalidRequest');
  }
  if (scheme !== 'https')
    throw badRequest(`${property} scheme='${scheme}' is not supported.`, 'InvalidRequest');
}

/** The mailbox and folder of `users/{id}/mailFolders/{id}/messages` or `users/{id}/messages`. */
function resourceOf(
  state: SimState,
  resource: string,
  claims: TokenClaims,
): { mailbox: Mailbox; folderId: string | null } {
  const match = /^\/?(?:users\/([^/]+)|(me))\/(?:mailfolders(?:\/([^/()]+)|\('([^']+)'\))\/)?messages$/i.exec(
    resource.trim(),
  );
  if (!match)
    throw badRequest(
      `The resource '${resource}' is not supported by the simulator's subscriptions.`,
      'InvalidRequest',
    );
  const user = delegatedUser(state, claims);
  if (match[2] && !user) throw badRequest('/me request is only valid with delegated authentication flow.');
  // Unknown, inactive and policy-denied mailboxes answer as for mail operations (assumption).
  const mailbox =
    user && match[2]
      ? user
      : resolveMailbox(
          state,
          decodeURIComponent((match[1] ?? '').replace(/^AAD-UPN:/i, '')),
          claims.appid,
          !!user,
        );
  // Delegated: only the signed-in user's own folders (Microsoft); the answer's wording is an assumption.
  if (user && mailbox !== user) {
    throw new GraphFailure(
      403,
      'ExtensionError',
      'Operation: Create; Exception: [Status Code: Forbidden; Reason: Access denied]',
    );
  }
  const folderRef = match[3] ?? match[4];
  if (!folderRef) return { mailbox, folderId: null };
  const folder = state.store.findFolder(mailbox, decodeURIComponent(folderRef));
  if (!folder)
    throw new GraphFailure(
      404,
      'ExtensionError',
      'Operation: Create; Exception: [Status Code: NotFound; Reason: The specified object was not found in the store.]',
    );
  return { mailbox, folderId: folder.id };
}

/** The signed-in user's mailbox of a delegated token, or undefined for an app-only one. */
function delegatedUser(state: SimState, claims: TokenClaims): Mailbox | undefined {
  return claims.idtyp === 'user' && claims.oid ? state.store.findMailbox(claims.oid) : undefined;
}

/** Creating and managing a message subscription needs read access to mail (Microsoft: "requires a read scope"). */
function requireReadRole(state: SimState, claims: TokenClaims, operation: string): void {
  const delegated = claims.idtyp === 'user';
  const granted = delegated
    ? (claims.scp ?? '').split(' ')
    : (state.identity.app(claims.appid)?.roles ?? claims.roles ?? []);
  const roles = new Set(granted);
  if (!READ_ROLES.some((r) => roles.has(r))) {
    throw new GraphFailure(
      403,
      'ExtensionError',
      `Operation: ${operation}; Exception: [Status Code: Forbidden; Reason: Access denied]`,
    );
  }
}

function operationName(operation: Operation): string {
  const names: Partial<Record<Operation, string>> = {
    getSubscription: 'Get',
    updateSubscription: 'Update',
    deleteSubscription: 'Delete',
    reauthorizeSubscription: 'Reauthorize',
  };
  return names[operation] ?? 'Create';
}

/** Graph accepts an expiration in the future and at most maxMinutes ahead; the test control may shorten it. */
function checkExpiration(state: SimState, value: string): string {
  const at = Date.parse(value);
  if (Number.isNaN(at)) throw badRequest(`'${value}' is not a valid expirationDateTime.`, 'InvalidRequest');
  const now = Date.now();
  const { maxMinutes, grantedLifetimeMs } = state.subscriptions.limits;
  if (at <= now) throw badRequest('Subscription expiration must be in the future.', 'ExtensionError');
  if (at > now + maxMinutes * 60_000 + 60_000) {
    throw badRequest(
      `Subscription expiration can only be ${maxMinutes} minutes in the future.`,
      'ExtensionError',
    );
  }
  const granted = grantedLifetimeMs === null ? at : Math.min(at, now + grantedLifetimeMs);
  return new Date(granted).toISOString();
}
