/**
 * "Test connection" for push: sends Graph's validation request to the notification URL the settings give, the way
 * Graph will, and says whether the answer would pass. It runs from this Node-RED, so it proves the URL, the proxy or
 * tunnel and the endpoint work, not that Microsoft's servers can reach them from the internet.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { TimeoutCodes, type ProbeProblem } from '../graph/error-codes';
import type { HttpStack } from '../graph/http';
import type { PushEndpoints } from './endpoint';
import { notificationUrl } from './url';

export type { ProbeProblem } from '../graph/error-codes';

export type ProbeReport =
  | { ok: true; url: string; ms: number }
  | { ok: false; url?: string; problem: ProbeProblem; status?: number; detail: string };

/** Graph waits 10 s for the answer to its validation request. */
export const VALIDATION_TIMEOUT_MS = 10_000;

/** Validates the URL of a throw-away path under publicUrl, answered by this process's endpoint. */
export async function probeNotificationUrl(
  http: HttpStack,
  endpoints: PushEndpoints,
  publicUrl: string,
  httpNodeRoot: string | false | undefined,
  timeoutMs = VALIDATION_TIMEOUT_MS,
): Promise<ProbeReport> {
  const key = `probe-${randomBytes(12).toString('base64url')}`;
  const built = notificationUrl(publicUrl, httpNodeRoot, key);
  if ('problem' in built) return { ok: false, problem: built.problem, detail: built.detail };
  const shown = built.url.replace(key, '{node id}');
  // Like Graph's, the token has spaces and colons: an endpoint that does not URL-decode it fails here too.
  const token = `Validation: Testing reachability for Node-RED Request-Id: ${randomUUID()}`;
  const unregister = endpoints.register(key, { receive: () => undefined });
  const started = Date.now();
  try {
    const response = await http.axios.post(`${built.url}?validationToken=${encodeURIComponent(token)}`, '', {
      headers: { 'Content-Type': 'text/plain; charset=utf-8' },
      timeout: timeoutMs,
      responseType: 'text',
      transformResponse: (x: unknown) => x,
    });
    const ms = Date.now() - started;
    if (response.status !== 200) {
      return {
        ok: false,
        url: shown,
        problem: 'status',
        status: response.status,
        detail: `HTTP ${response.status} instead of 200`,
      };
    }
    const contentType = String(response.headers['content-type'] ?? '');
    if (response.data !== token || !contentType.toLowerCase().startsWith('text/plain')) {
      return {
        ok: false,
        url: shown,
        problem: 'wrong-answer',
        status: 200,
        detail: 'the answer is not the token as text/plain: is another service answering at this URL?',
      };
    }
    return { ok: true, url: shown, ms };
  } catch (err) {
    const code = String((err as { code?: unknown }).code ?? '');
    if (TimeoutCodes.includes(code)) {
      return { ok: false, url: shown, problem: 'timeout', detail: `no answer within ${timeoutMs / 1000} s` };
    }
    return { ok: false, url: shown, problem: 'unreachable', detail: code || 'connection failed' };
  } finally {
    unregister();
  }
}
