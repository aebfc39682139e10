/** OData query options for messages: $filter, $orderby, $search, $select, $top, $skip, as Exchange supports them. */
import { htmlToText } from './bodies';
import { badRequest, GraphFailure } from './errors';
import type { StoredMessage } from './types';

type Value = string | number | boolean | null;
type Kind = 'boolean' | 'datetime' | 'string';

/** Properties usable in $filter and $orderby, with their type and how to read them. */
const PROPERTIES: Record<string, { kind: Kind; get: (m: StoredMessage) => Value }> = {
  isread: { kind: 'boolean', get: (m) => m.isRead },
  hasattachments: { kind: 'boolean', get: (m) => m.hasAttachments },
  isdraft: { kind: 'boolean', get: (m) => m.isDraft },
  isreadreceiptrequested: { kind: 'boolean', get: (m) => m.isReadReceiptRequested },
  isdeliveryreceiptrequested: { kind: 'boolean', get: (m) => m.isDeliveryReceiptRequested },
  receiveddatetime: { kind: 'datetime', get: (m) => Date.parse(m.receivedDateTime) },
  sentdatetime: { kind: 'datetime', get: (m) => Date.parse(m.sentDateTime) },
  createddatetime: { kind: 'datetime', get: (m) => Date.parse(m.createdDateTime) },
  lastmodifieddatetime: { kind: 'datetime', get: (m) => Date.parse(m.lastModifiedDateTime) },
  subject: { kind: 'string', get: (m) => m.subject },
  importance: { kind: 'string', get: (m) => m.importance },
  internetmessageid: { kind: 'string', get: (m) => m.internetMessageId },
  conversationid: { kind: 'string', get: (m) => m.conversationId },
  parentfolderid: { kind: 'string', get: (m) => m.parentFolderId },
  inferenceclassification: { kind: 'string', get: (m) => m.inferenceClassification },
  'from/emailaddress/address': { kind: 'string', get: (m) => m.from?.emailAddress.address ?? null },
  'from/emailaddress/name': { kind: 'string', get: (m) => m.from?.emailAddress.name ?? null },
  'sender/emailaddress/address': { kind: 'string', get: (m) => m.sender?.emailAddress.address ?? null },
  'flag/flagstatus': { kind: 'string', get: (m) => m.flag.flagStatus },
};

/** Message properties accepted in $select (lower-case -> Graph's spelling). */
export const MESSAGE_PROPERTIES = [
  'id',
  'createdDateTime',
  'lastModifiedDateTime',
  'changeKey',
  'categories',
  'receivedDateTime',
  'sentDateTime',
  'hasAttachments',
  'internetMessageId',
  'subject',
  'bodyPreview',
  'importance',
  'parentFolderId',
  'conversationId',
  'conversationIndex',
  'isDeliveryReceiptRequested',
  'isReadReceiptRequested',
  'isRead',
  'isDraft',
  'webLink',
  'inferenceClassification',
  'body',
  'uniqueBody',
  'sender',
  'from',
  'toRecipients',
  'ccRecipients',
  'bccRecipients',
  'replyTo',
  'flag',
  'internetMessageHeaders',
];
const SELECTABLE = new Map(MESSAGE_PROPERTIES.map((p) => [p.toLowerCase(), p]));

export type Predicate = (m: StoredMessage) => boolean;

export interface MessageQuery {
  top: number;
  skip: number;
  filter?: Predicate;
  /** Properties of $filter in order of appearance (lower-case), for the InefficientFilter rule. */
  filterProperties: string[];
  order: { property: string; descending: boolean }[];
  search?: Predicate;
  select?: string[];
  expandAttachments: boolean;
  count: boolean;
}

const unknownProperty = (name: string): GraphFailure =>
  badRequest(
    `Could not find a property named '${name}' on type 'microsoft.graph.message'.`,
    'RequestBroker--ParseUri',
  );

