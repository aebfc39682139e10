/** Identifiers shaped like Exchange's, and small encoding helpers shared by the simulator modules. */
import * as crypto from 'node:crypto';

/** A message or attachment id like Exchange's (base64 with '-' and '_', ending in '='). */
export function exchangeId(prefix = 'AAMkAG'): string {
  return `${prefix}${crypto.randomBytes(45).toString('base64url')}AAA=`;
}

/** A GUID derived from a seed, so a mailbox keeps its user id across restarts. */
export function stableGuid(seed: string): string {
  const h = crypto.createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function randomGuid(): string {
  return crypto.randomUUID();
}

/** Encodes a state object for nextLink / deltaLink tokens. */
export function encodeState(state: object): string {
  return Buffer.from(JSON.stringify(state)).toString('base64url');
}

/** Decodes a state token; undefined when it is not one of ours. */
export function decodeState<T>(token: string): T | undefined {
  try {
    const value = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown;
    return value && typeof value === 'object' ? (value as T) : undefined;
  } catch {
    return undefined;
  }
}

/** Graph-style UTC timestamp (seconds precision, 'Z'). */
export function graphTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
