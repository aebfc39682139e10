/**
 * The errors of delegated sign-in, with the fix for each: `SignInRequiredError` when an account's sign-in stopped
 * working (every node using it shows "sign in again" and why), `SignInError` when an interactive sign-in did not
 * complete (the dialog shows it). Both are TokenErrors with reason `sign-in-required`; callers branch on `why`.
 */
import {
  AadstsCodes,
  DeviceCodeErrors,
  ErrorCodes,
  GrantErrors,
  MsalCodes,
  OAuthErrors,
  SignInReason,
} from './error-codes';
import { firstLine, type MsalErrorLike, O365Error, TokenError, tokenError } from './errors';

export type { SignInReason } from './error-codes';

/** Why an interactive sign-in did not complete. */
export type SignInFailure =
  | 'declined'
  | 'admin-consent'
  | 'redirect-mismatch'
  | 'redirect-insecure'
  | 'state-unknown'
  | 'public-client-flows'
  | 'secret-not-allowed'
  | 'blocked'
  | 'expired'
  | 'not-multitenant'
  | 'work-only'
  | 'wrong-account'
  | 'scope-invalid'
  | 'cancelled'
  | 'failed';

const REQUIRED_HINTS: Record<SignInReason, string> = {
  'not-signed-in': 'Not signed in: open the account and click "Sign in with Microsoft"',
  'signed-out': 'Signed out: sign in again in the account dialog',
  revoked:
    'The sign-in was revoked (password changed or reset, or sessions revoked by an administrator); sign in again in the account dialog',
  'consent-revoked': 'Consent for this app was withdrawn; sign in again and accept the permissions',
  'permission-withdrawn':
    'A permission this account uses was withdrawn or is no longer granted; sign in again and accept it',
  'permission-missing': 'The sign-in lacks a permission a node needs; sign in again to grant it',
  inactive: 'The sign-in was not used for 90 days and expired; sign in again',
  mfa: 'Multifactor authentication is now required for this account; sign in again',
  blocked: 'Conditional Access blocks this sign-in; ask an administrator which sign-in the policy allows',
  'not-assigned':
    'The user is not assigned to this app (assignment required); an administrator must assign the user under Enterprise applications',
  invalid: 'The sign-in no longer works; sign in again',
  'settings-changed':
    'The sign-in was made with other account settings (application, tenant, cloud or secret changed); sign in again',
  'store-unreadable':
    'The stored sign-in cannot be read (was the credentialSecret in settings.js changed?); sign in again',
};

const FAILURE_HINTS: Record<SignInFailure, string> = {
  declined: 'The permissions were declined; sign in again and accept them to use this account',
  'admin-consent':
    'Only an administrator may consent to this app in your organization; ask one to grant consent (Enterprise applications > Permissions) or to approve the request',
  'redirect-mismatch':
    'The redirect URI is not registered for the app: add the exact URI the dialog shows under Authentication',
  'redirect-insecure':
    'Microsoft accepts http redirect URIs only for localhost: open the editor over https, or sign in with a code',
  'state-unknown':
    'This answer does not belong to a sign-in started here (unknown or expired state); start again from the dialog',
  'public-client-flows':
    'The app registration does not allow public client flows: turn on "Allow public client flows" under Authentication (for the device code and for redirect URIs without a secret), or give the client secret of a web app',
  'secret-not-allowed':
    'The redirect URI is registered for mobile and desktop apps (a public client), which must not send a secret: remove the client secret, or register the URI as Web',
  blocked:
    'Conditional Access blocks this sign-in; for the device code flow, sign in with the browser instead ("Sign in with Microsoft"), or ask an administrator',
  expired: 'The sign-in took too long and the code expired; start again',
  'not-multitenant':
    'The app accepts accounts of its own tenant only: use the tenant id instead of common or organizations, or change "Supported account types"',
  'work-only':
    'The app accepts work or school accounts only: change "Supported account types" to include personal Microsoft accounts, or use organizations or the tenant id',
  'wrong-account':
    'This kind of account cannot sign in through this tenant setting: personal accounts need consumers or common, work accounts organizations, common or the tenant id',
  'scope-invalid':
    'A permission asked for is not available to this account (personal accounts cannot use the .Shared permissions): set the mailboxes to me',
  cancelled: 'The sign-in was cancelled',
  failed: 'The sign-in did not complete; start again',
};

/** A delegated account has no working sign-in; polls and sends stop until someone signs in again. */
export class SignInRequiredError extends TokenError {
  readonly why: SignInReason;
  /** For `permission-missing`: the permission a node needs. */
  readonly permission?: string;

  constructor(
    why: SignInReason,
    details: {
      aadsts?: string;
      status?: number;
      requestId?: string;
      serviceMessage?: string;
      permission?: string;
    } = {},
  ) {
    const hint =
      why === 'permission-missing' && details.permission
        ? `The sign-in lacks ${details.permission}, which a node needs; sign in again to grant it`
        : REQUIRED_HINTS[why];
    super({
      code: details.aadsts ? `AADSTS${details.aadsts}` : ErrorCodes.signInRequired,
      reason: 'sign-in-required',
      status: details.status,
      requestId: details.requestId,
      serviceMessage: details.serviceMessage,
      hint,
    });
    this.name = 'SignInRequiredError';
    this.why = why;
    this.permission = details.permission;
  }
}

