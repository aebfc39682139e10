/**
 * Change-notification subscriptions on Graph (`/subscriptions`): create, renew, reauthorize, delete and list, and what
 * a failed subscription request means (validation failed, not HTTPS, limit reached...), as a stable code.
 */
import { GraphCodes } from './error-codes';
import { pathSegment } from './odata';
import { GraphClient } from './client';
import { GraphError, messageOf, O365Error } from './errors';

/** A subscription as Graph returns it (the members this package uses). */
export interface GraphSubscription {
  id: string;
  resource: string;
  changeType: string;
  notificationUrl: string;
  lifecycleNotificationUrl?: string | null;
  expirationDateTime: string;
  /** Only in the answer to create; Graph never returns it when listing. */
  clientState?: string | null;
}

/** What POST /subscriptions needs. */
export interface NewSubscription {
  resource: string;
  changeType: 'created';
  notificationUrl: string;
  lifecycleNotificationUrl: string;
  clientState: string;
  expirationDateTime: string;
}

import type { SubscriptionProblemCode } from './error-codes';

export type { SubscriptionProblemCode } from './error-codes';

/** Microsoft's "under 7 days" for message subscriptions, a minute short (docs: 10,080 minutes). */
export const MESSAGE_SUBSCRIPTION_MINUTES = 10_079;
/** The limit Graph enforced before (4,230 minutes, "under 3 days"), used when Graph refuses the longer one. */
export const FORMER_MESSAGE_SUBSCRIPTION_MINUTES = 4_229;

/** The subscription operations of one account. */
export class SubscriptionApi {
  constructor(private readonly client: GraphClient) {}

  /**
   * Creates a subscription; Graph calls the notification URL with its validation request before it answers. Not
   * repeated after an unknown outcome (a second one would be created): the caller cleans up by URL instead.
   */
  async create(subscription: NewSubscription, signal?: AbortSignal): Promise<GraphSubscription> {
    const response = await this.client.request<GraphSubscription>({
      method: 'POST',
      path: '/subscriptions',
      body: subscription,
      retry: 'write',
      permission: 'Mail.Read',
      signal,
    });
    return response.data;
  }

  /** Renews until `expirationDateTime`; renewing also reauthorizes. Returns what Graph granted. */
  async renew(id: string, expirationDateTime: string, signal?: AbortSignal): Promise<GraphSubscription> {
    const response = await this.client.request<GraphSubscription>({
      method: 'PATCH',
      path: `/subscriptions/${pathSegment(id)}`,
      body: { expirationDateTime },
      retry: 'idempotent',
      permission: 'Mail.Read',
      signal,
    });
    return response.data;
  }

  /** Answers a reauthorizationRequired challenge without changing the expiration. */
  async reauthorize(id: string, signal?: AbortSignal): Promise<void> {
    await this.client.request({
      method: 'POST',
      path: `/subscriptions/${pathSegment(id)}/reauthorize`,
      retry: 'idempotent',
      permission: 'Mail.Read',
      signal,
    });
  }

  /** Deletes a subscription; one that is already gone counts as deleted. */
  async delete(id: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.client.request({
        method: 'DELETE',
        path: `/subscriptions/${pathSegment(id)}`,
        retry: 'idempotent',
        permission: 'Mail.Read',
        signal,
      });
    } catch (err) {
      if (subscriptionProblem(err) !== 'not-found') throw err;
    }
  }

  /** Every subscription this application made (for any user), following Graph's pages. */
  async list(signal?: AbortSignal): Promise<GraphSubscription[]> {
    const all: GraphSubscription[] = [];
    for await (const page of this.client.pages<GraphSubscription>({
      method: 'GET',
      path: '/subscriptions',
      permission: 'Mail.Read',
      signal,
    })) {
      all.push(...page.value);
    }
    return all;
  }
}

/**
 * The resource path of a folder's messages. Microsoft recommends a user id; a UPN works too, and one that starts with
 * a GUID needs the `AAD-UPN:` prefix so it is not taken for a mailbox GUID.
 */
export function messagesResource(mailbox: string, folderId: string): string {
  // A delegated account's own mailbox: the only one it may subscribe to.
  if (mailbox.trim().toLowerCase() === 'me') return `me/mailFolders/${pathSegment(folderId)}/messages`;
  const user = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}@/i.test(mailbox)
    ? `AAD-UPN:${mailbox}`
    : mailbox;
  return `users/${pathSegment(user).replace(/%40/g, '@').replace(/%3A/g, ':')}/mailFolders/${pathSegment(folderId)}/messages`;
}

/** What a failed subscription request means, by Graph's status and code. */
export function subscriptionProblem(err: unknown): SubscriptionProblemCode {
  if (err instanceof O365Error && err.reason === 'sign-in-required') return 'sign-in-required';
  if (!(err instanceof GraphError)) return 'graph-error';
  if (err.status === 404) return 'not-found';
  if (err.code === GraphCodes.subscriptionValidation) return 'validation-failed';
  if (err.status === 400 && err.code === GraphCodes.subscriptionExtension) return 'expiration-rejected';
  if (err.reason === 'access-policy') return 'access-policy';
  if (err.status === 403) return 'forbidden';
  return 'graph-error';
}

/**
 * The text of a failed subscription request, for the log. A missing read permission and a mailbox holding its 1,000
 * subscriptions share status (403) and code (ExtensionError), so for that answer the text quotes Graph's own words,
 * which say which, and names both causes rather than guessing.
 */
export function subscriptionFailureText(err: unknown): string {
  if (
    !(err instanceof GraphError) ||
    subscriptionProblem(err) !== 'forbidden' ||
    err.code !== GraphCodes.subscriptionExtension ||
    !err.serviceMessage
  ) {
    return messageOf(err);
  }
  const parts = [err.code, `HTTP ${err.status}`, ...(err.requestId ? [`request-id ${err.requestId}`] : [])];
  const hint = err.hint
    ? `${err.hint.charAt(0).toLowerCase()}${err.hint.slice(1)}`
    : 'a read permission is missing';
  return (
    `Graph refused the subscription: ${err.serviceMessage} (${parts.join(', ')}); either ${hint}, ` +
    'or the mailbox has reached its 1,000 subscriptions (all applications together)'
  );
}
