/**
 * o365-mail-action: acts on one existing mail per input message (mark, move, copy, delete, flag, categorize, get).
 * Glue only: settings are read by src/red/settings.ts, each message becomes an action in src/act/input.ts, one actor
 * per mailbox (src/act/actor.ts) coalesces what arrives together into $batch requests, and src/act/output.ts makes
 * the output message.
 */
import type { GraphClient } from './graph/client';
import type { Connection } from './graph/connection';
import { ActionErrorCodes } from './graph/error-codes';
import { ActionError, asActionError, badAction } from './act/errors';
import { MailActionSettings, resolveAction } from './act/input';
import { MailActor } from './act/actor';
import { applyActionResult } from './act/output';
import { catalogueText } from './red/catalogue';
import { propertyEvaluator } from './red/evaluate';
import { actionProblemText, nodeStart, type NodeStart, notCaughtText } from './red/messages';
import type { MailActionProperties } from './red/properties';
import { readMailActionSettings } from './red/settings';
import { isAccountProblem, problemStatus, reasonText, retryStatus } from './red/status';
import { type AccountNode, type Node, type NodeMessage, type NodeRED, registerNodeType } from './red/types';

const TYPE = 'o365-mail-action';

/** Actors kept per node; a flow that acts on many mailboxes starts afresh beyond this. */
const MAX_CACHED_MAILBOXES = 100;

/** How long running actions may finish when the node closes before they are aborted. */
const CLOSE_GRACE_MS = 3000;

export = function register(RED: NodeRED): void {
  registerNodeType(RED, TYPE, MailActionNode);
};

/** One o365-mail-action node: its actors, status, input and close handlers. */
class MailActionNode {
  /** Its account and settings, or why the node cannot act at all (every input is then refused with it). */
  private readonly start: NodeStart<MailActionSettings>;
  private readonly actors = new Map<string, MailActor>();
  private readonly controller = new AbortController();
  private connection: Connection | undefined;
  private client: GraphClient | undefined;
  private running = 0;
  private done = 0;
  private lastError: ActionError | undefined;
  private closing = false;

  constructor(
    private readonly RED: NodeRED,
    private readonly node: Node,
    config: MailActionProperties,
  ) {
    this.start = nodeStart(RED, TYPE, config, (delegated) => {
      const settings = readMailActionSettings(config);
      // A delegated account's own mailbox when neither the node nor the message names one.
      return delegated ? { ...settings, ownMailbox: 'me' } : settings;
    });
    const detach = this.start.account
      ? this.start.account.attach({
          status: (status) => node.status(status),
          // Signed in again: the red "sign in again" goes; the next message is handled as usual.
          signedInAgain: () => {
            this.lastError = undefined;
            this.showProgress();
          },
        })
      : () => undefined;
    if (this.start.problem) this.showProblem(this.start.problem);

    node.on('input', (msg, send, done) => {
      void this.handle(msg, (m) => send(m), done);
    });
    node.on('close', (_removed, done) => {
      this.close().finally(() => {
        detach();
        done();
      });
    });
  }

  /** Acts on the message's mail and completes it: output and done(), or done(err) with the input message. */
  private async handle(
    msg: NodeMessage,
    send: (msg: NodeMessage) => void,
    done: (err?: Error) => void,
  ): Promise<void> {
    this.running++;
    this.showProgress();
    try {
      if (this.closing) throw closedError();
      if (!this.start.account || !this.start.settings)
        throw badAction('action', this.start.problem as string);
      const { mailbox, request } = await resolveAction(
        this.start.settings,
        msg,
        propertyEvaluator(this.RED, this.node, msg),
      );
      const result = await this.actorFor(this.start.account, mailbox).act(request, this.controller.signal);
      applyActionResult(msg, mailbox, request, result);
      this.done++;
      this.lastError = undefined;
      send(msg);
      done();
    } catch (err) {
      const error = asActionError(err, { operation: 'action' });
      this.lastError = error;
      if (this.start.account && isAccountProblem(error.o365Error))
        this.start.account.reportAccountProblem(error.o365Error);
      try {
        done(error);
      } catch (cloneError) {
        // Node-RED copies the message for Catch nodes; one it cannot copy must not hide the error.
        this.node.error(notCaughtText(this.RED, TYPE, error, cloneError));
      }
    } finally {
      this.running--;
      this.showProgress();
    }
  }

  /** The actor of a mailbox, on this node's own client, so throttling shows in this node's status. */
  private actorFor(account: AccountNode, mailbox: string): MailActor {
    const connection = account.connection();
    if (connection !== this.connection || !this.client) {
      this.connection = connection;
      this.client = connection.client((notice) => {
        const status = retryStatus(this.RED, notice);
        if (status) this.node.status(status);
      });
      for (const actor of this.actors.values()) void actor.close();
      this.actors.clear();
    }
    const key = mailbox.toLowerCase();
    let actor = this.actors.get(key);
    if (!actor) {
      if (this.actors.size >= MAX_CACHED_MAILBOXES) this.forgetIdleActors();
      actor = new MailActor(connection.mailbox(mailbox, this.client));
      this.actors.set(key, actor);
    }
    return actor;
  }

  /** Drops the actors with nothing in flight (their folder caches go with them). */
  private forgetIdleActors(): void {
    for (const [key, actor] of this.actors) {
      const { running, waiting } = actor.load;
      if (running === 0 && waiting === 0) this.actors.delete(key);
    }
  }

  /** Waiting actions are told they were not done; running ones may finish (bounded), then they are aborted. */
  private async close(): Promise<void> {
    this.closing = true;
    const timer = setTimeout(() => this.controller.abort(new Error('node closed')), CLOSE_GRACE_MS);
    try {
      await Promise.all([...this.actors.values()].map((actor) => actor.close()));
    } finally {
      clearTimeout(timer);
      this.controller.abort(new Error('node closed'));
    }
  }

  private showProgress(): void {
    const { RED } = this;
    if (this.running > 0) {
      const text = catalogueText(RED, `${TYPE}.status.working`, { count: this.running });
      this.node.status({ fill: 'blue', shape: 'dot', text });
    } else if (this.lastError) {
      const error = this.lastError;
      this.showProblem(error.o365Error ? reasonText(RED, error.o365Error) : actionProblemText(RED, error));
    } else if (this.done > 0) {
      const text = catalogueText(RED, `${TYPE}.status.done`, { count: this.done });
      this.node.status({ fill: 'green', shape: 'dot', text });
    } else if (!this.start.problem) {
      this.node.status({});
    }
  }

  private showProblem(reason: string): void {
    const text = catalogueText(this.RED, `${TYPE}.status.error`, { reason: reason.slice(0, 60) });
    this.node.status(problemStatus(text));
  }
}

function closedError(): ActionError {
  return new ActionError({
    code: ActionErrorCodes.closed,
    operation: 'action',
    problem: 'the node is closing',
  });
}