/** Reads the query options of a message list (names with or without '$', any case). */
export function parseMessageQuery(query: Record<string, string>, defaultTop = 10): MessageQuery {
  const known = new Set([
    'top',
    'skip',
    'filter',
    'orderby',
    'search',
    'select',
    'expand',
    'count',
    'skiptoken',
    'deltatoken',
  ]);
  for (const key of Object.keys(query)) {
    if (key.startsWith('$') && !known.has(key.slice(1).toLowerCase())) {
      throw badRequest(`Query option '${key}' is not allowed.`);
    }
  }
  const get = (name: string): string | undefined => query[`$${name}`] ?? query[name];
  const top = get('top') === undefined ? defaultTop : parseInteger('$top', get('top') as string);
  if (top < 1 || top > 1000) {
    throw badRequest(`The value of $top must be between 1 and 1000, got ${top}.`, 'ErrorInvalidArgument');
  }
  const skip = get('skip') === undefined ? 0 : parseInteger('$skip', get('skip') as string);
  const filterText = get('filter');
  const searchText = get('search');
  const orderText = get('orderby');
  if (filterText !== undefined && searchText !== undefined) {
    throw badRequest('The query parameter $filter is not supported with $search.', 'ErrorInvalidUrlQuery');
  }
  if (orderText !== undefined && searchText !== undefined) {
    throw badRequest("The query parameter '$orderBy' is not supported with '$search'.");
  }
  const filter = filterText !== undefined ? parseFilter(filterText) : undefined;
  const order =
    orderText !== undefined ? parseOrderBy(orderText) : [{ property: 'receiveddatetime', descending: true }];
  if (filter && orderText !== undefined) {
    const wanted = order.map((o) => o.property);
    const leading = filter.properties.filter((p, i, all) => all.indexOf(p) === i).slice(0, wanted.length);
    if (wanted.some((p, i) => leading[i] !== p)) {
      throw badRequest(
        'The restriction or sort order is too complex for this operation.',
        'InefficientFilter',
      );
    }
  }
  const expand = get('expand');
  if (expand !== undefined && expand.trim().toLowerCase() !== 'attachments') {
    throw badRequest(
      `Parsing OData Select and Expand failed: Could not find a property named '${expand}' on type 'microsoft.graph.message'.`,
    );
  }
  return {
    top,
    skip,
    filter: filter?.predicate,
    filterProperties: filter?.properties ?? [],
    order,
    search: searchText !== undefined ? parseSearch(searchText) : undefined,
    select: parseSelect(get('select')),
    expandAttachments: expand !== undefined,
    count: (get('count') ?? '').toLowerCase() === 'true',
  };
}

function parseInteger(name: string, text: string): number {
  if (!/^\d+$/.test(text.trim())) throw badRequest(`Invalid value '${text}' for query option ${name}.`);
  return Number(text);
}

/** Reads $select; undefined when absent. */
export function parseSelect(text: string | undefined): string[] | undefined {
  if (text === undefined) return undefined;
  const names = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return names.map((name) => {
    const known = SELECTABLE.get(name.toLowerCase());
    if (!known) throw unknownProperty(name);
    return known;
  });
}

function parseOrderBy(text: string): { property: string; descending: boolean }[] {
  return text.split(',').map((part) => {
    const match = /^\s*([\w/]+)(?:\s+(asc|desc))?\s*$/i.exec(part);
    if (!match) throw badRequest(`Invalid $orderby clause '${part}'.`);
    const property = match[1].toLowerCase();
    if (!PROPERTIES[property]) throw unknownProperty(match[1]);
    return { property, descending: (match[2] ?? 'asc').toLowerCase() === 'desc' };
  });
}

/** Comparator for the parsed $orderby (ties broken by the store's insertion order, stable sort). */
export function compareBy(
  order: { property: string; descending: boolean }[],
): (a: StoredMessage, b: StoredMessage) => number {
  return (a, b) => {
    for (const { property, descending } of order) {
      const get = PROPERTIES[property].get;
      const x = get(a);
      const y = get(b);
      if (x === y) continue;
      const cmp = x === null ? -1 : y === null ? 1 : x < y ? -1 : 1;
      return descending ? -cmp : cmp;
    }
    return 0;
  };
}

// ---- $filter ----

