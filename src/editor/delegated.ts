/**
 * The config dialog's sign-in for a delegated account (authType delegated): the permissions the nodes need, the exact
 * redirect URI to register, "Sign in with Microsoft" (a sign-in window on Entra's page, back through the redirect
 * URI), "Sign in with a code" (the device code and where to enter it), "Sign out", and who is signed in. Talks to the
 * o365-config/delegated/* admin endpoints (src/red/sign-in-admin.ts); never sees a token.
 */
import { EditorNode } from './red';

const PREFIX = 'node-config-input';
const TYPE = 'o365-config';
/** The callback path the runtime serves (src/red/sign-in-admin.ts CALLBACK_PATH), relative to the editor. */
const CALLBACK = 'o365-config/delegated/callback';
/** How often the dialog asks where a sign-in stands while one is waiting. */
const POLL_MS = 1500;
/** A sign-in never takes longer than this (Entra's device codes live 15 minutes). */
const GIVE_UP_MS = 20 * 60 * 1000;

/** The ids of the dialog parts this module fills. */
export const DELEGATED_IDS = {
  permissions: 'o365-config-delegated-permissions',
  redirect: 'o365-config-delegated-redirect',
  status: 'o365-config-delegated-status',
  browser: 'o365-config-signin-browser',
  device: 'o365-config-signin-device',
  signOut: 'o365-config-signout',
} as const;

const MAIL_TYPES = ['o365-mail-in', 'o365-mail-out', 'o365-mail-action'];

interface Progress {
  status: string;
  userCode?: string;
  verificationUri?: string;
  expiresAt?: string;
  error?: { code?: string; why?: string; message?: string };
}

interface AccountState {
  status: string;
  user?: { username?: string; name?: string };
  permissions?: string[];
  why?: string;
  message?: string;
}

interface PermissionNeed {
  permission: string;
  because: string[];
}

const t = (node: EditorNode, key: string, subs?: Record<string, unknown>) =>
  node._(`${TYPE}.delegated.${key}`, subs);
const valueOf = (prop: string) => String($(`#${PREFIX}-${prop}`).val() ?? '').trim();

/** The redirect URI of this editor: where Entra sends the browser back (register exactly this). */
export function redirectUri(): string {
  return new URL(CALLBACK, document.baseURI).toString();
}

/** What the nodes in the workspace that use this account do: `{ type, username, usernameType, action }`. */
export function usesOf(node: EditorNode): Record<string, unknown>[] {
  const uses: Record<string, unknown>[] = [];
  RED.nodes.eachNode((other) => {
    if (other.account !== node.id || !MAIL_TYPES.includes(other.type)) return;
    uses.push({
      type: other.type,
      username: other.username,
      usernameType: other.usernameType,
      action: other.action,
    });
  });
  return uses;
}

/** The dialog's account settings, in the shape the endpoints take. */
function settingsBody(node: EditorNode, settings: readonly string[]): Record<string, unknown> {
  const body: Record<string, unknown> = { id: node.id };
  for (const prop of settings) body[prop] = valueOf(prop);
  body.credentials = { clientSecret: String($(`#${PREFIX}-clientSecret`).val() ?? '') };
  body.uses = usesOf(node);
  return body;
}

function post(url: string, body: unknown): JQuery.jqXHR {
  return $.ajax({
    url,
    type: 'POST',
    contentType: 'application/json',
    data: JSON.stringify(body),
    dataType: 'json',
  });
}

function problemOf(node: EditorNode, xhr: JQuery.jqXHR): string {
  return xhr.responseJSON?.error ?? node._(`${TYPE}.test.no-answer`, { status: xhr.status });
}

/** The sign-in part of one open dialog. */
export class DelegatedSignIn {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private pollingSince = 0;
  private closed = false;

  constructor(
    private readonly node: EditorNode,
    private readonly settings: readonly string[],
  ) {}

