/** Status texts every node shares: the short reason of an error and the "throttled, retrying in Ns" notice. */
import { ACCOUNT_REASONS } from '../graph/error-codes';
import { O365Error } from '../graph/errors';
import { SignInRequiredError } from '../graph/sign-in-errors';
import type { RetryNotice } from '../graph/types';
import { catalogueText, CONFIG_CATALOGUE } from './catalogue';
import type { NodeRED, NodeStatus } from './types';

/** The short reason of an error (`o365-config.reason.*`; Node-RED's own "error" for anything else), translated. */
export function reasonText(RED: NodeRED, err: unknown): string {
  if (!(err instanceof O365Error) || err.reason === 'unknown') {
    return catalogueText(RED, 'node-red:common.status.error');
  }
  if (err instanceof SignInRequiredError) {
    // "sign in again: password changed or sessions revoked" (o365-config.signin.why.*)
    const why = catalogueText(RED, `${CONFIG_CATALOGUE}:o365-config.signin.why.${err.why}`);
    return catalogueText(RED, `${CONFIG_CATALOGUE}:o365-config.status.sign-in-again`, { why });
  }
  return catalogueText(RED, `${CONFIG_CATALOGUE}:o365-config.reason.${err.reason}`);
}

/** A blue ring while a device code sign-in waits: where to go and which code to enter. */
export function deviceCodeStatus(RED: NodeRED, url: string, code: string): NodeStatus {
  const text = catalogueText(RED, `${CONFIG_CATALOGUE}:o365-config.status.device-code`, { url, code });
  return { fill: 'blue', shape: 'ring', text };
}

/** A red ring with the short reason. */
export function errorStatus(RED: NodeRED, err: unknown): NodeStatus {
  return { fill: 'red', shape: 'ring', text: reasonText(RED, err) };
}

/** A red ring with a text of the node's own. */
export function problemStatus(text: string): NodeStatus {
  return { fill: 'red', shape: 'ring', text };
}

/** The yellow "throttled, retrying in Ns" of every node; none for a retry without a wait. */
export function retryStatus(RED: NodeRED, notice: RetryNotice): NodeStatus | undefined {
  if (notice.delayMs <= 0) return undefined;
  const seconds = Math.ceil(notice.delayMs / 1000);
  const text = catalogueText(RED, `${CONFIG_CATALOGUE}:o365-config.status.throttled`, { seconds });
  return { fill: 'yellow', shape: 'ring', text };
}

/** True when the error concerns the whole account, so every node using it should show it. */
export function isAccountProblem(err: unknown): err is O365Error {
  return err instanceof O365Error && ACCOUNT_REASONS.includes(err.reason);
}
