/**
 * o365-mail-in: polls one mailbox folder and sends one message per mail. Node-RED glue only: the schedule comes
 * from src/schedule.ts, the polling engine from src/receive, the message shape from src/mail/inbound.ts.
 */
import { ErrorCodes } from './graph/error-codes';
import { ConfigError, GraphError, messageOf } from './graph/errors';
import { RetryNotice } from './graph/types';
import { InboundMail } from './mail/inbound';
import { Cursor, CursorStore, MailError, Notice, PollSummary, Receiver } from './receive';
import { checkCron, nextRuns, Poller } from './schedule';
import type { MailInProperties } from './red/properties';
import { MailInSettings, readMailInSettings } from './red/settings';
import { errorStatus, isAccountProblem, reasonText, text } from './red/status';
import { AccountNode, HttpRequest, HttpResponse, Node, NodeMessage, NodeRED } from './red/types';

/** Where action none keeps its cursor in the node's context. */
const CURSOR_KEY = 'o365MailInCursor';

export = function register(RED: NodeRED): void {
  function O365MailInNode(this: Node, config: MailInProperties) {
    RED.nodes.createNode(this, config);
    startMailIn(RED, this, config);
  }
  RED.nodes.registerType('o365-mail-in', O365MailInNode);

  RED.httpAdmin.get(
    '/o365-mail-in/cron',
    RED.auth.needsPermission('o365-mail-in.read'),
    (req: HttpRequest, res: HttpResponse) => {
      const expression = String(req.query.expression ?? '');
      const error = checkCron(expression);
      if (error) return res.json({ valid: false, error });
      const next = nextRuns({ type: 'cron', expression }, new Date(), 3).map((d) => d.toISOString());
      res.json({ valid: true, next });
    },
  );
};

/** Sets the node up; a node whose settings cannot work shows why and answers each input with that error. */
function startMailIn(RED: NodeRED, node: Node, config: MailInProperties): void {
  const t = (key: string, fallback: string, subs?: Record<string, string | number>) =>
    text(RED, `o365-mail-in.${key}`, fallback, subs);
  const fail = (problem: string) => {
    node.status({ fill: 'red', shape: 'ring', text: problem });
    node.error(problem);
    node.on('input', (_msg, _send, done) => done(new Error(problem)));
  };

  const account = config.account ? (RED.nodes.getNode(config.account) as AccountNode | null) : null;
  if (!account) return fail(t('errors.no-account', 'no Microsoft 365 account configured'));
  let settings: MailInSettings;
  try {
    settings = readMailInSettings(config);
  } catch (err) {
    return fail(settingsProblemText(err, t));
  }
  const { receive: options, poll } = settings;
  const schedule = poll.schedule;
  let connection;
  try {
    connection = account.connection();
  } catch (err) {
    node.status(errorStatus(RED, err));
    node.error((err as Error).message);
    node.on('input', (_msg, _send, done) => done(err as Error));
    return;
  }

  const detach = account.attach(node);
  const status = new MailInStatus(RED, node, schedule.type === 'manual');
  const client = connection.client((notice) => status.retrying(notice));
  const api = connection.mailbox(options.mailbox, client);
  const mailbox = options.mailbox;
  const folder = options.folder;
  // The process-wide copy of the cursor belongs to this node on this tenant's Graph.
  const cursorScope = `${node.id}|${connection.account.graphEndpoint}|${connection.account.tenantId}`;
  const receiver = new Receiver(api, options, contextCursorStore(node, cursorScope), {
    deliver: (mail) => node.send(toMessage(mail)),
    mailFailed: (err: MailError) => {
      const message = t('errors.mail-failed', 'could not read mail __id__: __error__', {
        id: err.mailId,
        error: messageOf(err.cause),
      });
      node.error(message, { payload: '', topic: '', o365: { id: err.mailId, mailbox, folder } });
    },
    warn: (notice: Notice) => node.warn(t(`errors.${notice.key}`, notice.fallback, notice.subs)),
  });

  let lastError = '';
  const poller = new Poller(
    schedule,
    async (signal) => {
      const summary = await receiver.pollOnce(signal);
      lastError = '';
      // Shown at once: a poll queued by a trigger may follow without an idle moment in between.
      status.polled(summary, receiver.unacknowledged, nextRuns(schedule, new Date(), 1)[0] ?? null);
    },
    {
      pollOnStart: poll.pollOnStart,
      onPollStart: () => status.polling(),
      onIdle: (next) => status.idle(next),
      onError: (err) => {
        if (isAccountProblem(err)) account.reportAccountProblem(err);
        status.failed(err);
        // A failing poll repeats at every schedule: report it when it changes, not each time. With a message, so
        // Catch nodes see it.
        const message = pollErrorText(err, t);
        if (message !== lastError)
          node.error(message, { payload: '', topic: message, o365: { mailbox, folder } });
        lastError = message;
      },
    },
  );

  node.on('input', (_msg, _send, done) => {
    // The input only asks for a poll now; the mails leave as messages of their own, so it is done at once.
    poller.trigger();
    done();
  });
  node.on('close', (removed, done) => {
    if (removed) processCursors.delete(cursorScope);
    poller
      .stop()
      .catch(() => undefined)
      .finally(() => {
        detach();
        done();
      });
  });
  poller.start();
}

