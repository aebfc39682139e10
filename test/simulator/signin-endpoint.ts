/**
 * The interactive side of delegated sign-in: /authorize and its pages (sign in, approve, consent), /devicecode and the
 * device login page. Errors about the client or redirect URI are shown on a page (never redirected to an unregistered
 * URI); the user's answers (declined consent, blocked) go back to the redirect URI as `error` parameters.
 */
import * as crypto from 'node:crypto';
import { TokenFailure, tokenErrorBody } from './errors';
import { matchRedirectUri, type DeviceGrant, type ScopeRequest, type TenantPath } from './identity-delegated';
import type { Outcome } from './router';
import type { Incoming } from './server';
import {
  adminApprovalPage,
  consentPage,
  deviceCodePage,
  deviceDonePage,
  errorPage,
  formPostPage,
  mfaPage,
  signInPage,
} from './signin-pages';
import type { SimState } from './state';
import type { AppRegistration, RedirectUri } from './types';

/** One browser sign-in in progress (an authorization request or a device code being approved). */
interface Interaction {
  id: string;
  tenant: string;
  path: TenantPath;
  app: AppRegistration;
  scopes: ScopeRequest;
  expiresAt: number;
  userId?: string;
  mfaDone?: boolean;
  /** Authorization code requests. */
  code?: {
    redirectUri: string;
    platform: RedirectUri['platform'];
    responseMode: 'query' | 'fragment' | 'form_post';
    state?: string;
    nonce?: string;
    challenge?: string;
    method?: 'S256' | 'plain';
    forceConsent: boolean;
  };
  device?: DeviceGrant;
}

const INTERACTION_LIFETIME_MS = 15 * 60 * 1000;
const interactions = new WeakMap<SimState, Map<string, Interaction>>();

function interactionsOf(state: SimState): Map<string, Interaction> {
  let map = interactions.get(state);
  if (!map) {
    map = new Map();
    interactions.set(state, map);
  }
  const now = Date.now();
  for (const [id, i] of map) if (i.expiresAt < now) map.delete(id);
  return map;
}

/** True when the path is one of the interactive or device-code endpoints. */
export function isSignInPath(parts: string[]): boolean {
  if (parts[0] === 'devicelogin' && parts.length === 1) return true;
  if (parts.length === 2 && ['login', 'mfa', 'consent'].includes(parts[1])) return true;
  return (
    parts.length === 4 &&
    parts[1] === 'oauth2' &&
    parts[2] === 'v2.0' &&
    ['authorize', 'devicecode'].includes(parts[3])
  );
}

/** Answers /authorize, the sign-in pages, /devicecode and /devicelogin. */
export function answerSignIn(state: SimState, incoming: Incoming, parts: string[]): Outcome {
  const form = incoming.method === 'POST' ? formOf(incoming) : {};
  if (parts[0] === 'devicelogin') return deviceLogin(state, incoming, form);
  const tenant = parts[0];
  const step = parts.length === 2 ? parts[1] : parts[3];
  if (step === 'devicecode') return deviceCode(state, incoming, tenant, form);
  if (step === 'authorize') return authorize(state, incoming, tenant);
  if (incoming.method !== 'POST')
    return html(405, errorPage('AADSTS900561', 'The endpoint only accepts POST requests.'));
  const interaction = interactionsOf(state).get(form.ctx ?? '');
  if (!interaction) {
    return html(
      400,
      errorPage('AADSTS90014', 'The sign-in session is missing or has expired. Start again from the app.'),
    );
  }
  if (step === 'login') return login(state, interaction, form);
  if (step === 'mfa') {
    interaction.mfaDone = true;
    return proceed(state, interaction);
  }
  return consent(state, interaction, form.decision ?? '');
}

