/**
 * The simple `$filter` expressions a delta query can apply itself (Graph's message delta takes no `$filter` we
 * need): comparisons of isRead, hasAttachments, importance, subject and the sender's address joined by `and`.
 * Anything else cannot use delta: the receiver lists the folder with the filter instead. Next to a `$search`, which
 * Graph cannot combine with `$filter`, the node applies these filters itself too.
 */
import type { GraphMessage } from '../graph/mail-api';

export type MailPredicate = (message: GraphMessage) => boolean;

/** The message properties a predicate reads (for a listing that selects only what it needs). */
export const FILTER_SELECT = ['isRead', 'hasAttachments', 'importance', 'subject', 'from'];

const PROPERTIES: Record<string, { kind: 'boolean' | 'string'; get: (m: GraphMessage) => unknown }> = {
  isread: { kind: 'boolean', get: (m) => m.isRead },
  hasattachments: { kind: 'boolean', get: (m) => m.hasAttachments },
  importance: { kind: 'string', get: (m) => m.importance },
  subject: { kind: 'string', get: (m) => m.subject },
  'from/emailaddress/address': {
    kind: 'string',
    get: (m) => (m.from as { emailAddress?: { address?: unknown } } | undefined)?.emailAddress?.address,
  },
};

const CLAUSE = /^\s*([A-Za-z/]+)\s+(eq|ne)\s+(true|false|'(?:[^']|'')*')\s*$/i;

/** A predicate for the filter ("" matches every mail), or null when delta cannot apply it. */
export function compileFilter(filter: string): MailPredicate | null {
  if (filter.trim() === '') return () => true;
  const clauses = splitAnd(filter);
  if (!clauses) return null;
  const tests: MailPredicate[] = [];
  for (const clause of clauses) {
    const match = CLAUSE.exec(clause);
    if (!match) return null;
    const property = PROPERTIES[match[1].toLowerCase()];
    if (!property) return null;
    const negate = match[2].toLowerCase() === 'ne';
    const literal = match[3];
    const isString = literal.startsWith("'");
    if ((property.kind === 'string') !== isString) return null;
    const wanted: unknown = isString
      ? literal.slice(1, -1).replace(/''/g, "'")
      : literal.toLowerCase() === 'true';
    tests.push((m) => {
      let value = property.get(m);
      if (property.kind === 'boolean') value = value === true;
      const equal =
        typeof value === 'string' && typeof wanted === 'string'
          ? value.toLowerCase() === wanted.toLowerCase()
          : value === wanted;
      return negate ? !equal : equal;
    });
  }
  return (m) => tests.every((t) => t(m));
}

/** Splits on ` and ` outside string literals; a filter with parentheses or `or` is not handled here. */
function splitAnd(filter: string): string[] | null {
  const parts: string[] = [];
  let current = '';
  let inString = false;
  const tokens = filter.split(/('|\s+and\s+)/i);
  for (const token of tokens) {
    if (token === "'") inString = !inString;
    if (!inString && /^\s+and\s+$/i.test(token)) {
      parts.push(current);
      current = '';
    } else current += token;
  }
  parts.push(current);
  if (inString) return null;
  return parts.some((p) => /[()]|\s+or\s+/i.test(p.replace(/'(?:[^']|'')*'/g, "''"))) ? null : parts;
}
