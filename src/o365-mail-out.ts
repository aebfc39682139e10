/**
 * o365-mail-out: sends one mail per input message through Microsoft Graph. Glue only: fields are evaluated per
 * message (src/send/input), the mail is built and checked (src/mail), sent once (src/send/sender), and input waits
 * its turn in an ordered queue (src/send/queue) of at most 4 sends at a time.
 */
import type { Connection } from './graph/connection';
import type { GraphClient } from './graph/client';
import { MAILBOX_CONCURRENCY } from './graph/limiter';
import { SendErrorCodes } from './graph/error-codes';
import { messageOf } from './graph/errors';
import type { RetryNotice } from './graph/types';
import { buildOutgoingMail } from './mail/outbound';
import { badInput, closedBeforeSending, SendError } from './send/errors';
import { Evaluate, MailOutSettings, resolveSend } from './send/input';
import { SendQueue } from './send/queue';
import { Sender, SendResult } from './send/sender';
import type { MailOutProperties } from './red/properties';
import { readMailOutSettings } from './red/settings';
import { isAccountProblem, reasonText, text } from './red/status';
import { AccountNode, Node, NodeMessage, NodeRED } from './red/types';

interface Job {
  msg: NodeMessage;
  send: (msg: NodeMessage) => void;
  done: (err?: Error) => void;
}

/** Senders kept per node; a flow that sends from many mailboxes starts afresh beyond this. */
const MAX_CACHED_MAILBOXES = 100;

export = function register(RED: NodeRED): void {
  function O365MailOutNode(this: Node, config: MailOutProperties) {
    RED.nodes.createNode(this, config);
    new MailOutNode(RED, this, config);
  }
  RED.nodes.registerType('o365-mail-out', O365MailOutNode);
};

/** One o365-mail-out node: its queue, senders, status, input and close handlers. */
class MailOutNode {
  private readonly account: AccountNode | null;
  private readonly settings: MailOutSettings | undefined;
  private readonly settingsProblem: string | undefined;
  private readonly queue: SendQueue<Job>;
  private readonly senders = new Map<string, Sender>();
  private connection: Connection | undefined;
  private client: GraphClient | undefined;
  private sent = 0;
  private lastError: SendError | undefined;

  constructor(
    private readonly RED: NodeRED,
    private readonly node: Node,
    config: MailOutProperties,
  ) {
    this.account = config.account ? (RED.nodes.getNode(config.account) as AccountNode | null) : null;
    try {
      this.settings = readMailOutSettings(config);
    } catch (err) {
      this.settingsProblem = messageOf(err);
    }
    this.queue = new SendQueue<Job>((job, signal) => this.deliver(job, signal), {
      concurrency: MAILBOX_CONCURRENCY,
      onChange: (running, waiting) => this.showProgress(running, waiting),
    });
    const detach = this.account ? this.account.attach(node) : () => undefined;
    if (!this.account) this.showProblem(this.noAccount());
    else if (this.settingsProblem) this.showProblem(this.settingsProblem);

    node.on('input', (msg, send, done) => {
      const job: Job = { msg, send: (m) => send(m), done };
      if (!this.queue.push(job)) done(closedBeforeSending('the node is closing'));
    });
    node.on('close', (_removed, done) => {
      this.close().finally(() => {
        detach();
        done();
      });
    });
  }

  /** Sends one queued message and completes it: output and done(), or done(err) with the input message. */
  private async deliver(job: Job, signal: AbortSignal): Promise<void> {
    let output: { mailbox: string; result: SendResult };
    try {
      output = await this.sendOne(job.msg, signal);
    } catch (err) {
      const error = asSendError(err);
      this.lastError = error;
      if (this.account && isAccountProblem(error.o365Error))
        this.account.reportAccountProblem(error.o365Error);
      try {
        job.done(error);
      } catch (cloneError) {
        // Node-RED copies the message for Catch nodes; one it cannot copy (nested too deep) must not hide the error.
        this.node.error(`${error.message} (not passed to Catch nodes: ${messageOf(cloneError)})`);
      }
      return;
    }
    const { mailbox, result } = output;
    for (const warning of result.warnings) this.node.warn(warning);
    const o365: Record<string, unknown> = {
      mailbox,
      sent: true,
      path: result.path,
      savedToSentItems: result.savedToSentItems,
      attachments: result.attachments,
    };
    if (result.internetMessageId) o365.internetMessageId = result.internetMessageId;
    if (result.warnings.length) o365.warnings = result.warnings;
    job.msg.o365 = o365;
    this.sent++;
    this.lastError = undefined;
    job.send(job.msg);
    job.done();
  }

