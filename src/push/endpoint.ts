/**
 * The public notification endpoint, without any web framework: one path per node, keyed by the node's id. It answers
 * Graph's validation request with the token (text/plain, 200), every notification POST with 202 at once, and hands
 * what it read to the node's receiver afterwards. It needs no credentials and tells a caller nothing: unknown keys,
 * bodies that are not notifications and failed clientState checks are answered alike, and only counted.
 */
import { NotificationItem, parseNotifications } from './notifications';

/** Gets the notifications of its path; checks their clientState itself. */
export interface NotificationReceiver {
  receive(items: NotificationItem[]): void;
}

export interface EndpointRequest {
  method: string;
  query: Record<string, unknown>;
  /** The Content-Type header, "" when absent. */
  contentType: string;
  /** The raw body, or what a body parser already made of it. */
  body: unknown;
}

export interface EndpointAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Largest body read: Graph's notifications without resource data are small. */
export const MAX_NOTIFICATION_BYTES = 1024 * 1024;
/** Longest validation token echoed; Graph's are well under this. */
const MAX_TOKEN_LENGTH = 4096;

const PLAIN = {
  'Content-Type': 'text/plain; charset=utf-8',
  'X-Content-Type-Options': 'nosniff',
  'Cache-Control': 'no-store',
};

/** The receivers of this process, by key (the node id), and what the endpoint did. */
export class PushEndpoints {
  private readonly receivers = new Map<string, NotificationReceiver>();
  readonly counters = { validations: 0, posts: 0, ignoredPosts: 0 };

  /** Registers the receiver of a key; returns its removal (which leaves a later registration alone). */
  register(key: string, receiver: NotificationReceiver): () => void {
    this.receivers.set(key, receiver);
    return () => {
      if (this.receivers.get(key) === receiver) this.receivers.delete(key);
    };
  }

  has(key: string): boolean {
    return this.receivers.has(key);
  }

  /** Answers one request to the key's path; notifications reach the receiver after the answer. */
  answer(key: string, request: EndpointRequest): EndpointAnswer {
    if (request.method.toUpperCase() !== 'POST') {
      return { status: 405, headers: { ...PLAIN, Allow: 'POST' }, body: '' };
    }
    const token = request.query.validationToken;
    if (token !== undefined) return this.validation(key, token);
    this.counters.posts++;
    const receiver = this.receivers.get(key);
    const items = /json/i.test(request.contentType) ? parseNotifications(request.body) : null;
    if (!receiver || !items) {
      this.counters.ignoredPosts++;
    } else {
      // Graph wants its answer within 3 s whatever the node does next: answer first, work after.
      setImmediate(() => receiver.receive(items));
    }
    return { status: 202, headers: { 'Cache-Control': 'no-store' }, body: '' };
  }

  private validation(key: string, token: unknown): EndpointAnswer {
    // Only a path some node (or a connection test) is waiting on answers: nothing else can be subscribed to.
    if (!this.receivers.has(key)) return { status: 404, headers: PLAIN, body: '' };
    if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) {
      return { status: 400, headers: PLAIN, body: '' };
    }
    this.counters.validations++;
    return { status: 200, headers: PLAIN, body: token };
  }
}

/** The endpoints of this Node-RED process (the HTTP route is registered once, nodes come and go). */
export const pushEndpoints = new PushEndpoints();