interface Token {
  type: 'ident' | 'string' | 'literal' | 'lparen' | 'rparen' | 'comma';
  text: string;
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  const re = /\s*(?:(\()|(\))|(,)|'((?:[^']|'')*)'|([A-Za-z_][\w/]*(?:\([^)]*\))?)|([-+\d.:TZtz]+))/y;
  let at = 0;
  while (at < text.length) {
    if (/^\s+$/.test(text.slice(at))) break;
    re.lastIndex = at;
    const m = re.exec(text);
    if (!m) throw badRequest(`Invalid filter clause: syntax error at position ${at} in '${text}'.`);
    at = re.lastIndex;
    if (m[1]) tokens.push({ type: 'lparen', text: '(' });
    else if (m[2]) tokens.push({ type: 'rparen', text: ')' });
    else if (m[3]) tokens.push({ type: 'comma', text: ',' });
    else if (m[4] !== undefined) tokens.push({ type: 'string', text: m[4].replace(/''/g, "'") });
    else if (m[5]) tokens.push({ type: /^\d/.test(m[5]) ? 'literal' : 'ident', text: m[5] });
    else tokens.push({ type: 'literal', text: m[6] });
  }
  return tokens;
}

const OPERATORS = new Set(['eq', 'ne', 'gt', 'ge', 'lt', 'le']);

/** Parses a $filter into a predicate and the properties it uses. */
export function parseFilter(text: string): { predicate: Predicate; properties: string[] } {
  const tokens = tokenize(text);
  const properties: string[] = [];
  let pos = 0;
  const invalid = (why: string): GraphFailure => badRequest(`Invalid filter clause: ${why}`);
  const peek = (): Token | undefined => tokens[pos];

  const parseOr = (): Predicate => {
    let left = parseAnd();
    while (peek()?.type === 'ident' && peek()?.text.toLowerCase() === 'or') {
      pos++;
      const a = left;
      const b = parseAnd();
      left = (m) => a(m) || b(m);
    }
    return left;
  };
  const parseAnd = (): Predicate => {
    let left = parseTerm();
    while (peek()?.type === 'ident' && peek()?.text.toLowerCase() === 'and') {
      pos++;
      const a = left;
      const b = parseTerm();
      left = (m) => a(m) && b(m);
    }
    return left;
  };
  const parseTerm = (): Predicate => {
    const token = tokens[pos++];
    if (!token) throw invalid('unexpected end of the expression.');
    if (token.type === 'lparen') {
      const inner = parseOr();
      if (tokens[pos++]?.type !== 'rparen') throw invalid("')' expected.");
      return inner;
    }
    if (token.type === 'ident' && token.text.toLowerCase() === 'not') {
      const inner = parseTerm();
      return (m) => !inner(m);
    }
    if (token.type !== 'ident') throw invalid(`a property name was expected at '${token.text}'.`);
    if (token.text.includes('(')) {
      throw new GraphFailure(
        400,
        'ErrorInvalidUrlQueryFilter',
        'The query filter contains one or more invalid nodes.',
      );
    }
    const name = token.text.toLowerCase();
    const property = PROPERTIES[name];
    if (!property) {
      if (SELECTABLE.has(name) || /^[a-z]+\/[a-z]/.test(name)) {
        throw new GraphFailure(
          400,
          'ErrorInvalidUrlQueryFilter',
          'The query filter contains one or more invalid nodes.',
        );
      }
      throw unknownProperty(token.text);
    }
    properties.push(name);
    const op = tokens[pos++];
    if (!op || op.type !== 'ident' || !OPERATORS.has(op.text.toLowerCase())) {
      throw invalid(`an operator was expected after '${token.text}'.`);
    }
    const literal = tokens[pos++];
    if (!literal || (literal.type !== 'string' && literal.type !== 'literal' && literal.type !== 'ident')) {
      throw invalid(`a value was expected after '${op.text}'.`);
    }
    const value = literalValue(property.kind, literal);
    return comparison(property.get, op.text.toLowerCase(), value, property.kind);
  };

  const predicate = parseOr();
  if (pos !== tokens.length) throw invalid(`unexpected '${tokens[pos].text}'.`);
  return { predicate, properties };
}

