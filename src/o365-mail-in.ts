/**
 * o365-mail-in: polls one mailbox folder and sends one message per mail. Glue only: settings are read by
 * src/red/settings.ts, polls are timed by src/schedule.ts, run by the engine in src/receive, and each mail becomes a
 * msg in src/mail/inbound.ts; the status line is src/red/mail-in-status.ts.
 */
import { offersMessageDelta } from './graph/account-rules';
import type { Connection } from './graph/connection';
import { inboundMessage } from './mail/inbound';
import { contextCursorStore, forgetCursor, Receiver } from './receive';
import { cronProblem, cronProblemText, nextRuns, Poller } from './schedule';
import { MailInStatus } from './red/mail-in-status';
import { mailFailedText, nodeStart, noticeText, pollProblemText } from './red/messages';
import type { MailInProperties } from './red/properties';
import { notificationUrl } from './push/url';
import { httpNodeRoot, registerNotificationRoute, startPush } from './red/push';
import { MailInSettings, readMailInSettings, withOwnMailbox } from './red/settings';
import { errorStatus, isAccountProblem, problemStatus } from './red/status';
import {
  type AccountNode,
  type HttpRequest,
  type HttpResponse,
  type Node,
  type NodeRED,
  type NodeStatus,
  registerNodeType,
} from './red/types';

const TYPE = 'o365-mail-in';

export = function register(RED: NodeRED): void {
  registerNodeType(RED, TYPE, MailInNode);
  registerNotificationRoute(RED);

  // The notification URL Graph will call for a node, as the dialog shows it (publicUrl may be unsaved there).
  RED.httpAdmin.get(
    '/o365-mail-in/push-url',
    RED.auth.needsPermission('o365-mail-in.read'),
    (req: HttpRequest, res: HttpResponse) => {
      const root = RED.httpNode ? httpNodeRoot(RED) : false;
      res.json(notificationUrl(req.query.publicUrl, root, String(req.query.node ?? '')));
    },
  );

  RED.httpAdmin.get(
    '/o365-mail-in/cron',
    RED.auth.needsPermission('o365-mail-in.read'),
    (req: HttpRequest, res: HttpResponse) => {
      const expression = String(req.query.expression ?? '');
      const problem = cronProblem(expression);
      if (problem) return res.json({ valid: false, error: cronProblemText(problem), problem });
      const next = nextRuns({ type: 'cron', expression }, new Date(), 3).map((d) => d.toISOString());
      res.json({ valid: true, next });
    },
  );
};

/** One o365-mail-in node: its receiver, poller, status, input and close handlers. */
class MailInNode {
  /** The last poll error reported, so a failing poll is reported when it changes, not at every schedule. */
  private lastError = '';

  constructor(
    private readonly RED: NodeRED,
    private readonly node: Node,
    config: MailInProperties,
  ) {
    this.setUp(config);
  }

  /** Reads the settings and starts polling; a node whose settings cannot work refuses to. */
  private setUp(config: MailInProperties): void {
    const { RED } = this;
    const { account, settings, problem } = nodeStart(RED, TYPE, config, (delegated) =>
      readMailInSettings(withOwnMailbox(config, delegated)),
    );
    if (problem !== undefined) return this.refuse(new Error(problem));
    let connection: Connection;
    try {
      connection = account.connection();
    } catch (err) {
      return this.refuse(err as Error, errorStatus(RED, err));
    }
    this.start(account, connection, settings);
  }

  /** A node whose settings cannot work shows why and answers each input with that error. */
  private refuse(err: Error, status: NodeStatus = problemStatus(err.message)): void {
    this.node.status(status);
    this.node.error(err.message);
    this.node.on('input', (_msg, _send, done) => done(err));
  }

  private start(account: AccountNode, connection: Connection, settings: MailInSettings): void {
    const { RED, node } = this;
    const { receive: options, poll } = settings;
    const status = new MailInStatus(RED, node, poll.schedule.type === 'manual', poll.push);
    const client = connection.client((notice) => status.retrying(notice));
    const api = connection.mailbox(options.mailbox, client);
    const where = { mailbox: options.mailbox, folder: options.folder };
    // The process-wide copy of the cursor belongs to this node on this tenant's Graph.
    const cursorScope = `${node.id}|${connection.account.graphEndpoint}|${connection.account.tenantId}`;
    const receiver = new Receiver(
      api,
      options,
      contextCursorStore(node.context(), cursorScope),
      {
        deliver: (mail) => node.send(inboundMessage(mail)),
        mailFailed: (err) => {
          node.error(mailFailedText(RED, err), {
            payload: '',
            topic: '',
            o365: { id: err.mailId, ...where },
          });
        },
        warn: (notice) => node.warn(noticeText(RED, notice)),
      },
      { messageDelta: offersMessageDelta(connection.account.cloud) },
    );

    const poller = new Poller(
      poll.schedule,
      async (signal) => {
        const summary = await receiver.pollOnce(signal);
        this.lastError = '';
        // Woken by a notification, the node fetches what is waiting now, not at the next safety-net poll.
        if (poll.push && summary.limited) poller.trigger();
        // Shown at once: a poll queued by a trigger may follow without an idle moment in between.
        status.polled(summary, receiver.unacknowledged, nextRuns(poll.schedule, new Date(), 1)[0] ?? null);
      },
      {
        pollOnStart: poll.pollOnStart,
        onPollStart: () => status.polling(),
        onIdle: (next) => status.idle(next),
        onError: (err) => {
          if (isAccountProblem(err)) account.reportAccountProblem(err);
          status.failed(err);
          this.reportPollError(err, where);
        },
      },
    );

    const detach = account.attach({
      status: (s) => node.status(s),
      // Signed in again after "sign in again": poll now (a manual node waits for its next input).
      signedInAgain: () => {
        this.lastError = '';
        const manual = poll.schedule.type === 'manual';
        status.resumed(manual ? null : (nextRuns(poll.schedule, new Date(), 1)[0] ?? null));
        if (!manual) poller.trigger();
        push?.resume();
      },
    });

    node.on('input', (_msg, _send, done) => {
      // The input only asks for a poll now; the mails leave as messages of their own, so it is done at once.
      poller.trigger();
      done();
    });
    poller.start();
    // Notifications only wake the poller: the same filter, actions, claim and cursor, never two polls at once.
    const push = poll.push
      ? startPush(RED, node, {
          account,
          client,
          api,
          mailbox: options.mailbox,
          folder: options.folder,
          intervalSeconds: poll.schedule.type === 'interval' ? poll.schedule.seconds : 0,
          wake: () => poller.trigger(),
          show: (mode) => status.push(mode, poller.nextRunAt),
        })
      : null;
    node.on('close', (removed, done) => {
      if (removed) forgetCursor(cursorScope);
      Promise.all([poller.stop().catch(() => undefined), push?.stop().catch(() => undefined)]).finally(() => {
        detach();
        done();
      });
    });
  }

  /** A failing poll repeats at every schedule: reported when it changes, with a message so Catch nodes see it. */
  private reportPollError(err: Error, where: { mailbox: string; folder: string }): void {
    const message = pollProblemText(this.RED, err);
    if (message !== this.lastError) this.node.error(message, { payload: '', topic: message, o365: where });
    this.lastError = message;
  }
}
