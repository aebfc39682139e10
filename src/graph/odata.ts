/** Escaping for values placed in Graph URLs and OData expressions. */

/**
 * Encodes one path segment for a Graph URL: encodeURIComponent plus the characters it leaves (!'()*), so '/', '?', '#',
 * '%' never change the path. '.' and '..' alone are refused: WHATWG URL parsing (used by axios) treats even %2E%2E as
 * '..' and would climb a level, and no mailbox, folder or message id is named that.
 */
export function pathSegment(value: string): string {
  if (typeof value !== 'string') throw new TypeError(`path segment must be a string, got ${typeof value}`);
  if (value === '') throw new RangeError('path segment must not be empty');
  if (value === '.' || value === '..')
    throw new RangeError(`path segment ${JSON.stringify(value)} is not allowed`);
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase(),
  );
}

/** OData string literal with single quotes doubled: odataString("O'Brien") -> "'O''Brien'". */
export function odataString(value: string): string {
  if (typeof value !== 'string') throw new TypeError(`OData string must be a string, got ${typeof value}`);
  return `'${value.replace(/'/g, "''")}'`;
}