/** The text of an error that stopped a poll; a missing folder names its segment and path. */
function pollErrorText(
  err: Error,
  t: (key: string, fallback: string, subs?: Record<string, string>) => string,
) {
  if (err instanceof GraphError && err.code === ErrorCodes.folderNotFound && err.folder) {
    return t('errors.folder-not-found', "folder '__segment__' not found in '__path__'", {
      segment: err.folder.segment,
      path: err.folder.path,
    });
  }
  return err.message || String(err);
}

/** Catalogue texts for the settings problems the dialog names in words of its own. */
const SETTING_TEXTS: Record<string, [key: string, fallback: string]> = {
  username: ['errors.no-mailbox', 'no mailbox (username) set'],
  moveTo: ['errors.move-needs-folder', "action 'move' needs a destination folder (Move to)"],
  cron: ['errors.bad-cron', 'invalid cron expression: __error__'],
  interval: ['errors.bad-interval', 'the interval must be a positive number of seconds'],
};

/** The text of a setting that cannot work. */
function settingsProblemText(
  err: unknown,
  t: (key: string, fallback: string, subs?: Record<string, string>) => string,
): string {
  const known = err instanceof ConfigError && err.property ? SETTING_TEXTS[err.property] : undefined;
  if (!known) return messageOf(err);
  return t(known[0], known[1], { error: (err as ConfigError).detail ?? messageOf(err) });
}

/** The msg of one mail (SPEC o365-mail-in). */
function toMessage(mail: InboundMail): NodeMessage {
  const msg: NodeMessage = {
    payload: mail.payload,
    topic: mail.topic,
    from: mail.from,
    to: mail.to,
    cc: mail.cc,
    bcc: mail.bcc,
    date: mail.date,
    header: mail.header,
    attachments: mail.attachments,
    o365: mail.o365,
  };
  if (mail.html !== undefined) msg.html = mail.html;
  return msg;
}

/**
 * Cursors by node id for this process: Node-RED drops a node's context at each redeploy unless a context store is
 * configured, and a redeployed node must not deliver its folder's mail again.
 */
const processCursors = new Map<string, Cursor>();

/**
 * The cursor of action none in the node's context (its default store: a persistent one survives restarts), with the
 * process-wide copy standing in when the context lost it.
 */
function contextCursorStore(node: Node, key: string): CursorStore {
  const context = node.context();
  return {
    get: () =>
      new Promise((resolve, reject) =>
        context.get(CURSOR_KEY, undefined, (err, value) =>
          err ? reject(err) : resolve(value ?? processCursors.get(key)),
        ),
      ),
    set: (value) => {
      if (value) processCursors.set(key, value);
      else processCursors.delete(key);
      return new Promise((resolve, reject) =>
        context.set(CURSOR_KEY, value, undefined, (err) => (err ? reject(err) : resolve())),
      );
    },
  };
}

/** The node's status line: polling, what the last poll delivered and when the next is, or a short red reason. */
class MailInStatus {
  private last: PollSummary | undefined;
  private unacknowledged = 0;
  /** After a failed poll the red reason stays until a poll succeeds. */
  private failing = false;

  constructor(
    private readonly RED: NodeRED,
    private readonly node: Node,
    private readonly manual: boolean,
  ) {}

  private t(key: string, fallback: string, subs?: Record<string, string | number>): string {
    return text(this.RED, `o365-mail-in.status.${key}`, fallback, subs);
  }

  polling(): void {
    this.node.status({ fill: 'blue', shape: 'dot', text: this.t('polling', 'polling') });
  }

  retrying(notice: RetryNotice): void {
    const seconds = Math.ceil(notice.delayMs / 1000);
    if (seconds < 1) return;
    const text = this.t('throttled', 'throttled, retrying in __seconds__s', { seconds });
    this.node.status({ fill: 'yellow', shape: 'ring', text });
  }

  polled(summary: PollSummary, unacknowledged: number, next: Date | null): void {
    this.last = summary;
    this.unacknowledged = unacknowledged;
    this.failing = false;
    this.idle(next);
  }

  failed(err: unknown): void {
    this.failing = true;
    const reason = reasonText(this.RED, err);
    this.node.status({ fill: 'red', shape: 'ring', text: this.t('error', '__reason__', { reason }) });
  }

  idle(next: Date | null): void {
    if (this.failing) return;
    if (!this.last) {
      const text = this.manual
        ? this.t('waiting', 'waiting for input')
        : this.t('idle', 'next poll __time__', { time: timeOf(next) });
      this.node.status({ fill: 'grey', shape: 'ring', text });
      return;
    }
    let text = this.manual
      ? this.t('delivered-manual', '__count__ delivered', { count: this.last.delivered })
      : this.t('delivered', '__count__ delivered · next __time__', {
          count: this.last.delivered,
          time: timeOf(next),
        });
    if (this.unacknowledged > 0) {
      text += ' · ' + this.t('ack-failed', '__count__ not acknowledged', { count: this.unacknowledged });
    }
    this.node.status({ fill: this.unacknowledged > 0 ? 'yellow' : 'green', shape: 'dot', text });
  }
}

/** "14:05:00", or with the date when it is not today. */
function timeOf(date: Date | null): string {
  if (!date) return '-';
  const pad = (n: number) => String(n).padStart(2, '0');
  const time = `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
  const now = new Date();
  if (date.toDateString() === now.toDateString()) return time;
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${time}`;
}