function authorize(state: SimState, incoming: Incoming, tenant: string): Outcome {
  const q = incoming.query;
  let app: AppRegistration;
  let path: TenantPath;
  try {
    ({ app, path } = state.delegated.appAt(tenant, q.client_id));
  } catch (err) {
    return failurePage(err);
  }
  const redirectUri = q.redirect_uri ?? '';
  const registered = redirectUri ? matchRedirectUri(app, redirectUri) : undefined;
  if (!registered) {
    return html(
      400,
      errorPage(
        'AADSTS50011',
        `The redirect URI '${redirectUri}' specified in the request does not match the redirect URIs configured for the application '${app.clientId}'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal.`,
      ),
    );
  }
  const responseMode = (q.response_mode ?? 'query') as 'query' | 'fragment' | 'form_post';
  const back = (error: string, description: string): Outcome =>
    redirect(redirectUri, responseMode, {
      error,
      error_description: description,
      ...(q.state ? { state: q.state } : {}),
    });
  if (q.response_type !== 'code') {
    return back('unsupported_response_type', 'AADSTS700054: The response type must be code for this flow.');
  }
  const method = q.code_challenge_method ?? (q.code_challenge ? 'plain' : undefined);
  if (q.code_challenge !== undefined && !(q.code_challenge.length >= 43 && q.code_challenge.length <= 128)) {
    return back('invalid_request', 'AADSTS501491: Invalid size of Code_Challenge parameter.');
  }
  if (method !== undefined && method !== 'S256' && method !== 'plain') {
    return back('invalid_request', 'AADSTS50147: The code challenge method is not supported.');
  }
  let scopes: ScopeRequest;
  try {
    scopes = state.delegated.parseScopes(q.scope);
  } catch (err) {
    const f = err as TokenFailure;
    return back(f.error, `AADSTS${f.aadsts}: ${f.description}`);
  }
  state.countOperation('authorize');
  const interaction: Interaction = {
    id: crypto.randomBytes(24).toString('base64url'),
    tenant,
    path,
    app,
    scopes,
    expiresAt: Date.now() + INTERACTION_LIFETIME_MS,
    code: {
      redirectUri,
      platform: registered.platform,
      responseMode,
      state: q.state,
      nonce: q.nonce,
      challenge: q.code_challenge,
      method: method as 'S256' | 'plain' | undefined,
      forceConsent: q.prompt === 'consent',
    },
  };
  interactionsOf(state).set(interaction.id, interaction);
  return html(
    200,
    signInPage({
      action: `/${tenant}/login`,
      ctx: interaction.id,
      appName: appName(app),
      loginHint: q.login_hint,
    }),
  );
}

function login(state: SimState, interaction: Interaction, form: Record<string, string>): Outcome {
  const again = (code: number, message: string): Outcome =>
    html(
      200,
      signInPage({
        action: `/${interaction.tenant}/login`,
        ctx: interaction.id,
        appName: appName(interaction.app),
        loginHint: form.login,
        error: { code: `AADSTS${code}`, message },
      }),
    );
  const user = state.delegated.findUser(form.login ?? '');
  if (!user) {
    return again(
      50034,
      "We couldn't find an account with that username. To sign into this application, the account must be added to the directory.",
    );
  }
  const wrongType = state.delegated.accountTypeProblem(interaction.app, interaction.path, user);
  if (wrongType) return again(wrongType.aadsts, wrongType.description);
  interaction.userId = user.mailbox.userId;
  return proceed(state, interaction);
}