  private async sendOne(
    msg: NodeMessage,
    signal: AbortSignal,
  ): Promise<{ mailbox: string; result: SendResult }> {
    if (!this.account) throw badInput(this.noAccount());
    if (!this.settings) throw badInput(this.settingsProblem ?? 'invalid settings');
    const { mailbox, request } = await resolveSend(this.settings, msg, this.evaluatorFor(msg));
    let mail;
    try {
      mail = buildOutgoingMail(request);
    } catch (err) {
      throw badInput(messageOf(err));
    }
    if (signal.aborted) throw closedBeforeSending('the node closed before sending');
    const result = await this.senderFor(mailbox).send(mail, this.settings.save, signal);
    return { mailbox, result };
  }

  /** The sender of a mailbox, on this node's own client, so throttling shows in this node's status. */
  private senderFor(mailbox: string): Sender {
    const connection = (this.account as AccountNode).connection();
    if (connection !== this.connection || !this.client) {
      this.connection = connection;
      this.client = connection.client((notice) => this.showRetry(notice));
      this.senders.clear();
    }
    const key = mailbox.toLowerCase();
    let sender = this.senders.get(key);
    if (!sender) {
      if (this.senders.size >= MAX_CACHED_MAILBOXES) this.senders.clear();
      sender = new Sender(connection.mailbox(mailbox, this.client));
      this.senders.set(key, sender);
    }
    return sender;
  }

  private evaluatorFor(msg: NodeMessage): Evaluate {
    return (value, type) =>
      new Promise((resolve, reject) => {
        this.RED.util.evaluateNodeProperty(value, type, this.node, msg, (err, result) =>
          err ? reject(err) : resolve(result),
        );
      });
  }

  /** Running sends may finish (bounded); queued ones are told they were not sent. */
  private async close(): Promise<void> {
    const notStarted = await this.queue.close();
    for (const job of notStarted) {
      job.done(closedBeforeSending('the node closed before its turn'));
    }
  }

  private showProgress(running: number, waiting: number): void {
    const { RED } = this;
    if (running > 0) {
      const label =
        waiting > 0
          ? text(RED, 'o365-mail-out.status.queued', 'sending · __count__ queued', { count: waiting })
          : text(RED, 'o365-mail-out.status.sending', 'sending');
      this.node.status({ fill: 'blue', shape: 'dot', text: label });
    } else if (this.lastError) {
      const error = this.lastError;
      this.showProblem(error.o365Error ? reasonText(RED, error.o365Error) : this.shortReason(error));
    } else if (this.sent > 0) {
      const sent = text(RED, 'o365-mail-out.status.sent', '__count__ sent', { count: this.sent });
      this.node.status({ fill: 'green', shape: 'dot', text: sent });
    } else {
      this.node.status({});
    }
  }

  private showRetry(notice: RetryNotice): void {
    const seconds = Math.max(1, Math.ceil(notice.delayMs / 1000));
    const retrying = text(this.RED, 'o365-mail-out.status.throttled', 'throttled, retrying in __seconds__s', {
      seconds,
    });
    this.node.status({ fill: 'yellow', shape: 'ring', text: retrying });
  }

  private showProblem(reason: string): void {
    const label = text(this.RED, 'o365-mail-out.status.error', '__reason__', { reason: reason.slice(0, 60) });
    this.node.status({ fill: 'red', shape: 'ring', text: label });
  }

  /** A status-sized reason for a failure Microsoft 365 did not explain (bad input, a closed node). */
  private shortReason(err: SendError): string {
    if (err.code === SendErrorCodes.badInput) return err.problem;
    const key = err.code === SendErrorCodes.closed ? 'closed' : err.outcome;
    const fallback = {
      closed: 'not sent: node closed',
      unknown: 'may not have been sent',
      'not-sent': 'not sent',
    };
    return text(this.RED, `o365-mail-out.status.${key}`, fallback[key]);
  }

  private noAccount(): string {
    return text(this.RED, 'o365-mail-out.errors.no-account', 'no Microsoft 365 account configured');
  }
}

/** Every failure leaves as a SendError, so the message says whether the mail went. */
function asSendError(err: unknown): SendError {
  if (err instanceof SendError) return err;
  // Reached only before a send request was made (no account connection, a mailbox name Graph cannot take).
  return new SendError({ code: SendErrorCodes.failed, problem: messageOf(err) }, err);
}
