/**
 * o365-mail-out: sends one mail per input message through Microsoft Graph. Glue only: settings are read by
 * src/red/settings.ts, each message becomes a checked mail in src/send/input.ts (src/mail builds it), is sent once by
 * src/send/sender.ts, and waits its turn in an ordered queue (src/send/queue.ts) of at most 4 sends at a time.
 */
import type { GraphClient } from './graph/client';
import type { Connection } from './graph/connection';
import { MAILBOX_CONCURRENCY } from './graph/limiter';
import type { RetryNotice } from './graph/types';
import { asSendError, badInput, closedBeforeSending, SendError } from './send/errors';
import { MailOutSettings, prepareSend } from './send/input';
import { readSendTuning, type SendTuning } from './send/limits';
import { SendQueue } from './send/queue';
import { Sender, SendResult, sentFields } from './send/sender';
import { catalogueText } from './red/catalogue';
import { propertyEvaluator } from './red/evaluate';
import { nodeStart, type NodeStart, notCaughtText, sendProblemText } from './red/messages';
import type { MailOutProperties } from './red/properties';
import { readMailOutSettings, withOwnMailbox } from './red/settings';
import { isAccountProblem, problemStatus, reasonText, retryStatus } from './red/status';
import { type AccountNode, type Node, type NodeMessage, type NodeRED, registerNodeType } from './red/types';

const TYPE = 'o365-mail-out';

interface Job {
  msg: NodeMessage;
  send: (msg: NodeMessage) => void;
  done: (err?: Error) => void;
}

/** Senders kept per node; a flow that sends from many mailboxes starts afresh beyond this. */
const MAX_CACHED_MAILBOXES = 100;

export = function register(RED: NodeRED): void {
  registerNodeType(RED, TYPE, MailOutNode);
};

/** One o365-mail-out node: its queue, senders, status, input and close handlers. */
class MailOutNode {
  /** Its account and settings, or why the node cannot send at all (every input is then refused with it). */
  private readonly start: NodeStart<MailOutSettings>;
  private readonly queue: SendQueue<Job>;
  private readonly senders = new Map<string, Sender>();
  private readonly tuning: SendTuning;
  private connection: Connection | undefined;
  private client: GraphClient | undefined;
  private sent = 0;
  private lastError: SendError | undefined;

  constructor(
    private readonly RED: NodeRED,
    private readonly node: Node,
    config: MailOutProperties,
  ) {
    this.start = nodeStart(RED, TYPE, config, (delegated) =>
      readMailOutSettings(withOwnMailbox(config, delegated)),
    );
    this.tuning = readSendTuning(RED.settings?.o365);
    this.queue = new SendQueue<Job>((job, signal) => this.deliver(job, signal), {
      concurrency: MAILBOX_CONCURRENCY,
      onChange: (running, waiting) => this.showProgress(running, waiting),
    });
    const detach = this.start.account
      ? this.start.account.attach({
          status: (status) => node.status(status),
          // Signed in again: the red "sign in again" goes; the next message is sent as usual.
          signedInAgain: () => {
            this.lastError = undefined;
            this.showProgress(this.queue.active, this.queue.queued);
          },
        })
      : () => undefined;
    if (this.start.problem) this.showProblem(this.start.problem);

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
      if (this.start.account && isAccountProblem(error.o365Error))
        this.start.account.reportAccountProblem(error.o365Error);
      try {
        job.done(error);
      } catch (cloneError) {
        // Node-RED copies the message for Catch nodes; one it cannot copy (nested too deep) must not hide the error.
        this.node.error(notCaughtText(this.RED, TYPE, error, cloneError));
      }
      return;
    }
    const { mailbox, result } = output;
    for (const warning of result.warnings) this.node.warn(warning);
    job.msg.o365 = sentFields(mailbox, result);
    this.sent++;
    this.lastError = undefined;
    job.send(job.msg);
    job.done();
  }

  private async sendOne(
    msg: NodeMessage,
    signal: AbortSignal,
  ): Promise<{ mailbox: string; result: SendResult }> {
    if (!this.start.account || !this.start.settings) throw badInput(this.start.problem as string);
    const prepared = await prepareSend(this.start.settings, msg, propertyEvaluator(this.RED, this.node, msg));
    if (signal.aborted) throw closedBeforeSending('the node closed before sending');
    const { mailbox } = prepared;
    const result = await this.senderFor(this.start.account, mailbox).sendPrepared(
      prepared,
      this.start.settings.save,
      signal,
    );
    return { mailbox, result };
  }

  /** The sender of a mailbox, on this node's own client, so throttling shows in this node's status. */
  private senderFor(account: AccountNode, mailbox: string): Sender {
    const connection = account.connection();
    if (connection !== this.connection || !this.client) {
      this.connection = connection;
      this.client = connection.client((notice) => this.showRetry(notice));
      this.senders.clear();
    }
    const key = mailbox.toLowerCase();
    let sender = this.senders.get(key);
    if (!sender) {
      if (this.senders.size >= MAX_CACHED_MAILBOXES) this.senders.clear();
      sender = new Sender(connection.mailbox(mailbox, this.client), {
        ...this.tuning,
        onRetry: (notice) => this.showRetry(notice),
      });
      this.senders.set(key, sender);
    }
    return sender;
  }

  /** Running sends may finish (bounded); queued ones are told they were not sent. */
  private async close(): Promise<void> {
    const notStarted = await this.queue.close();
    for (const job of notStarted) job.done(closedBeforeSending('the node closed before its turn'));
  }

  private showProgress(running: number, waiting: number): void {
    const { RED } = this;
    if (running > 0) {
      const text =
        waiting > 0
          ? catalogueText(RED, 'o365-mail-out.status.queued', { count: waiting })
          : catalogueText(RED, 'o365-mail-out.status.sending');
      this.node.status({ fill: 'blue', shape: 'dot', text });
    } else if (this.lastError) {
      const error = this.lastError;
      this.showProblem(error.o365Error ? reasonText(RED, error.o365Error) : sendProblemText(RED, error));
    } else if (this.sent > 0) {
      const text = catalogueText(RED, 'o365-mail-out.status.sent', { count: this.sent });
      this.node.status({ fill: 'green', shape: 'dot', text });
    } else {
      this.node.status({});
    }
  }

  /** "throttled, retrying in Ns" while the client or the sender waits (Retry-After, upload room, a /send to repeat). */
  private showRetry(notice: RetryNotice): void {
    const status = retryStatus(this.RED, notice);
    if (status) this.node.status(status);
  }

  private showProblem(reason: string): void {
    const text = catalogueText(this.RED, 'o365-mail-out.status.error', { reason: reason.slice(0, 60) });
    this.node.status(problemStatus(text));
  }
}
