/**
 * pollType push in Node-RED: the one notification route on RED.httpNode (every node's path goes through it), and a
 * node's PushChannel wired to its poller, status and log. The lifecycle itself is src/push/channel.ts.
 */
import type { ServerResponse } from 'node:http';
import type { GraphClient } from '../graph/client';
import type { MailApi } from '../graph/mail-api';
import { GraphSubscription, messagesResource, SubscriptionApi } from '../graph/subscriptions';
import { PushChannel, PushState } from '../push/channel';
import { WakeCoalescer } from '../push/coalesce';
import { MAX_NOTIFICATION_BYTES, pushEndpoints } from '../push/endpoint';
import { NOTIFY_PATH, notificationUrl } from '../push/url';
import { contextSubscriptionMemory } from '../push/memory';
import { catalogueText, type Substitutions } from './catalogue';
import { AccountNode, Node, NodeRED, PublicHttpRequest } from './types';

/** What the node's status shows about push. */
export type PushMode = { kind: 'subscribing' } | { kind: 'on' } | { kind: 'fallback'; reason: string };

export interface PushWiring {
  account: AccountNode;
  client: GraphClient;
  api: MailApi;
  mailbox: string;
  folder: string;
  /** The safety-net interval, for the texts. */
  intervalSeconds: number;
  /** Asks the receive engine for a poll (coalesced: polls never overlap, one more follows). */
  wake(): void;
  show(mode: PushMode): void;
}

/** Ignored notifications are reported at most this often. */
const IGNORED_REPORT_MS = 10 * 60_000;
/** A notification body must arrive within this. */
const BODY_TIMEOUT_MS = 10_000;

const routed = new WeakSet<object>();

/** Registers POST {httpNodeRoot}o365-mail-in/notify/:key once per Node-RED HTTP app. */
export function registerNotificationRoute(RED: NodeRED): void {
  const app = RED.httpNode;
  if (!app || routed.has(app)) return;
  routed.add(app);
  app.post(`/${NOTIFY_PATH}/:key`, (req, res) => void answerNotification(req, res));
}

async function answerNotification(req: PublicHttpRequest, res: ServerResponse): Promise<void> {
  let body: unknown;
  try {
    body = await readBody(req);
  } catch {
    // Too large or too slow: answer, then drop the connection rather than read on.
    res.on('finish', () => req.destroy());
    res.writeHead(413, { Connection: 'close' }).end();
    return;
  }
  const answer = pushEndpoints.answer(req.params.key ?? '', {
    method: req.method ?? '',
    query: req.query ?? {},
    contentType: String(req.headers['content-type'] ?? ''),
    body,
  });
  res.writeHead(answer.status, answer.headers).end(answer.body);
}

/** The raw body (at most MAX_NOTIFICATION_BYTES, within BODY_TIMEOUT_MS), or what a body parser already made of it. */
function readBody(req: PublicHttpRequest): Promise<unknown> {
  if (req._body || req.readableEnded) return Promise.resolve(req.body);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const fail = (err: Error) => {
      clearTimeout(timer);
      req.pause();
      req.removeAllListeners('data');
      reject(err);
    };
    const timer = setTimeout(() => fail(new Error('body too slow')), BODY_TIMEOUT_MS);
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_NOTIFICATION_BYTES) fail(new Error('body too large'));
      else chunks.push(chunk);
    });
    req.on('end', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
    req.on('error', fail);
  });
}