/** An interactive sign-in (browser or device code) did not complete. */
export class SignInError extends TokenError {
  readonly why: SignInFailure;

  constructor(why: SignInFailure, details: { aadsts?: string; serviceMessage?: string; hint?: string } = {}) {
    super({
      code: details.aadsts ? `AADSTS${details.aadsts}` : ErrorCodes.signInFailed,
      reason: 'sign-in-required',
      serviceMessage: details.serviceMessage,
      hint: details.hint ?? FAILURE_HINTS[why],
    });
    this.name = 'SignInError';
    this.why = why;
  }
}

/**
 * What an AADSTS number means, where it means something: when a stored sign-in is refreshed (`required`: the user
 * must sign in again, and why) and when an interactive sign-in ends with it (`failed`: why it did not complete).
 */
const AADSTS_MEANINGS: Record<string, { required?: SignInReason; failed?: SignInFailure }> = {
  [AadstsCodes.grantRevoked]: { required: 'revoked' },
  [AadstsCodes.consentMissing]: { required: 'consent-revoked' },
  [AadstsCodes.grantInvalid]: { required: 'permission-withdrawn' },
  [AadstsCodes.refreshTokenInactive]: { required: 'inactive' },
  [AadstsCodes.grantExpired]: { required: 'inactive', failed: 'expired' },
  [AadstsCodes.mfaRequired]: { required: 'mfa' },
  [AadstsCodes.mfaRegistrationRequired]: { required: 'mfa' },
  [AadstsCodes.blockedByConditionalAccess]: { required: 'blocked', failed: 'blocked' },
  [AadstsCodes.userNotAssigned]: { required: 'not-assigned' },
  [AadstsCodes.consentDeclined]: { failed: 'declined' },
  [AadstsCodes.adminConsentRequired]: { failed: 'admin-consent' },
  [AadstsCodes.redirectUriMismatch]: { failed: 'redirect-mismatch' },
  [AadstsCodes.publicClientFlowsDisabled]: { failed: 'public-client-flows' },
  [AadstsCodes.publicClientWithSecret]: { failed: 'secret-not-allowed' },
  [AadstsCodes.notMultiTenant]: { failed: 'not-multitenant' },
  [AadstsCodes.workAccountsOnly]: { failed: 'work-only' },
  [AadstsCodes.wrongAccountType]: { failed: 'wrong-account' },
  [AadstsCodes.scopeInvalid]: { failed: 'scope-invalid' },
};

/**
 * A failed silent token request of a delegated account: Entra's grant errors (invalid_grant and its relatives, msal's
 * InteractionRequiredAuthError) become a SignInRequiredError with the reason; everything else (network, outage,
 * throttling) stays a passing TokenError, so the account is not signed out by a hiccup.
 */
export function refreshFailure(err: unknown, transport?: unknown): O365Error {
  if (err instanceof O365Error) return err;
  const e = (err ?? {}) as MsalErrorLike;
  const aadsts = e.errorNo !== undefined && e.errorNo !== '' ? String(e.errorNo) : undefined;
  const grantError = GrantErrors.includes(e.errorCode ?? '') || e.errorCode === MsalCodes.noTokensFound;
  if (!grantError && !(aadsts && AADSTS_MEANINGS[aadsts]?.required)) return tokenError(err, transport);
  const why: SignInReason =
    (aadsts && AADSTS_MEANINGS[aadsts]?.required) ||
    (e.errorCode === MsalCodes.noTokensFound ? 'not-signed-in' : 'invalid');
  return new SignInRequiredError(why, {
    aadsts,
    status: e.status,
    requestId: e.correlationId,
    serviceMessage: firstLine(e.errorMessage ?? ''),
  });
}

/** An OAuth error answer (the redirect's `error` parameters, a device code poll, msal's ServerError) as a SignInError. */
export function signInFailure(answer: {
  error?: string;
  errorDescription?: string;
  errorNo?: string;
  subError?: string;
}): SignInError {
  const aadsts = answer.errorNo;
  const serviceMessage = firstLine(answer.errorDescription ?? answer.error ?? '');
  let why: SignInFailure = (aadsts && AADSTS_MEANINGS[aadsts]?.failed) || 'failed';
  if (why === 'failed' && answer.error === OAuthErrors.accessDenied) why = 'declined';
  if (
    why === 'failed' &&
    (answer.error === DeviceCodeErrors.declined || answer.subError === OAuthErrors.cancelled)
  )
    why = 'declined';
  if (why === 'failed' && answer.error === DeviceCodeErrors.expired) why = 'expired';
  if (why === 'failed' && answer.error === OAuthErrors.invalidScope) why = 'scope-invalid';
  return new SignInError(why, { aadsts, serviceMessage });
}
