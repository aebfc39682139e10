/**
 * Every error code of the package in one place, as msal-common keeps its `*ErrorCodes` files: the codes this package
 * gives its own errors (`err.code`), the codes Graph, Entra ID and msal answer that the package branches on, and the
 * short reasons that pick a node's status text. Code compares codes from here; it never reads an error's message.
 */

/** Codes of the package's own errors (`O365Error.code`, `SendError.code`). */
export const ErrorCodes = {
  /** A setting of a node cannot work (`ConfigError`; `property` names it). */
  configInvalid: 'ConfigInvalid',
  /** A request was about to leave the configured Graph endpoint (a link Graph should not have given). */
  unexpectedUrl: 'UnexpectedUrl',
  /** The sign-in service did not answer in time. */
  tokenTimeout: 'TokenTimeout',
  /** The sign-in service could not be reached (DNS, connection, TLS, proxy). */
  tokenNetworkError: 'TokenNetworkError',
  /** Any other failed token request without an AADSTS code. */
  tokenError: 'TokenError',
  /** The sign-in service answered without a token. */
  noToken: 'NoToken',
  /** Graph did not answer in time. */
  timeout: 'Timeout',
  /** Graph could not be reached (used when the transport gives no code of its own). */
  networkError: 'NetworkError',
  /** Graph answered 2xx with a body that is not JSON. */
  malformedResponse: 'MalformedResponse',
  /** A request that may have had an effect got no clear answer; it was not repeated. */
  outcomeUnknown: 'OutcomeUnknown',
  /** A folder path segment does not exist (`GraphError.folder` names it). */
  folderNotFound: 'FolderNotFound',
  /** A `$batch` answer lacked one of its items. */
  noAnswer: 'NoAnswer',
  /** Something that is not an error of this package (wrapped so callers see one shape). */
  unknown: 'Unknown',
  /** A node was saved by a newer release of this package (`SavedVersionError`, src/red/migrations.ts). */
  newerVersion: 'NewerVersion',
  /** A node's saved `version` is not one any release writes (`SavedVersionError`). */
  unreadableVersion: 'UnreadableVersion',
  /** The retry notice of `$batch` items Graph throttled (not an error: a RetryNotice code). */
  batchItemsThrottled: 'BatchItemsThrottled',
  /** A delegated account has no working sign-in (`SignInRequiredError.why` says why); nothing was asked of Graph. */
  signInRequired: 'SignInRequired',
  /** An interactive sign-in did not complete (declined, wrong state, Entra's error; `SignInError.why`). */
  signInFailed: 'SignInFailed',
  /** The encrypted store of a delegated sign-in exists but cannot be read (other credentialSecret, damaged). */
  tokenStoreUnreadable: 'TokenStoreUnreadable',
  /**
   * Graph asked (Retry-After) for a longer wait than the request may still wait (`o365.retry.maxTotalDelayMs`): it
   * fails at once instead of retrying early (`retryAfterMs` holds what Graph asked).
   */
  retryAfterTooLong: 'RetryAfterTooLong',
  /**
   * A request waits for room in the mailbox's upload volume (150 MB per 5 minutes per app and mailbox; a RetryNotice
   * code), or would have to wait longer than `o365.retry.maxTotalDelayMs` (an error: `retryAfterMs` is the wait).
   */
  uploadLimit: 'UploadLimit',
} as const;

/** Why a mail was not sent, or may not have been (`SendError.code`). */
export const SendErrorCodes = {
  /** The message cannot make a mail; nothing was sent. */
  badInput: 'BadInput',
  /** Graph refused or failed before sending; nothing was sent. */
  failed: 'Failed',
  /** The send request was made but its answer was lost; it was not sent again. */
  outcomeUnknown: 'OutcomeUnknown',
  /** The node stopped before the mail was sent. */
  closed: 'Closed',
  /** More internetMessageHeaders than Graph takes (`count`, `max`); refused before any request, nothing was sent. */
  tooManyHeaders: 'TooManyHeaders',
  /**
   * Larger than the maximum message size: found by the node before any request (`count` and `max` in bytes), or
   * refused by Exchange (Graph's ErrorMessageSizeExceeded). Nothing was sent.
   */
  messageTooLarge: 'MessageTooLarge',
  /** A reply or forward: neither the mail's id nor its internetMessageId finds the mail to answer; nothing was sent. */
  originalNotFound: 'OriginalNotFound',
  /** A reply or forward: several mails have the internetMessageId (copies); none is guessed; nothing was sent. */
  originalAmbiguous: 'OriginalAmbiguous',
  /** A MIME mail larger than one sendMail request carries (`count`, `max` in bytes); nothing was sent. */
  mimeTooLarge: 'MimeTooLarge',
} as const;