/** Subscribes the node to its folder's new mail; without a usable URL it says why and the safety net polls alone. */
export function startPush(
  RED: NodeRED,
  node: Node,
  wiring: PushWiring,
): { stop(): Promise<void>; resume(): void } {
  const t = (key: string, subs?: Substitutions) => catalogueText(RED, `o365-mail-in.${key}`, subs);
  const seconds = wiring.intervalSeconds;
  const built = notificationUrl(wiring.account.publicUrl, RED.httpNode ? httpNodeRoot(RED) : false, node.id);
  if ('problem' in built) {
    wiring.show({ kind: 'fallback', reason: t(`push.reason.${built.problem}`) });
    node.warn(t('errors.push-unavailable', { detail: built.detail, seconds }));
    return { stop: async () => undefined, resume: () => undefined };
  }
  const scope = `${node.id}|${wiring.client.graphEndpoint}`;
  let lastProblem = '';
  const coalescer = new WakeCoalescer(() => wiring.wake());
  const channel = new PushChannel({
    api: new SubscriptionApi(wiring.client),
    notificationUrl: built.url,
    resource: async (signal) =>
      messagesResource(wiring.mailbox, await wiring.api.resolveFolder(wiring.folder, signal)),
    wake: () => coalescer.wake(),
    memory: contextSubscriptionMemory(node.context(), scope),
    orphaned: orphanRule(RED, wiring.account.publicUrl),
    warn: (notice) => node.warn(t(`errors.push-${notice.key}`, { detail: notice.detail })),
    onState: (state: PushState) => {
      if (state.kind === 'subscribing') wiring.show({ kind: 'subscribing' });
      if (state.kind === 'active') {
        wiring.show({ kind: 'on' });
        if (lastProblem !== 'on') node.log(t('log.push-on', { url: built.url }));
        lastProblem = 'on';
      }
      if (state.kind === 'fallback') {
        wiring.show({ kind: 'fallback', reason: t(`push.reason.${state.problem}`) });
        const time = state.retryAt ? state.retryAt.toLocaleTimeString() : '-';
        if (lastProblem !== state.detail)
          node.warn(t('errors.push-fallback', { detail: state.detail, seconds, time }));
        lastProblem = state.detail;
      }
    },
  });
  const ignored = ignoredReporter((count) => node.warn(t('errors.push-ignored', { count })));
  const unregister = pushEndpoints.register(node.id, {
    receive: (items) => {
      const before = channel.stats.ignored;
      channel.receive(items);
      ignored(channel.stats.ignored - before);
    },
  });
  channel.start();
  return {
    resume: () => channel.resume(),
    stop: async () => {
      coalescer.stop();
      await channel.stop();
      unregister();
    },
  };
}

/**
 * Subscriptions at a node path of this Node-RED (same publicUrl and httpNodeRoot) that no node will use: not listening
 * now, and not an enabled push node of the active flows (which cleans up its own path when it starts; a node inside a
 * subflow has an id of its own at each start). Such a node was removed, disabled or switched to polling while
 * Node-RED was down; its subscription would notify no one for days.
 */
function orphanRule(RED: NodeRED, publicUrl: string | undefined): (s: GraphSubscription) => boolean {
  const base = notificationUrl(publicUrl, RED.httpNode ? httpNodeRoot(RED) : false, '');
  if ('problem' in base || !RED.nodes.eachNode) return () => false;
  const prefix = base.url;
  return (subscription) => {
    if (!subscription.notificationUrl.startsWith(prefix)) return false;
    const rest = subscription.notificationUrl.slice(prefix.length);
    let key: string;
    try {
      key = decodeURIComponent(rest);
    } catch {
      return false;
    }
    if (!key || rest.includes('/') || pushEndpoints.has(key)) return false;
    let pushNode = false;
    RED.nodes.eachNode?.((n) => {
      if (n.id === key && n.type === 'o365-mail-in' && n.pollType === 'push' && n.d !== true) pushNode = true;
    });
    return !pushNode;
  };
}

/** Counts ignored notifications and reports them at most every IGNORED_REPORT_MS (an attacker must not flood the log). */
function ignoredReporter(report: (count: number) => void): (count: number) => void {
  let since = 0;
  let lastReport = 0;
  return (count) => {
    since += count;
    if (since === 0 || Date.now() - lastReport < IGNORED_REPORT_MS) return;
    report(since);
    lastReport = Date.now();
    since = 0;
  };
}

/** Node-RED's httpNodeRoot as the runtime formatted it ("/" unless set). */
export function httpNodeRoot(RED: NodeRED): string | false {
  const root = RED.settings?.httpNodeRoot;
  if (root === false) return false;
  return typeof root === 'string' ? root : '/';
}
