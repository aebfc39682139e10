/** Short node status texts for errors, from the `o365-config.reason.*` catalogue. */
import { ACCOUNT_REASONS, ErrorReason } from '../graph/error-codes';
import { O365Error } from '../graph/errors';
import { NodeRED, NodeStatus } from './types';

/** The config node's catalogue: RED._ of the mail nodes would otherwise look in their own catalogue. */
const CONFIG_CATALOGUE = '@mailgraph/node-red-o365-mail/o365-config';

/** The short reason of an error, translated. */
export function reasonText(RED: NodeRED, err: unknown): string {
  const reason: ErrorReason = err instanceof O365Error ? err.reason : 'unknown';
  const text = RED._(`${CONFIG_CATALOGUE}:o365-config.reason.${reason}`);
  // RED._ answers the key itself when the catalogue lacks it.
  if (text && !text.includes('o365-config.reason.')) return text;
  return reason === 'unknown' && err instanceof Error ? err.message.slice(0, 60) : reason.replace(/-/g, ' ');
}

/** A red ring with the short reason. */
export function errorStatus(RED: NodeRED, err: unknown): NodeStatus {
  return { fill: 'red', shape: 'ring', text: reasonText(RED, err) };
}

/** True when the error concerns the whole account, so every node using it should show it. */
export function isAccountProblem(err: unknown): err is O365Error {
  return err instanceof O365Error && ACCOUNT_REASONS.includes(err.reason);
}

/** A translated text with a fallback when the catalogue lacks the key. */
export function text(
  RED: NodeRED,
  key: string,
  fallback: string,
  subs?: Record<string, string | number>,
): string {
  const value = RED._(key, subs);
  if (value && !value.endsWith(key)) return value;
  return fallback.replace(/__(\w+)__/g, (_, name: string) => String(subs?.[name] ?? ''));
}
