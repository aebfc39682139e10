/**
 * "Test connection": gets a token with the settings being edited, reads the permissions it carries against what
 * the nodes need, and optionally checks that a mailbox is reachable with one light Graph call. For a delegated
 * account: who is signed in, the permissions granted against those the nodes need, and the signed-in user's own
 * mailbox (`me`) unless another is named.
 */
import { AccountSettings } from './account';
import { Connection, ConnectionOptions } from './connection';
import { MailboxUse, neededPermissions, PermissionReason } from './delegated-permissions';
import { SignedInUser } from './delegated-tokens';
import { ErrorCodes } from './error-codes';
import { messageOf, O365Error } from './errors';

export interface PermissionCheck {
  need: string;
  permission: string;
  ok: boolean;
}

export interface TestReport {
  token: { ok: true; expiresOn?: string } | { ok: false; code: string; message: string; hint?: string };
  roles: string[];
  checks: PermissionCheck[];
  mailbox?:
    | { address: string; ok: true }
    | { address: string; ok: false; code: string; message: string; hint?: string };
  /** A delegated account: who signed in and what the sign-in grants. */
  delegated?: {
    user?: SignedInUser;
    permissions: string[];
    needs: { permission: string; because: PermissionReason[]; granted: boolean }[];
  };
}

/** What each use of the nodes needs, and whether the granted permissions satisfy it. */
const NEEDS: { need: string; permission: string; met: (roles: string[]) => boolean }[] = [
  {
    need: 'receive and mark read, move or delete',
    permission: 'Mail.ReadWrite',
    met: (roles) => roles.includes('Mail.ReadWrite'),
  },
  {
    need: 'receive with action none',
    permission: 'Mail.Read',
    met: (roles) => roles.includes('Mail.Read') || roles.includes('Mail.ReadWrite'),
  },
  {
    need: 'receive with push (change notifications)',
    permission: 'Mail.Read',
    met: (roles) => roles.includes('Mail.Read') || roles.includes('Mail.ReadWrite'),
  },
  { need: 'send', permission: 'Mail.Send', met: (roles) => roles.includes('Mail.Send') },
  {
    need: 'send mail over 4 MB (draft and upload session)',
    permission: 'Mail.Send + Mail.ReadWrite',
    met: (roles) => roles.includes('Mail.Send') && roles.includes('Mail.ReadWrite'),
  },
];

/** Runs the connection test; never throws, never returns a secret. */
export async function testConnection(
  settings: AccountSettings,
  mailbox: string | undefined,
  options: ConnectionOptions = {},
  uses: MailboxUse[] = [],
): Promise<TestReport> {
  let connection: Connection;
  try {
    connection = new Connection(settings, {
      timeoutMs: 30_000,
      ...options,
      retry: { maxAttempts: 2, maxTotalDelayMs: 5_000 },
    });
  } catch (err) {
    return { token: failure(err), roles: [], checks: [] };
  }
  try {
    if (connection.delegated) return await testDelegated(connection, mailbox, uses);
    let roles: string[];
    let expiresOn: Date | null;
    try {
      ({ roles, expiresOn } = await connection.tokens.getToken({ forceRefresh: true }));
    } catch (err) {
      return { token: failure(err), roles: [], checks: [] };
    }
    const report: TestReport = {
      token: { ok: true, expiresOn: expiresOn?.toISOString() },
      roles,
      checks: NEEDS.map((n) => ({
        need: n.need,
        permission: n.permission,
        ok: n.met(roles),
      })),
    };
    const address = (mailbox ?? '').trim();
    if (address) {
      try {
        await connection.mailbox(address).probe();
        report.mailbox = { address, ok: true };
      } catch (err) {
        const f = failure(err);
        report.mailbox = { address, ok: false, code: f.code, message: f.message };
      }
    }
    return report;
  } finally {
    connection.close();
  }
}

/** The delegated test: a fresh token (proves the stored refresh token works), its permissions, the mailbox. */
async function testDelegated(
  connection: Connection,
  mailbox: string | undefined,
  uses: MailboxUse[],
): Promise<TestReport> {
  const delegated = connection.delegated as NonNullable<Connection['delegated']>;
  const state = await delegated.load().catch(() => undefined);
  const user = state?.user;
  const personal = connection.account.tenantId === 'consumers';
  let granted: string[] = [];
  let token: TestReport['token'];
  try {
    const access = await delegated.getToken({ forceRefresh: true });
    granted = access.scopes ?? [];
    token = { ok: true, expiresOn: access.expiresOn?.toISOString() };
  } catch (err) {
    token = failure(err);
  }
  const has = (p: string) =>
    p === 'offline_access' || granted.some((g) => g.toLowerCase() === p.toLowerCase());
  const report: TestReport = {
    token,
    roles: [],
    checks: [],
    delegated: {
      user,
      permissions: granted,
      needs: neededPermissions(uses, { personal }).map((n) => ({
        ...n,
        granted: token.ok && has(n.permission),
      })),
    },
  };
  if (!token.ok) return report;
  const address = (mailbox ?? '').trim() || 'me';
  try {
    await connection.mailbox(address).probe();
    report.mailbox = { address, ok: true };
  } catch (err) {
    const f = failure(err);
    report.mailbox = { address, ok: false, code: f.code, message: f.message, hint: f.hint };
  }
  return report;
}

function failure(err: unknown): { ok: false; code: string; message: string; hint?: string } {
  if (err instanceof O365Error) return { ok: false, code: err.code, message: err.message, hint: err.hint };
  return { ok: false, code: ErrorCodes.unknown, message: messageOf(err) };
}