  /** Fills the section and wires its buttons. */
  start(): void {
    const redirect = $(`#${DELEGATED_IDS.redirect}`).empty();
    const uri = redirectUri();
    $('<code>').attr('id', 'o365-config-redirect-uri').text(uri).appendTo(redirect);
    $('<button type="button" class="red-ui-button red-ui-button-small">')
      .css('margin-left', '6px')
      .append($('<i class="fa fa-clipboard">'), ' ', $('<span>').text(t(this.node, 'copy')))
      .on('click', () => void navigator.clipboard?.writeText(uri))
      .appendTo(redirect);
    $(`#${DELEGATED_IDS.browser}`).on('click', () => this.signIn('browser'));
    $(`#${DELEGATED_IDS.device}`).on('click', () => this.signIn('device'));
    $(`#${DELEGATED_IDS.signOut}`).on('click', () => this.signOut());
    $(`#${PREFIX}-authType, #${PREFIX}-tenantId`).on('change', () => this.refresh());
    this.refresh();
  }

  /** Stops asking the runtime (the dialog closed). */
  stop(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private delegated(): boolean {
    return valueOf('authType') === 'delegated';
  }

  /** The permissions the nodes need and where the sign-in stands, when the account is delegated. */
  private refresh(): void {
    if (!this.delegated() || this.closed) return;
    post('o365-config/delegated/permissions', {
      id: this.node.id,
      tenantId: valueOf('tenantId'),
      uses: usesOf(this.node),
    }).done((answer: { needs?: PermissionNeed[] }) => this.showPermissions(answer.needs ?? []));
    this.askStatus();
  }

  private showPermissions(needs: PermissionNeed[]): void {
    const list = $(`#${DELEGATED_IDS.permissions}`).empty();
    $('<div>').text(t(this.node, 'permissions')).appendTo(list);
    const items = $('<ul class="o365-permissions">').appendTo(list);
    for (const need of needs) {
      const because = need.because.map((b) => t(this.node, `because.${b}`)).join('; ');
      $('<li>')
        .attr('data-permission', need.permission)
        .append($('<code>').text(need.permission), $('<span>').text(` ${because}`))
        .appendTo(items);
    }
  }

  private signIn(flow: 'browser' | 'device'): void {
    const status = $(`#${DELEGATED_IDS.status}`);
    // Opened now, while the click still counts as the user's: browsers block windows opened later.
    const popup =
      flow === 'browser' ? window.open('about:blank', 'o365-signin', 'width=520,height=700') : null;
    post('o365-config/delegated/start', {
      ...settingsBody(this.node, this.settings),
      flow,
      redirectUri: redirectUri(),
    })
      .done(
        (answer: {
          authorizeUrl?: string;
          userCode?: string;
          verificationUri?: string;
          expiresAt?: string;
        }) => {
          if (flow === 'browser' && answer.authorizeUrl) {
            if (popup && !popup.closed) popup.location.href = answer.authorizeUrl;
            else this.showLink(answer.authorizeUrl);
          }
          if (flow === 'device') this.showCode(answer);
          this.pollingSince = Date.now();
          this.askStatus();
        },
      )
      .fail((xhr: JQuery.jqXHR) => {
        popup?.close();
        status
          .empty()
          .append(this.line(false, t(this.node, 'status.failed', { error: problemOf(this.node, xhr) })));
      });
  }

  private signOut(): void {
    post('o365-config/delegated/signout', { id: this.node.id }).always(() => this.askStatus());
  }

  /** Asks where the sign-in stands; again shortly while one is waiting. */
  private askStatus(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.closed) return;
    $.getJSON('o365-config/delegated/status', { id: this.node.id })
      .done((answer: { progress?: Progress; account?: AccountState }) => {
        const progress = answer.progress ?? { status: 'idle' };
        this.show(progress, answer.account ?? { status: 'signed-out' });
        const waiting = progress.status === 'waiting-for-browser' || progress.status === 'waiting-for-code';
        if (waiting && Date.now() - this.pollingSince < GIVE_UP_MS) {
          this.timer = setTimeout(() => this.askStatus(), POLL_MS);
        }
      })
      .fail((xhr: JQuery.jqXHR) => {
        $(`#${DELEGATED_IDS.status}`)
          .empty()
          .append(this.line(false, t(this.node, 'status.failed', { error: problemOf(this.node, xhr) })));
      });
  }

