/** o365-mail-in's status line: polling, what the last poll delivered and when the next is, or a short red reason. */
import type { RetryNotice } from '../graph/types';
import type { PollSummary } from '../receive';
import { catalogueText, type Substitutions } from './catalogue';
import type { PushMode } from './push';
import { reasonText, retryStatus } from './status';
import type { Node, NodeRED } from './types';

export class MailInStatus {
  private last: PollSummary | undefined;
  private unacknowledged = 0;
  /** After a failed poll the red reason stays until a poll succeeds. */
  private failing = false;
  /** While a poll runs the blue "polling" stays. */
  private busy = false;
  private pushMode: PushMode | null;

  constructor(
    private readonly RED: NodeRED,
    private readonly node: Node,
    private readonly manual: boolean,
    push = false,
  ) {
    this.pushMode = push ? { kind: 'subscribing' } : null;
  }

  /** pollType push: subscribing, on, or polling only with the reason; shown now unless a poll runs. */
  push(mode: PushMode, next: Date | null): void {
    this.pushMode = mode;
    if (!this.busy) this.idle(next);
  }

  private t(key: string, subs?: Substitutions): string {
    return catalogueText(this.RED, `o365-mail-in.status.${key}`, subs);
  }

  polling(): void {
    this.busy = true;
    this.node.status({ fill: 'blue', shape: 'dot', text: this.t('polling') });
  }

  retrying(notice: RetryNotice): void {
    const status = retryStatus(this.RED, notice);
    if (status) this.node.status(status);
  }

  polled(summary: PollSummary, unacknowledged: number, next: Date | null): void {
    this.busy = false;
    this.last = summary;
    this.unacknowledged = unacknowledged;
    this.failing = false;
    this.idle(next);
  }

  failed(err: unknown): void {
    this.busy = false;
    this.failing = true;
    const reason = reasonText(this.RED, err);
    this.node.status({ fill: 'red', shape: 'ring', text: this.t('error', { reason }) });
  }

  /** The account works again (signed in anew): the red reason goes until the next poll tells more. */
  resumed(next: Date | null): void {
    this.failing = false;
    this.idle(next);
  }

  idle(next: Date | null): void {
    if (this.failing) return;
    // Push is what the user asked for: polling without it is worth yellow until it works.
    const fallback = this.pushMode?.kind === 'fallback';
    const push = this.pushMode ? ' · ' + this.pushText(this.pushMode) : '';
    if (!this.last) {
      const text = this.manual ? this.t('waiting') : this.t('idle', { time: timeOf(next) });
      this.node.status({ fill: fallback ? 'yellow' : 'grey', shape: 'ring', text: text + push });
      return;
    }
    const count = this.last.delivered;
    let text = this.manual
      ? this.t('delivered-manual', { count })
      : this.t('delivered', { count, time: timeOf(next) });
    if (this.unacknowledged > 0) text += ' · ' + this.t('ack-failed', { count: this.unacknowledged });
    const fill = this.unacknowledged > 0 || fallback ? 'yellow' : 'green';
    this.node.status({ fill, shape: 'dot', text: text + push });
  }

  private pushText(mode: PushMode): string {
    if (mode.kind === 'fallback') return this.t('push-fallback', { reason: mode.reason });
    return this.t(mode.kind === 'on' ? 'push-on' : 'push-subscribing');
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
