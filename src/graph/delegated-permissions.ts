/**
 * Which delegated permissions a signed-in account needs, derived from what the nodes using it do: receive (Mail.Read,
 * or Mail.ReadWrite to mark, move or delete), send (Mail.Send, and Mail.ReadWrite for mail over 4 MB, which goes
 * through a draft), act on mail (Mail.ReadWrite), and the `.Shared` variants when a node names another user's mailbox.
 * Personal Microsoft accounts have no `.Shared` permissions (Graph's permissions-msa list), so none are asked for them.
 */

/** What one node does with the account. */
export interface MailboxUse {
  node: 'mail-in' | 'mail-out' | 'mail-action';
  /** The mailbox it names; `me`, empty or undefined for the signed-in user (or one that comes with each message). */
  mailbox?: string;
  /** Mail in with action `none` only reads. */
  readOnly?: boolean;
}

/** Why a permission is asked for (a key the dialog translates: `o365-config.delegated.because.*`). */
export type PermissionReason =
  | 'stay-signed-in'
  | 'receive'
  | 'receive-read-only'
  | 'send'
  | 'send-large'
  | 'act'
  | 'other-mailbox'
  | 'asked-by-node'
  | 'default';

export interface PermissionNeed {
  permission: string;
  because: PermissionReason[];
}

/** The permissions every delegated sign-in asks for, with the reasons, in a stable order. */
export function neededPermissions(
  uses: MailboxUse[],
  options: { personal?: boolean } = {},
): PermissionNeed[] {
  const needs = new Map<string, Set<PermissionReason>>();
  const need = (permission: string, because: PermissionReason) => {
    const reasons = needs.get(permission) ?? new Set<PermissionReason>();
    reasons.add(because);
    needs.set(permission, reasons);
  };
  need('offline_access', 'stay-signed-in');
  if (uses.length === 0) {
    // Nothing uses the account yet: what mail in and mail out need by default.
    need('Mail.ReadWrite', 'default');
    need('Mail.Send', 'default');
  }
  for (const use of uses) {
    const other = !options.personal && !isOwnMailbox(use.mailbox);
    if (use.node === 'mail-in') {
      need(use.readOnly ? 'Mail.Read' : 'Mail.ReadWrite', use.readOnly ? 'receive-read-only' : 'receive');
      if (other) need(use.readOnly ? 'Mail.Read.Shared' : 'Mail.ReadWrite.Shared', 'other-mailbox');
    } else if (use.node === 'mail-out') {
      need('Mail.Send', 'send');
      need('Mail.ReadWrite', 'send-large');
      if (other) {
        need('Mail.Send.Shared', 'other-mailbox');
        need('Mail.ReadWrite.Shared', 'other-mailbox');
      }
    } else {
      need('Mail.ReadWrite', 'act');
      if (other) need('Mail.ReadWrite.Shared', 'other-mailbox');
    }
  }
  // Mail.ReadWrite covers Mail.Read.
  if (needs.has('Mail.ReadWrite')) needs.delete('Mail.Read');
  if (needs.has('Mail.ReadWrite.Shared')) needs.delete('Mail.Read.Shared');
  return ORDER.filter((p) => needs.has(p)).map((permission) => ({
    permission,
    because: [...(needs.get(permission) as Set<PermissionReason>)],
  }));
}

const ORDER = [
  'offline_access',
  'Mail.Read',
  'Mail.ReadWrite',
  'Mail.Send',
  'Mail.Read.Shared',
  'Mail.ReadWrite.Shared',
  'Mail.Send.Shared',
];

/** True for the signed-in user's own mailbox: `me`, nothing given, or the user's own sign-in name. */
export function isOwnMailbox(mailbox: string | undefined, username?: string): boolean {
  const text = (mailbox ?? '').trim().toLowerCase();
  return text === '' || text === 'me' || (!!username && text === username.trim().toLowerCase());
}

/** The scope strings for a token request: Graph permissions with the Graph endpoint in front, OpenID ones as they are. */
export function scopesFor(permissions: string[], graphEndpoint: string): string[] {
  return permissions.map((p) =>
    p === 'offline_access' || p === 'openid' || p === 'profile' ? p : `${graphEndpoint}/${p}`,
  );
}

/** The Graph permission names in a token answer's scopes (resource prefix and OpenID scopes removed). */
export function grantedPermissions(scopes: string[]): string[] {
  const out: string[] = [];
  for (const scope of scopes) {
    const name = scope.includes('/') ? scope.slice(scope.lastIndexOf('/') + 1) : scope;
    if (['openid', 'profile', 'email', 'offline_access', ''].includes(name.toLowerCase())) continue;
    if (!out.some((p) => p.toLowerCase() === name.toLowerCase())) out.push(name);
  }
  return out;
}

/** The permission a Graph call on a mailbox needs from a delegated sign-in, and whether the sign-in has it. */
export function permissionFor(
  need: 'read' | 'write' | 'send',
  mailbox: string,
  granted: string[],
  username?: string,
): { permission: string; granted: boolean } {
  const has = (name: string) => granted.some((g) => g.toLowerCase() === name.toLowerCase());
  const shared = isOwnMailbox(mailbox, username) ? '' : '.Shared';
  if (need === 'send') return { permission: `Mail.Send${shared}`, granted: has(`Mail.Send${shared}`) };
  if (need === 'write')
    return { permission: `Mail.ReadWrite${shared}`, granted: has(`Mail.ReadWrite${shared}`) };
  return {
    permission: `Mail.Read${shared}`,
    granted: has(`Mail.Read${shared}`) || has(`Mail.ReadWrite${shared}`),
  };
}