/** Why an action on an existing mail was not done, or may not have been (`ActionError.code`). */
export const ActionErrorCodes = {
  /** The message or the node's fields cannot make an action (no mail id, no target, bad categories); nothing changed. */
  badInput: 'BadInput',
  /** `msg.operation` names no operation of the node; nothing changed. */
  unknownOperation: 'UnknownOperation',
  /** Neither the mail's id nor its internetMessageId finds it in the mailbox; nothing changed. */
  mailNotFound: 'MailNotFound',
  /** The internetMessageId finds several mails (copies); the node does not guess which one; nothing changed. */
  mailAmbiguous: 'MailAmbiguous',
  /** The destination folder of a move or copy does not exist; nothing changed. */
  folderNotFound: 'FolderNotFound',
  /** The application or signed-in user may not do this to the mailbox; nothing changed. */
  permissionMissing: 'PermissionMissing',
  /** Graph refused or failed; nothing changed. */
  failed: 'Failed',
  /** Graph may or may not have done it (no clear answer); it was not repeated. */
  outcomeUnknown: 'OutcomeUnknown',
  /** The node closed before the action was made; nothing changed. */
  closed: 'Closed',
} as const;

/** Graph error codes the package branches on (`error.code` of Graph's error body). */
export const GraphCodes = {
  mailboxInactive: 'MailboxNotEnabledForRESTAPI',
  /** 400 for an id that is not an Exchange id at all ("Id is malformed."). */
  idMalformed: 'ErrorInvalidIdMalformed',
  /**
   * A 404 naming the mailbox, not an item: Graph answers ErrorInvalidUser for an unknown user (test/simulator/README.md,
   * "Errors"), ResourceNotFound and ErrorNonExistentMailbox where the user exists without an Exchange Online mailbox.
   */
  mailboxNotFound: ['ErrorInvalidUser', 'ResourceNotFound', 'ErrorNonExistentMailbox'] as readonly string[],
  /**
   * Graph cannot sort this `$filter` (400): InefficientFilter "The restriction or sort order is too complex for this
   * operation" (the ordered property must come first in the filter), ErrorRestrictionTooComplex and
   * Request_UnsupportedQuery ("Sorting not supported for current query") for the same refusal elsewhere.
   */
  sortRefused: [
    'InefficientFilter',
    'ErrorRestrictionTooComplex',
    'Request_UnsupportedQuery',
  ] as readonly string[],
  /**
   * Exchange refuses an item over the mailbox's maximum message size (MaxSendSize), at the request that crosses it:
   * sendMail, a draft, an attachment or an upload chunk (test/simulator/README.md, Fidelity).
   */
  messageSizeExceeded: 'ErrorMessageSizeExceeded',
  /** /send of an item that is no longer a draft (it was sent already). */
  notADraft: 'ErrorInvalidOperation',
  /** A subscription's notification URL failed Graph's validation request (400; also when it timed out). */
  subscriptionValidation: 'ValidationError',
  /**
   * Graph's change-notification service answers with ExtensionError: 400 for an expiration it does not accept ("can
   * only be N minutes in the future"), 403 for a missing permission and for the 1,000 subscriptions per mailbox.
   */
  subscriptionExtension: 'ExtensionError',
  /**
   * A cloud without message delta (21Vianet's China cloud, the former German cloud) reads `delta` in
   * `.../messages/delta` as a message id: 400 ErrorInvalidIdMalformed "Id is malformed." (test/simulator/README.md).
   */
  deltaUnavailable: ['ErrorInvalidIdMalformed'] as readonly string[],
  /** A delta token Graph no longer knows or cannot read (410 syncStateNotFound and its relatives); compare lower-case. */
  staleSyncState: [
    'syncstatenotfound',
    'syncstateinvalid',
    'invalidsyncstate',
    'errorinvalidsyncstatedata',
    'resyncrequired',
  ] as readonly string[],
} as const;