function literalValue(kind: Kind, token: Token): Value {
  const text = token.text;
  if (token.type === 'ident' && text.toLowerCase() === 'null') return null;
  const edm = kind === 'boolean' ? 'Edm.Boolean' : kind === 'datetime' ? 'Edm.DateTimeOffset' : 'Edm.String';
  const incompatible = (found: string): GraphFailure =>
    badRequest(
      `A binary operator with incompatible types was detected. Found operand types '${edm}' and '${found}'.`,
    );
  if (kind === 'boolean') {
    if (token.type === 'string') throw incompatible('Edm.String');
    if (text.toLowerCase() !== 'true' && text.toLowerCase() !== 'false') throw incompatible('Edm.Unknown');
    return text.toLowerCase() === 'true';
  }
  if (kind === 'datetime') {
    if (token.type === 'string') throw incompatible('Edm.String');
    const ms = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/i.test(text)
      ? Date.parse(text)
      : NaN;
    if (Number.isNaN(ms)) throw badRequest(`Invalid filter clause: '${text}' is not a valid DateTimeOffset.`);
    return ms;
  }
  if (token.type !== 'string')
    throw incompatible(/^(true|false)$/i.test(text) ? 'Edm.Boolean' : 'Edm.Unknown');
  return text.toLowerCase();
}

function comparison(get: (m: StoredMessage) => Value, op: string, value: Value, kind: Kind): Predicate {
  const read =
    kind === 'string' ? (m: StoredMessage) => (get(m) as string | null)?.toLowerCase() ?? null : get;
  switch (op) {
    case 'eq':
      return (m) => read(m) === value;
    case 'ne':
      return (m) => read(m) !== value;
    default: {
      if (value === null) throw badRequest('Invalid filter clause: null cannot be ordered.');
      const cmp = (m: StoredMessage): number | null => {
        const v = read(m);
        return v === null ? null : v < value ? -1 : v > value ? 1 : 0;
      };
      if (op === 'gt') return (m) => (cmp(m) ?? -2) > 0;
      if (op === 'ge') return (m) => (cmp(m) ?? -2) >= 0;
      if (op === 'lt')
        return (m) => {
          const c = cmp(m);
          return c !== null && c < 0;
        };
      return (m) => {
        const c = cmp(m);
        return c !== null && c <= 0;
      };
    }
  }
}

// ---- $search (KQL subset) ----

/** Parses $search: quoted free text and `subject:`, `from:`, `to:`, `body:`, `hasattachments:` terms (all must match). */
export function parseSearch(text: string): Predicate {
  const trimmed = text.trim();
  const inner = /^".*"$/s.test(trimmed) ? trimmed.slice(1, -1) : trimmed;
  if (!inner.trim()) throw badRequest('Syntax error: the $search query is empty.');
  const terms = inner.match(/(\w+:)?("[^"]*"|\S+)/g) ?? [];
  const predicates = terms.map((term): Predicate => {
    const m = /^(?:(\w+):)?"?([^"]*)"?$/.exec(term) as RegExpExecArray;
    const field = (m[1] ?? '').toLowerCase();
    const needle = m[2].toLowerCase();
    const addresses = (rs: { emailAddress: { name: string; address: string } }[]): string =>
      rs
        .map((r) => `${r.emailAddress.name} ${r.emailAddress.address}`)
        .join(' ')
        .toLowerCase();
    const bodyText = (msg: StoredMessage): string =>
      (msg.body.contentType === 'html' ? htmlToText(msg.body.content) : msg.body.content).toLowerCase();
    switch (field) {
      case 'subject':
        return (msg) => msg.subject.toLowerCase().includes(needle);
      case 'from':
        return (msg) => addresses(msg.from ? [msg.from] : []).includes(needle);
      case 'to':
        return (msg) => addresses(msg.toRecipients).includes(needle);
      case 'cc':
        return (msg) => addresses(msg.ccRecipients).includes(needle);
      case 'body':
        return (msg) => bodyText(msg).includes(needle);
      case 'hasattachments':
      case 'hasattachment':
        return (msg) => String(msg.hasAttachments) === needle;
      case '':
        return (msg) =>
          msg.subject.toLowerCase().includes(needle) ||
          bodyText(msg).includes(needle) ||
          addresses([...(msg.from ? [msg.from] : []), ...msg.toRecipients]).includes(needle);
      default:
        return (msg) => msg.subject.toLowerCase().includes(`${field}:${needle}`);
    }
  });
  return (msg) => predicates.every((p) => p(msg));
}