/** After sign-in: second factor, policies, consent, then the code (or the device is approved). */
function proceed(state: SimState, interaction: Interaction): Outcome {
  const delegated = state.delegated;
  const user = interaction.userId ? delegated.userById(interaction.userId) : undefined;
  if (!user) return html(400, errorPage('AADSTS50034', 'The user account does not exist.'));
  if (user.mfa && !interaction.mfaDone) {
    return html(
      200,
      mfaPage({ action: `/${interaction.tenant}/mfa`, ctx: interaction.id, user: user.mailbox.address }),
    );
  }
  const blocked =
    interaction.device && delegated.deviceCodeBlocked
      ? new TokenFailure(
          400,
          'invalid_grant',
          53003,
          'Access has been blocked by Conditional Access policies. The access policy does not allow token issuance.',
        )
      : undefined;
  let problem = blocked ?? delegated.assignmentProblem(interaction.app, user);
  if (!problem) {
    try {
      delegated.checkScopesFor(user, interaction.scopes);
    } catch (err) {
      problem = err as TokenFailure;
    }
  }
  if (problem) return fail(state, interaction, problem);
  const needed = delegated.consentNeeded(user.mailbox.userId, interaction.app.clientId, interaction.scopes);
  const ask = interaction.code?.forceConsent ? interaction.scopes.graph : needed;
  if (ask.length > 0) {
    const action = `/${interaction.tenant}/consent`;
    if (!delegated.userConsentAllowed && needed.length > 0) {
      return html(200, adminApprovalPage({ action, ctx: interaction.id, appName: appName(interaction.app) }));
    }
    return html(
      200,
      consentPage({
        action,
        ctx: interaction.id,
        appName: appName(interaction.app),
        user: user.mailbox.address,
        scopes: ask,
      }),
    );
  }
  return complete(state, interaction);
}

function consent(state: SimState, interaction: Interaction, decision: string): Outcome {
  if (!interaction.userId) return html(400, errorPage('AADSTS90014', 'Sign in first.'));
  if (decision === 'accept') {
    state.delegated.grantConsent(interaction.userId, interaction.app.clientId, interaction.scopes.graph);
    return complete(state, interaction);
  }
  if (decision === 'back') {
    return fail(
      state,
      interaction,
      new TokenFailure(400, 'access_denied', 90094, 'Administrator consent is required.'),
    );
  }
  return fail(
    state,
    interaction,
    new TokenFailure(400, 'access_denied', 65004, 'User declined to consent to access the app.'),
    'declined',
  );
}

function complete(state: SimState, interaction: Interaction): Outcome {
  interactionsOf(state).delete(interaction.id);
  const userId = interaction.userId as string;
  if (interaction.device) {
    interaction.device.state = 'approved';
    interaction.device.userId = userId;
    return html(200, deviceDonePage({ appName: appName(interaction.app), outcome: 'approved' }));
  }
  const code = interaction.code as NonNullable<Interaction['code']>;
  const issued = state.delegated.issueCode({
    clientId: interaction.app.clientId,
    redirectUri: code.redirectUri,
    platform: code.platform,
    userId,
    scopes: interaction.scopes,
    challenge: code.challenge,
    method: code.method,
    nonce: code.nonce,
  });
  return redirect(code.redirectUri, code.responseMode, {
    code: issued,
    ...(code.state !== undefined ? { state: code.state } : {}),
    session_state: crypto.randomUUID(),
  });
}

/** Ends an interaction with an error: back to the app's redirect URI, or on the device page. */
function fail(
  state: SimState,
  interaction: Interaction,
  failure: TokenFailure,
  outcome?: 'declined',
): Outcome {
  interactionsOf(state).delete(interaction.id);
  if (interaction.device) {
    if (outcome === 'declined') {
      interaction.device.state = 'declined';
      return html(200, deviceDonePage({ appName: appName(interaction.app), outcome: 'declined' }));
    }
    interaction.device.state = 'failed';
    interaction.device.failure = failure;
    if (failure.aadsts === 53003)
      return html(200, deviceDonePage({ appName: appName(interaction.app), outcome: 'blocked' }));
    return html(200, errorPage(`AADSTS${failure.aadsts}`, failure.description));
  }
  const code = interaction.code as NonNullable<Interaction['code']>;
  const error = failure.error === 'invalid_grant' ? 'access_denied' : failure.error;
  return redirect(code.redirectUri, code.responseMode, {
    error,
    ...(outcome === 'declined' ? { error_subcode: 'cancel' } : {}),
    error_description: `AADSTS${failure.aadsts}: ${failure.description}`,
    ...(code.state !== undefined ? { state: code.state } : {}),
  });
}