/** AADSTS numbers of the identity platform that get a hint of their own (msal's `ServerError.errorNo`). */
export const AadstsCodes = {
  secretWrong: '7000215',
  secretExpired: '7000222',
  appNotFound: '700016',
  appDisabled: '7000112',
  tenantNotFound: '90002',
  tenantInvalid: '900023',
  certificateRejected: '700027',
  assertionOutOfTime: '700024',
  scopeInvalid: '70011',
  scopeInvalidForCloud: '1002012',
  graphNotInTenant: '500011',
  signInUnavailable: '90033',
  // Delegated sign-in (reference-error-codes): the refresh token or the sign-in stopped working...
  grantRevoked: '50173',
  consentMissing: '65001',
  grantInvalid: '70000',
  grantExpired: '70008',
  refreshTokenInactive: '700082',
  mfaRequired: '50076',
  mfaRegistrationRequired: '50079',
  blockedByConditionalAccess: '53003',
  userNotAssigned: '50105',
  requestMalformed: '9002313',
  // ...or a sign-in could not start or finish.
  consentDeclined: '65004',
  adminConsentRequired: '90094',
  redirectUriMismatch: '50011',
  codeVerifierMismatch: '501481',
  codeRedeemed: '54005',
  publicClientFlowsDisabled: '7000218',
  publicClientWithSecret: '700025',
  notMultiTenant: '50194',
  workAccountsOnly: '9002332',
  wrongAccountType: '500208',
} as const;

/** Device code polling answers (RFC 8628 and v2-oauth2-device-code "Expected errors"). */
export const DeviceCodeErrors = {
  pending: 'authorization_pending',
  slowDown: 'slow_down',
  declined: 'authorization_declined',
  expired: 'expired_token',
  badCode: 'bad_verification_code',
} as const;

/**
 * Why a cron expression cannot be used (src/schedule.ts `cronProblem`); each has its text in the catalogues,
 * `o365-mail-in.cron-problem.<code>`, for the editor and the node's status alike.
 */
export const CronProblemCodes = {
  empty: 'empty',
  /** Not 5, 6 or 7 fields (`count`). */
  fieldCount: 'field-count',
  /** Quartz `L-n` in day-of-month, which croner does not support. */
  lastDayOffset: 'last-day-offset',
  /** A day-of-week number outside Quartz's 1 (SUN) to 7 (SAT). */
  weekdayRange: 'weekday-range',
  /** Quartz: both day-of-month and day-of-week set; one must be `?`. */
  bothDays: 'both-days',
  /** One field croner rejects (`field`, `value`). */
  badField: 'bad-field',
  /** The whole expression, though each field is valid alone. */
  invalid: 'invalid',
  /** Valid, but no run lies ahead (an impossible date, a past year). */
  never: 'never',
} as const;

export type CronProblemCode = (typeof CronProblemCodes)[keyof typeof CronProblemCodes];

/** What is wrong with a cron expression, as data: the editor and the node's status word it from the catalogues. */
export interface CronProblem {
  code: CronProblemCode;
  /** The expression, trimmed. */
  expression: string;
  /** field-count: how many fields it has. */
  count?: number;
  /** bad-field: the field's name (`seconds`, `minutes`, `hours`, `day-of-month`, `month`, `day-of-week`, `year`). */
  field?: string;
  /** The value at fault (last-day-offset and both-days: day-of-month; weekday-range: day-of-week; bad-field). */
  value?: string;
  /** both-days: the day-of-week value. */
  other?: string;
  /** bad-field, invalid: the parser's own words (English, for logs; the catalogue texts leave them out). */
  detail?: string;
}

/** Why a subscription request failed, for status texts and for deciding whether to try again. */
export type SubscriptionProblemCode =
  /** The notification URL did not answer Graph's validation request right or in time. */
  | 'validation-failed'
  /** Graph did not accept the expiration asked for. */
  | 'expiration-rejected'
  /** 403: a permission (Mail.Read) is missing, or the mailbox has its 1,000 subscriptions (Graph's text says which). */
  | 'forbidden'
  /** An application access policy keeps the app out of the mailbox. */
  | 'access-policy'
  /** The subscription, mailbox or folder does not exist (any more). */
  | 'not-found'
  /** A delegated account's sign-in stopped working (or none was made yet): push resumes after a new sign-in. */
  | 'sign-in-required'
  | 'graph-error';

