/** The notification URL of a node: o365-config's publicUrl, Node-RED's httpNodeRoot, then one path per node. */

import type { UrlProblem } from '../graph/error-codes';

export type { UrlProblem } from '../graph/error-codes';

/** Below httpNodeRoot: `{NOTIFY_PATH}/{key}`. */
export const NOTIFY_PATH = 'o365-mail-in/notify';

export type NotificationUrl = { url: string } | { problem: UrlProblem; detail: string };

/**
 * Builds `{publicUrl}{httpNodeRoot}o365-mail-in/notify/{key}`. publicUrl may carry a path (a reverse proxy's prefix);
 * Graph only calls HTTPS URLs, so anything else is refused here already.
 */
export function notificationUrl(
  publicUrl: string | undefined,
  httpNodeRoot: string | false | undefined,
  key: string,
): NotificationUrl {
  const given = (publicUrl ?? '').trim();
  if (!given) return { problem: 'no-public-url', detail: 'no public URL set in the account (o365-config)' };
  if (httpNodeRoot === false) {
    return {
      problem: 'http-node-disabled',
      detail: 'httpNodeRoot is false in settings.js, so Node-RED serves no HTTP endpoints',
    };
  }
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    return { problem: 'public-url-invalid', detail: `the public URL "${given}" is not a URL` };
  }
  if (url.protocol !== 'https:') {
    return {
      problem: 'public-url-not-https',
      detail: `the public URL must start with https:// (Graph calls nothing else), not "${given}"`,
    };
  }
  if (url.search || url.hash || url.username || url.password) {
    return {
      problem: 'public-url-invalid',
      detail: 'the public URL must not contain a query, fragment or user name',
    };
  }
  const base = `${url.origin}${url.pathname}`.replace(/\/+$/, '');
  const root = `/${String(httpNodeRoot ?? '/').replace(/^\/+|\/+$/g, '')}/`.replace(/^\/\/$/, '/');
  return { url: `${base}${root}${NOTIFY_PATH}/${encodeURIComponent(key)}` };
}
