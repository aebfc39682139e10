/**
 * What Graph posts to a notification URL, read defensively: the body is untrusted until its clientState matched, and
 * even then it only says "something changed" (the mail itself is always fetched from Graph).
 */
import { createHash, timingSafeEqual } from 'node:crypto';

/** One change or lifecycle notification, reduced to what deciding about it needs. */
export interface NotificationItem {
  subscriptionId: string;
  /** "" when absent. */
  clientState: string;
  /** `created` for new mail; absent in lifecycle notifications. */
  changeType?: string;
  /** `reauthorizationRequired`, `subscriptionRemoved` or `missed`. */
  lifecycleEvent?: string;
}

/** Graph sends few notifications per POST; more than this is not Graph. */
export const MAX_ITEMS_PER_POST = 1000;

/** The notifications of a POST body (a changeNotificationCollection), or null when it is not one. */
export function parseNotifications(body: unknown): NotificationItem[] | null {
  let value: unknown = body;
  if (Buffer.isBuffer(value)) value = value.toString('utf8');
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return null;
    }
  }
  const list = (value as { value?: unknown } | null)?.value;
  if (!Array.isArray(list) || list.length > MAX_ITEMS_PER_POST) return null;
  const items: NotificationItem[] = [];
  for (const entry of list) {
    if (!entry || typeof entry !== 'object') return null;
    const e = entry as Record<string, unknown>;
    if (typeof e.subscriptionId !== 'string') return null;
    items.push({
      subscriptionId: e.subscriptionId,
      clientState: typeof e.clientState === 'string' ? e.clientState : '',
      changeType: typeof e.changeType === 'string' ? e.changeType : undefined,
      lifecycleEvent: typeof e.lifecycleEvent === 'string' ? e.lifecycleEvent : undefined,
    });
  }
  return items;
}

/** Compares two secrets in time that does not depend on where they differ (digests have equal length). */
export function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b) && expected.length > 0;
}
