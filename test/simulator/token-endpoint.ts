/** The identity platform endpoints: token requests (every grant), discovery documents and the sign-in pages. */
import * as crypto from 'node:crypto';
import { TokenFailure, tokenErrorBody } from './errors';
import { delay, DropConnection } from './faults';
import type { Outcome } from './router';
import type { Incoming } from './server';
import type { SimState } from './state';
import type { Operation } from './types';
import { answerSignIn, isSignInPath } from './signin-endpoint';

/** The strict form schema of each grant type. */
const FORM_SCHEMAS: Record<string, string> = {
  client_credentials: 'clientCredentialsForm',
  authorization_code: 'authorizationCodeForm',
  refresh_token: 'refreshTokenForm',
  device_code: 'deviceCodeForm',
  'urn:ietf:params:oauth:grant-type:device_code': 'deviceCodeForm',
};

/** Answers the token endpoint and discovery documents; anything else outside /v1.0 is a 404. */
export async function answerIdentity(state: SimState, incoming: Incoming): Promise<Outcome> {
  const parts = incoming.rawPath
    .split('/')
    .filter(Boolean)
    .map((p) => decodeURIComponent(p));
  const tenant = parts[0] ?? '';
  if (isSignInPath(parts)) return answerSignIn(state, incoming, parts);
  const isDiscovery =
    incoming.method === 'GET' &&
    ((parts.length === 4 &&
      parts[1] === 'v2.0' &&
      parts[2] === '.well-known' &&
      parts[3] === 'openid-configuration') ||
      (parts.length === 3 && parts[1] === '.well-known' && parts[2] === 'openid-configuration') ||
      (tenant === 'common' && parts[1] === 'discovery' && parts[2] === 'instance'));
  if (isDiscovery) {
    state.counters.discoveryRequests++;
    state.countOperation('discovery');
    if (tenant === 'common') {
      const host = new URL(state.baseUrl).host;
      return json(
        200,
        {
          tenant_discovery_endpoint: `${state.baseUrl}/common/v2.0/.well-known/openid-configuration`,
          'api-version': '1.1',
          metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
        },
        'discovery',
      );
    }
    if (!state.delegated.tenantPath(tenant)) {
      return json(
        400,
        tokenErrorBody(
          new TokenFailure(400, 'invalid_tenant', 90002, `Tenant '${tenant}' not found.`),
          crypto.randomUUID(),
          crypto.randomUUID(),
        ),
        'discovery',
      );
    }
    return json(200, state.identity.openidConfiguration(tenant), 'discovery');
  }
  const isToken = parts.length === 4 && parts[1] === 'oauth2' && parts[2] === 'v2.0' && parts[3] === 'token';
  if (!isToken)
    return {
      reply: {
        status: 404,
        body: { error: 'not_found', error_description: 'AADSTS90001: Unknown endpoint.' },
      },
      operation: null,
      mailbox: null,
    };
  state.counters.tokenRequests++;
  state.countOperation('token');
  const correlationId = incoming.headers['client-request-id'] ?? crypto.randomUUID();
  const traceId = crypto.randomUUID();
  const rule = state.faults.take({
    operation: 'token',
    method: incoming.method,
    mailbox: null,
    path: incoming.rawPath,
    inBatch: false,
  });
  try {
    if (rule?.kind === 'throttle')
      throw Object.assign(
        new TokenFailure(
          429,
          'temporarily_unavailable',
          50196,
          'The server terminated an operation because it encountered a client request loop. Please try again later.',
        ),
        { retryAfter: rule.retryAfter },
      );
    if (rule?.kind === 'fail')
      throw Object.assign(
        new TokenFailure(
          rule.status,
          'temporarily_unavailable',
          90033,
          'A transient error has occurred. Please try again.',
        ),
        { retryAfter: rule.retryAfter },
      );
    if (rule?.kind === 'drop' && !rule.after) throw new DropConnection();
    if (rule?.kind === 'slow') await delay(rule.delayMs);
    if (incoming.method !== 'POST')
      throw new TokenFailure(405, 'invalid_request', 900561, 'The endpoint only accepts POST requests.');
    const form: Record<string, string> = {};
    for (const [k, v] of new URLSearchParams(incoming.body.toString('utf8'))) form[k] = v;
    const delegated =
      form.grant_type !== undefined &&
      form.grant_type !== 'client_credentials' &&
      form.grant_type in FORM_SCHEMAS;
    state.validate(
      'request',
      'token',
      FORM_SCHEMAS[form.grant_type] ?? 'clientCredentialsForm',
      form,
      incoming.rawPath,
    );
    const body = delegated ? state.delegated.grant(tenant, form) : state.identity.issueToken(tenant, form);
    if (rule?.kind === 'drop') throw new DropConnection();
    state.validate(
      'response',
      'token',
      delegated ? 'delegatedTokenResponse' : 'tokenResponse',
      body,
      incoming.rawPath,
    );
    return { ...json(200, body, 'token'), malformed: rule?.kind === 'malformed' };
  } catch (err) {
    if (!(err instanceof TokenFailure)) throw err;
    const body = tokenErrorBody(err, traceId, correlationId);
    state.validate('response', 'token', 'errorResponse', body, incoming.rawPath);
    const retryAfter = (err as TokenFailure & { retryAfter?: number | null }).retryAfter;
    const reply = json(err.status, body, 'token');
    if (retryAfter !== undefined && retryAfter !== null)
      reply.reply.headers = { 'Retry-After': String(retryAfter) };
    return reply;
  }
}

function json(status: number, body: unknown, operation: Operation): Outcome {
  return { reply: { status, body }, operation, mailbox: null };
}