  private show(progress: Progress, account: AccountState): void {
    const status = $(`#${DELEGATED_IDS.status}`).empty();
    const node = this.node;
    if (progress.status === 'waiting-for-code') {
      this.showCode(progress);
      return;
    }
    if (progress.status === 'waiting-for-browser') {
      status.append(this.line(true, t(node, 'status.waiting-browser'), 'fa fa-spinner fa-spin'));
      return;
    }
    if (progress.status === 'failed' && progress.error?.why !== 'cancelled') {
      status.append(this.line(false, t(node, 'status.failed', { error: progress.error?.message ?? '' })));
    }
    const user = account.user?.username ?? '';
    const who = account.user?.name ? `${account.user.name} (${user})` : user;
    if (account.status === 'signed-in' || account.status === 'stored') {
      const key = account.status === 'stored' ? 'status.stored' : 'status.signed-in';
      status.append(this.line(true, t(node, key, { user: who })).attr('id', 'o365-config-signed-in'));
      if (account.permissions?.length) {
        status.append(
          this.line(true, t(node, 'status.granted', { permissions: account.permissions.join(', ') })),
        );
      }
    } else if (account.status === 'sign-in-required' && account.why && account.why !== 'not-signed-in') {
      const why = node._(`${TYPE}.signin.why.${account.why}`);
      status.append(this.line(false, t(node, 'status.again', { why })));
      if (account.message) $('<div class="o365-detail">').text(account.message).appendTo(status);
    } else {
      status.append(this.line(false, t(node, 'status.not-signed-in')));
    }
    $(`#${DELEGATED_IDS.signOut}`).prop('disabled', account.status === 'signed-out');
  }

  /** The device code and where to enter it. */
  private showCode(device: { userCode?: string; verificationUri?: string; expiresAt?: string }): void {
    const status = $(`#${DELEGATED_IDS.status}`).empty();
    const until = device.expiresAt ? new Date(device.expiresAt).toLocaleTimeString() : '?';
    const line = this.line(true, '', 'fa fa-spinner fa-spin');
    const text = line.find('span');
    text.text(` ${t(this.node, 'status.waiting-code-before')} `);
    $('<a target="_blank" rel="noopener noreferrer">')
      .attr('href', device.verificationUri ?? '#')
      .text(device.verificationUri ?? '')
      .appendTo(text);
    text.append(document.createTextNode(` ${t(this.node, 'status.waiting-code-enter')} `));
    $('<code id="o365-config-user-code">')
      .text(device.userCode ?? '')
      .appendTo(text);
    text.append(document.createTextNode(` ${t(this.node, 'status.waiting-code-until', { time: until })}`));
    status.append(line);
    $('<div class="o365-detail">').text(t(this.node, 'status.blocked-hint')).appendTo(status);
  }

  /** The browser blocked the sign-in window: a link the user can open. */
  private showLink(url: string): void {
    const status = $(`#${DELEGATED_IDS.status}`).empty();
    const line = this.line(false, t(this.node, 'status.popup-blocked'));
    $('<a target="_blank" rel="noopener">')
      .attr('href', url)
      .text(t(this.node, 'signin-browser'))
      .appendTo(line);
    status.append(line);
  }

  private line(ok: boolean, text: string, icon?: string): JQuery {
    const line = $('<div>');
    $('<i>')
      .addClass(icon ?? (ok ? 'fa fa-check o365-ok' : 'fa fa-times o365-fail'))
      .css('width', '16px')
      .appendTo(line);
    $('<span>').text(` ${text}`).appendTo(line);
    return line;
  }
}
