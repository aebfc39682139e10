/**
 * The admin endpoints of delegated sign-in, for the config node's dialog:
 * - POST o365-config/delegated/permissions: the permissions the nodes need, with the reasons;
 * - POST o365-config/delegated/start: starts a sign-in in the browser (answers the URL to open) or with a code;
 * - GET  o365-config/delegated/callback: where Entra sends the browser back (the redirect URI the dialog shows);
 * - GET  o365-config/delegated/status: where a sign-in stands, and who is signed in;
 * - POST o365-config/delegated/signout, .../cancel.
 * Every endpoint but the callback needs the o365-config permission; the callback is protected by the `state` only
 * this runtime handed out (used once, 10 minutes at most). No answer carries a token or a secret.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { neededPermissions, type MailboxUse, type PermissionNeed } from '../graph/delegated-permissions';
import type { SignInState, StoredSignIn } from '../graph/delegated-tokens';
import { ConfigError, messageOf, O365Error } from '../graph/errors';
import type { HttpStack } from '../graph/http';
import { SignIns, type SignInProgress } from '../graph/sign-in';
import { SignInError } from '../graph/sign-in-errors';
import { localKey, TokenStore } from '../graph/token-store';
import { catalogueText } from './catalogue';
import { readDialogInput, readUses, scrub } from './dialog-input';
import type { HttpRequest, HttpResponse, NodeRED } from './types';

/** The callback's path below the admin root; the dialog shows the full URL for the app registration. */
export const CALLBACK_PATH = '/o365-config/delegated/callback';

/** What a deployed delegated config node lets the endpoints do. */
export interface DelegatedAccountControl {
  state(): SignInState | undefined;
  signOut(): Promise<void>;
  /** Permissions nodes met as missing at run time (another user's mailbox named in a message). */
  wantedPermissions(): string[];
}

export interface SignInRuntime {
  store: TokenStore;
  signIns: SignIns;
}

/**
 * The runtime's sign-in store: `{userDir}/.o365-mail/sign-ins` (or settings.js `o365.signInStore`), encrypted with the
 * credentialSecret of settings.js, else the one Node-RED generated, else a key of its own in that directory.
 */
export function createSignInRuntime(
  RED: NodeRED,
  http: HttpStack,
  events: { onSignedIn(id: string): void; onProgress(id: string, progress: SignInProgress): void },
): SignInRuntime {
  const settings = RED.settings ?? {};
  const tuning = (settings.o365 ?? {}) as { signInStore?: unknown };
  const userDir =
    typeof settings.userDir === 'string' ? settings.userDir : path.join(os.homedir(), '.node-red');
  const directory =
    typeof tuning.signInStore === 'string' && tuning.signInStore
      ? tuning.signInStore
      : path.join(userDir, '.o365-mail', 'sign-ins');
  const secrets = (): string[] => {
    const found: string[] = [];
    if (typeof settings.credentialSecret === 'string' && settings.credentialSecret) {
      found.push(settings.credentialSecret);
    }
    const generated = generatedSecret(settings);
    if (generated) found.push(generated);
    return found.length > 0 ? found : [localKey(directory)];
  };
  const store = new TokenStore({ directory, secrets });
  const signIns = new SignIns({ store, http, onSignedIn: events.onSignedIn, onProgress: events.onProgress });
  return { store, signIns };
}

