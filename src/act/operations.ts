/**
 * What o365-mail-action can do to a mail, in the words of its editor (README.md, mail action), and the Graph change
 * each operation makes. Pure: no Graph access, no Node-RED.
 */
import type { MessageOperation } from '../graph/mail-api';
import { OPERATIONS, type CategoryMode, type Operation } from './choices';

export { CATEGORY_MODES, OPERATIONS, type CategoryMode, type Operation } from './choices';

/** The operation with this name (any case, as users type `markread`), or undefined. */
export function operationNamed(value: unknown): Operation | undefined {
  if (typeof value !== 'string') return undefined;
  const wanted = value.trim().toLowerCase();
  return OPERATIONS.find((op) => op.toLowerCase() === wanted);
}

/** Operations that take a destination folder in `target`. */
export function needsFolder(operation: Operation): operation is 'move' | 'copy' {
  return operation === 'move' || operation === 'copy';
}

/** Operations that only read the mail. */
export function onlyReads(operation: Operation): boolean {
  return operation === 'get' || operation === 'getMime';
}

/** Categories as a flow gives them: "A, B; C" or ["A", "B"]; trimmed, empty names dropped, each name once. */
export function parseCategories(value: unknown): string[] {
  let names: unknown[];
  if (Array.isArray(value)) names = value;
  else if (typeof value === 'string') names = value.split(/[,;]/);
  else if (value === undefined || value === null) names = [];
  else throw new TypeError(`categories must be text ("A, B") or a list of names, got ${typeof value}`);
  const out: string[] = [];
  for (const [index, name] of names.entries()) {
    if (typeof name !== 'string') {
      throw new TypeError(`categories[${index}] must be a name (text), got ${typeof name}`);
    }
    const trimmed = name.trim();
    if (trimmed && !out.some((c) => sameCategory(c, trimmed))) out.push(trimmed);
  }
  return out;
}

/** Outlook compares category names without regard to case. */
function sameCategory(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** The mail's categories after adding, removing or setting `given` (the mail's own spelling wins for kept names). */
export function categoriesAfter(mode: CategoryMode, current: string[], given: string[]): string[] {
  if (mode === 'set') return [...given];
  if (mode === 'remove') return current.filter((c) => !given.some((g) => sameCategory(c, g)));
  return [...current, ...given.filter((g) => !current.some((c) => sameCategory(c, g)))];
}

/** The followupFlag status each flag operation sets. */
const FLAG_STATUS = { flag: 'flagged', unflag: 'notFlagged', complete: 'complete' } as const;

/**
 * The Graph request that changes the mail, for every operation but the reads and the add/remove kinds of categorize
 * (which read the categories first): a PATCH of the property, a move or copy to `destinationId`, or a DELETE.
 */
export function changeFor(
  operation: Exclude<Operation, 'get' | 'getMime'>,
  messageId: string,
  details: { destinationId?: string; categories?: string[] } = {},
): MessageOperation {
  switch (operation) {
    case 'markRead':
    case 'markUnread':
      return { messageId, method: 'PATCH', body: { isRead: operation === 'markRead' } };
    case 'flag':
    case 'unflag':
    case 'complete':
      return { messageId, method: 'PATCH', body: { flag: { flagStatus: FLAG_STATUS[operation] } } };
    case 'categorize':
      return { messageId, method: 'PATCH', body: { categories: details.categories ?? [] } };
    case 'delete':
      return { messageId, method: 'DELETE' };
    case 'move':
    case 'copy':
      return { messageId, method: 'POST', action: operation, body: { destinationId: details.destinationId } };
  }
}