function deviceCode(
  state: SimState,
  incoming: Incoming,
  tenant: string,
  form: Record<string, string>,
): Outcome {
  state.countOperation('deviceCode');
  try {
    if (incoming.method !== 'POST') {
      throw new TokenFailure(405, 'invalid_request', 900561, 'The endpoint only accepts POST requests.');
    }
    state.validate('request', 'token', 'deviceAuthorizationForm', form, incoming.rawPath);
    const { app, path } = state.delegated.appAt(tenant, form.client_id);
    const body = state.delegated.startDeviceCode(app, path, form.scope);
    state.validate('response', 'token', 'deviceAuthorizationResponse', body, incoming.rawPath);
    return { reply: { status: 200, body }, operation: 'deviceCode', mailbox: null };
  } catch (err) {
    if (!(err instanceof TokenFailure)) throw err;
    const body = tokenErrorBody(
      err,
      crypto.randomUUID(),
      incoming.headers['client-request-id'] ?? crypto.randomUUID(),
    );
    state.validate('response', 'token', 'errorResponse', body, incoming.rawPath);
    return { reply: { status: err.status, body }, operation: 'deviceCode', mailbox: null };
  }
}

function deviceLogin(state: SimState, incoming: Incoming, form: Record<string, string>): Outcome {
  state.countOperation('authorize');
  if (incoming.method !== 'POST') return html(200, deviceCodePage({ action: '/devicelogin' }));
  const grant = state.delegated.deviceByUserCode(form.otc ?? '');
  if (!grant || grant.state !== 'pending') {
    return html(
      200,
      deviceCodePage({
        action: '/devicelogin',
        error: "AADSTS70018: That code didn't work. Check the code and try again.",
      }),
    );
  }
  if (grant.expiresAt <= Date.now()) {
    return html(
      200,
      deviceCodePage({
        action: '/devicelogin',
        error: 'AADSTS70019: That code has expired. Ask the app for a new one.',
      }),
    );
  }
  const app = state.identity.app(grant.clientId) as AppRegistration;
  const interaction: Interaction = {
    id: crypto.randomBytes(24).toString('base64url'),
    tenant: grant.tenantPath === 'tenant' ? state.identity.tenantId : grant.tenantPath,
    path: grant.tenantPath,
    app,
    scopes: grant.scopes,
    expiresAt: Math.min(grant.expiresAt, Date.now() + INTERACTION_LIFETIME_MS),
    device: grant,
  };
  interactionsOf(state).set(interaction.id, interaction);
  return html(
    200,
    signInPage({ action: `/${interaction.tenant}/login`, ctx: interaction.id, appName: appName(app) }),
  );
}

function appName(app: AppRegistration): string {
  return app.displayName ?? `App ${app.clientId.slice(0, 8)}`;
}

function formOf(incoming: Incoming): Record<string, string> {
  const form: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(incoming.body.toString('utf8'))) form[k] = v;
  return form;
}

function html(status: number, body: Buffer): Outcome {
  return {
    reply: { status, headers: { 'Content-Type': 'text/html; charset=utf-8' }, body },
    operation: 'authorize',
    mailbox: null,
  };
}

function failurePage(err: unknown): Outcome {
  if (!(err instanceof TokenFailure)) throw err;
  return html(400, errorPage(`AADSTS${err.aadsts}`, err.description));
}

/** Sends the answer to the app's redirect URI the way response_mode asks. */
function redirect(
  uri: string,
  mode: 'query' | 'fragment' | 'form_post',
  params: Record<string, string>,
): Outcome {
  if (mode === 'form_post') return html(200, formPostPage(uri, params));
  const url = new URL(uri);
  const encoded = new URLSearchParams(params).toString();
  if (mode === 'fragment') url.hash = encoded;
  else url.search = url.search ? `${url.search}&${encoded}` : encoded;
  return {
    reply: { status: 302, headers: { Location: url.toString() } },
    operation: 'authorize',
    mailbox: null,
  };
}
