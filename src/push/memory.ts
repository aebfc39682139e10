/**
 * Where a node remembers the ids of its subscriptions: its context (a persistent store survives a crash and a
 * restart), and a process-wide copy for redeploys that lose the context. The next start deletes what is listed here.
 */
import type { KeyValueContext } from '../receive/cursor';
import type { SubscriptionMemory } from './channel';

const SUBSCRIPTIONS_KEY = 'o365MailInSubscriptions';
const processCopies = new Map<string, string[]>();

/** The subscription ids of one node (`scope`: node and Graph endpoint) in its context. */
export function contextSubscriptionMemory(context: KeyValueContext, scope: string): SubscriptionMemory {
  const read = (value: unknown): string[] =>
    Array.isArray(value) ? value.filter((id): id is string => typeof id === 'string') : [];
  return {
    load: () =>
      new Promise((resolve, reject) =>
        context.get(SUBSCRIPTIONS_KEY, undefined, (err, value) =>
          err ? reject(err) : resolve(value === undefined ? (processCopies.get(scope) ?? []) : read(value)),
        ),
      ),
    save: (ids) => {
      if (ids.length > 0) processCopies.set(scope, [...ids]);
      else processCopies.delete(scope);
      return new Promise((resolve, reject) =>
        context.set(SUBSCRIPTIONS_KEY, ids.length > 0 ? ids : undefined, undefined, (err) =>
          err ? reject(err) : resolve(),
        ),
      );
    },
  };
}