/** Why there is no usable notification URL for push (src/push/url.ts); none of these gets better by trying again. */
export type UrlProblem =
  'no-public-url' | 'public-url-invalid' | 'public-url-not-https' | 'http-node-disabled';

/** Why Test connection's validation request to the public URL failed (src/push/probe.ts). */
export type ProbeProblem = UrlProblem | 'unreachable' | 'timeout' | 'status' | 'wrong-answer';

/** OAuth `error` values (RFC 6749 4.1.2.1, 5.2) of an authorization answer the package branches on or writes. */
export const OAuthErrors = {
  /** The user (or an admin policy) declined the consent or the sign-in. */
  accessDenied: 'access_denied',
  invalidScope: 'invalid_scope',
  /** A redirect without a code and without an error: the answer itself is wrong. */
  invalidRequest: 'invalid_request',
  /** Written by the package for a token endpoint answer that is not JSON (src/graph/http.ts). */
  invalidResponse: 'invalid_response',
  /** Entra's `error_subcode` when the user cancelled the sign-in page. */
  cancelled: 'cancel',
} as const;

/** OAuth `error` values that mean the grant (refresh token, code) no longer works: a new sign-in is needed. */
export const GrantErrors: readonly string[] = [
  'invalid_grant',
  'interaction_required',
  'consent_required',
  'login_required',
];

/** msal's `errorCode` values the package branches on (msal-common ClientAuthErrorCodes). */
export const MsalCodes = {
  /** msal's wrapper for a failed network call; the transport's own failure is kept beside it (src/graph/http.ts). */
  networkError: 'network_error',
  /** No account or refresh token in the cache (msal-node's silent request on an empty cache). */
  noTokensFound: 'no_tokens_found',
} as const;

/** Transport (Node.js / axios) codes that mean a request timed out. */
export const TimeoutCodes: readonly string[] = ['ECONNABORTED', 'ETIMEDOUT'];

/** Short, stable keys for a node's red status (translated through the `o365-config.reason.*` catalogue). */
export type ErrorReason =
  | 'secret-wrong'
  | 'secret-expired'
  | 'app-not-found'
  | 'tenant-not-found'
  | 'certificate-rejected'
  | 'scope-invalid'
  | 'permission-missing'
  | 'access-policy'
  | 'mailbox-not-found'
  | 'mailbox-inactive'
  | 'throttled'
  | 'unavailable'
  | 'network'
  | 'timeout'
  | 'token-unavailable'
  | 'item-not-found'
  | 'bad-request'
  | 'outcome-unknown'
  | 'config-invalid'
  | 'sign-in-required'
  | 'unknown';

/**
 * Why a delegated account needs a new sign-in (translated through `o365-config.signin.why.*`): never signed in or
 * signed out, sessions revoked or password changed (50173), consent withdrawn (65001), a permission withdrawn or not
 * granted (70000), unused for 90 days (700082, 70008), multifactor needed (50076, 50079), Conditional Access (53003),
 * not assigned to the app (50105), another refresh failure, the account settings changed since the sign-in, or the
 * encrypted store cannot be read.
 */
export type SignInReason =
  | 'not-signed-in'
  | 'signed-out'
  | 'revoked'
  | 'consent-revoked'
  | 'permission-withdrawn'
  | 'permission-missing'
  | 'inactive'
  | 'mfa'
  | 'blocked'
  | 'not-assigned'
  | 'invalid'
  | 'settings-changed'
  | 'store-unreadable';

/** Reasons that concern the whole account (credentials, permissions, tenant), not one mail. */
export const ACCOUNT_REASONS: readonly ErrorReason[] = [
  'secret-wrong',
  'secret-expired',
  'app-not-found',
  'tenant-not-found',
  'certificate-rejected',
  'scope-invalid',
  'permission-missing',
  'access-policy',
  'config-invalid',
  'token-unavailable',
  'sign-in-required',
];
