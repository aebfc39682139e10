/**
 * Drives the simulator's sign-in pages over HTTP, as a user in a browser would, for tests that run without Chromium:
 * follows /authorize (or /devicelogin) through sign-in, approval and consent, and answers where the browser ends up.
 */
import type { AxiosInstance } from 'axios';
import type { Simulator } from './index';
import { rawClient } from './test-helpers';

export interface BrowserOutcome {
  /** Where the last answer redirected the browser (the app's redirect URI with code or error), if it did. */
  location?: string;
  /** The last page shown (error pages, the device "you have signed in" page). */
  page?: string;
  /** The AADSTS code an error page showed, if any. */
  errorCode?: string;
  status: number;
}

export interface UserChoices {
  /** Sign-in name typed on the sign-in page. */
  user: string;
  /** What the user does on the consent page (default accept). */
  consent?: 'accept' | 'cancel';
}

/** Opens an authorization URL and signs in as `user`; resolves where the browser ends up. */
export async function signInThroughPages(
  sim: Simulator,
  authorizeUrl: string,
  choices: UserChoices,
): Promise<BrowserOutcome> {
  const http = rawClient(sim);
  const first = await http.get(authorizeUrl, { maxRedirects: 0, responseType: 'text' });
  return continuePages(
    http,
    first.status,
    first.headers.location as string | undefined,
    String(first.data ?? ''),
    choices,
  );
}

/** Enters a device code on the device login page and signs in as `user`. */
export async function approveDeviceCode(
  sim: Simulator,
  userCode: string,
  choices: UserChoices,
): Promise<BrowserOutcome> {
  const http = rawClient(sim);
  const entered = await http.post('/devicelogin', new URLSearchParams({ otc: userCode }).toString(), {
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    maxRedirects: 0,
    responseType: 'text',
  });
  return continuePages(http, entered.status, undefined, String(entered.data ?? ''), choices);
}

async function continuePages(
  http: AxiosInstance,
  status: number,
  location: string | undefined,
  html: string,
  choices: UserChoices,
): Promise<BrowserOutcome> {
  for (let step = 0; step < 8; step++) {
    if (location) return { location, status };
    const form = /<form method="post"[^>]*action="([^"]*)"/.exec(html);
    const errorCode = /id="error-code"[^>]*>([^<]*)</.exec(html)?.[1];
    const fields: Record<string, string> = {};
    for (const m of html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g))
      fields[m[1]] = unescape(m[2]);
    if (!form || (errorCode && !html.includes('id="login"') && !html.includes('id="back"'))) {
      return { page: html, errorCode, status };
    }
    if (html.includes('id="login"')) {
      if (errorCode) return { page: html, errorCode, status };
      fields.login = choices.user;
    } else if (html.includes('id="accept"')) fields.decision = choices.consent ?? 'accept';
    else if (html.includes('id="back"')) fields.decision = 'back';
    else if (!html.includes('id="approve"')) return { page: html, status };
    const answer = await http.post(unescape(form[1]), new URLSearchParams(fields).toString(), {
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      maxRedirects: 0,
      responseType: 'text',
    });
    status = answer.status;
    location = answer.headers.location as string | undefined;
    html = String(answer.data ?? '');
  }
  throw new Error('signInThroughPages: the pages did not end within 8 steps');
}

function unescape(text: string): string {
  return text.replace(
    /&(amp|lt|gt|quot|#39);/g,
    (_, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[e] as string,
  );
}