/** Node-RED's own `_credentialSecret` (it generates one when settings.js has none), if it can be read. */
function generatedSecret(settings: Record<string, unknown>): string | undefined {
  const get = settings.get;
  if (typeof get !== 'function') return undefined;
  try {
    const value = (get as (name: string) => unknown).call(settings, '_credentialSecret');
    return typeof value === 'string' && value ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Registers the endpoints; `accountOf` finds a deployed delegated config node by id. */
export function registerSignInEndpoints(
  RED: NodeRED,
  runtime: SignInRuntime,
  accountOf: (id: string) => DelegatedAccountControl | undefined,
): void {
  const { signIns, store } = runtime;
  const read = RED.auth.needsPermission('o365-config.read');
  const write = RED.auth.needsPermission('o365-config.write');
  const fail = (res: HttpResponse, err: unknown, secrets: string[] = []) =>
    res.status(400).json(scrub(problemOf(err), secrets));

  RED.httpAdmin.post('/o365-config/delegated/permissions', read, (req: HttpRequest, res: HttpResponse) => {
    try {
      const body = (req.body ?? {}) as { id?: unknown; tenantId?: unknown; uses?: unknown };
      const uses = readDialogUses(body.uses);
      const personal =
        typeof body.tenantId === 'string' && body.tenantId.trim().toLowerCase() === 'consumers';
      const wanted = typeof body.id === 'string' ? (accountOf(body.id)?.wantedPermissions() ?? []) : [];
      res.json({ needs: withWanted(neededPermissions(uses, { personal }), wanted) });
    } catch (err) {
      fail(res, err);
    }
  });

  RED.httpAdmin.post('/o365-config/delegated/start', write, (req: HttpRequest, res: HttpResponse) => {
    let secrets: string[] = [];
    (async () => {
      const input = readDialogInput(RED, req.body);
      secrets = input.secrets;
      if (!input.id) throw new ConfigError('expected the config node id (id)', { property: 'id' });
      const body = req.body as { flow?: unknown; redirectUri?: unknown };
      const personal = (input.settings.tenantId ?? '').trim().toLowerCase() === 'consumers';
      const wanted = accountOf(input.id)?.wantedPermissions() ?? [];
      const permissions = withWanted(neededPermissions(input.uses, { personal }), wanted).map(
        (n) => n.permission,
      );
      const start = { id: input.id, settings: { ...input.settings, authType: 'delegated' }, permissions };
      if (body.flow === 'device') {
        const device = await signIns.startDevice(start);
        return { flow: 'device', ...device, permissions };
      }
      if (typeof body.redirectUri !== 'string' || !body.redirectUri.endsWith(CALLBACK_PATH)) {
        throw new ConfigError(`expected the redirect URI ending in ${CALLBACK_PATH} (redirectUri)`, {
          property: 'redirectUri',
        });
      }
      const browser = await signIns.startBrowser({ ...start, redirectUri: body.redirectUri });
      return { flow: 'browser', ...browser, permissions };
    })().then(
      (answer) => res.json(scrub(answer, secrets)),
      (err) => fail(res, err, secrets),
    );
  });

  RED.httpAdmin.get(CALLBACK_PATH, (req: HttpRequest, res: HttpResponse) => {
    const q = req.query;
    signIns
      .finishBrowser({
        code: q.code,
        state: q.state,
        error: q.error,
        error_description: q.error_description,
        error_subcode: q.error_subcode,
      })
      .then(
        (outcome) =>
          sendPage(RED, res, outcome.user ? { user: outcome.user.username } : { error: outcome.error }),
        (err) => sendPage(RED, res, { error: err }),
      );
  });

  RED.httpAdmin.get('/o365-config/delegated/status', read, (req: HttpRequest, res: HttpResponse) => {
    const id = String(req.query.id ?? '');
    accountStatus(store, id, accountOf(id)).then(
      (account) => res.json({ progress: signIns.progress(id), account }),
      (err) => fail(res, err),
    );
  });

  RED.httpAdmin.post('/o365-config/delegated/signout', write, (req: HttpRequest, res: HttpResponse) => {
    const id = String((req.body as { id?: unknown } | undefined)?.id ?? '');
    signIns.cancel(id);
    const deployed = accountOf(id);
    (deployed ? deployed.signOut() : store.remove(id)).then(
      () => res.json({ signedOut: true }),
      (err) => fail(res, err),
    );
  });

  RED.httpAdmin.post('/o365-config/delegated/cancel', write, (req: HttpRequest, res: HttpResponse) => {
    signIns.cancel(String((req.body as { id?: unknown } | undefined)?.id ?? ''));
    res.json({ cancelled: true });
  });
}

/** The dialog's uses, refusing anything that is not a list. */
function readDialogUses(value: unknown): MailboxUse[] {
  if (value !== undefined && !Array.isArray(value))
    throw new ConfigError('uses must be a list', { property: 'uses' });
  return readUses(value);
}

/** The needs of the nodes, plus what running nodes found missing. */
function withWanted(needs: PermissionNeed[], wanted: string[]): PermissionNeed[] {
  const out = needs.map((n) => ({ ...n, because: [...n.because] }));
  for (const permission of wanted) {
    const known = out.find((n) => n.permission.toLowerCase() === permission.toLowerCase());
    if (known) known.because.push('asked-by-node');
    else out.push({ permission, because: ['asked-by-node'] });
  }
  return out;
}

/** Who is signed in: the deployed node's state, else what the store holds (before the first deploy). */
async function accountStatus(store: TokenStore, id: string, deployed: DelegatedAccountControl | undefined) {
  const state = deployed?.state();
  if (state?.status === 'signed-in') {
    return {
      status: 'signed-in',
      user: state.user,
      permissions: state.permissions,
      signedInAt: state.signedInAt,
    };
  }
  if (state) {
    return {
      status: 'sign-in-required',
      user: state.user,
      why: state.error.why,
      code: state.error.code,
      message: state.error.message,
    };
  }
  if (!id) return { status: 'signed-out' };
  let stored: StoredSignIn | undefined;
  try {
    stored = await store.read<StoredSignIn>(id);
  } catch (err) {
    return { status: 'sign-in-required', why: 'store-unreadable', message: messageOf(err) };
  }
  if (!stored) return { status: 'signed-out' };
  return {
    status: 'stored',
    user: stored.user,
    permissions: stored.permissions,
    signedInAt: stored.signedInAt,
    ...(stored.failure ? { why: stored.failure.why } : {}),
  };
}

function problemOf(err: unknown): { error: string; code?: string; why?: string; property?: string } {
  if (err instanceof SignInError) return { error: err.message, code: err.code, why: err.why };
  if (err instanceof ConfigError) return { error: err.message, code: err.code, property: err.property };
  if (err instanceof O365Error) return { error: err.message, code: err.code };
  return { error: messageOf(err) };
}

/** The page the browser lands on after signing in: text only, no script, nothing cached or referred on. */
function sendPage(RED: NodeRED, res: HttpResponse, outcome: { user?: string; error?: unknown }): void {
  const t = (key: string, subs?: Record<string, string>) =>
    catalogueText(RED, `o365-config.signin.page.${key}`, subs);
  const ok = outcome.user !== undefined;
  const message = ok
    ? t('signed-in', { user: outcome.user as string })
    : t('failed', { error: outcome.error instanceof Error ? outcome.error.message : String(outcome.error) });
  const html =
    `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${escape(t('title'))}</title>` +
    '<style>body{font-family:sans-serif;max-width:560px;margin:60px auto;line-height:1.4}</style></head><body>' +
    `<h1>${escape(t('title'))}</h1><p id="${ok ? 'signed-in' : 'sign-in-failed'}">${escape(message)}</p>` +
    `<p>${escape(t('close'))}</p></body></html>`;
  res.set('Content-Type', 'text/html; charset=utf-8');
  res.set('Cache-Control', 'no-store');
  res.set('Referrer-Policy', 'no-referrer');
  res.set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'");
  res.set('X-Content-Type-Options', 'nosniff');
  res.status(ok ? 200 : 400).send(html);
}

function escape(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );
}
