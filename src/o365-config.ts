/**
 * o365-config: one Entra ID application (tenant, app id, secret, certificate or a signed-in user, cloud). Holds the
 * connection whose token cache every mail node using it shares, shows account problems on all of them, and serves the
 * dialog's admin endpoints: Test connection, and the delegated sign-in (src/red/sign-in-admin.ts).
 */
import { Connection, readConnectionOptions } from './graph/connection';
import type { SignInState } from './graph/delegated-tokens';
import { testConnection } from './graph/diagnose';
import { GraphError, O365Error } from './graph/errors';
import { createHttpStack } from './graph/http';
import type { SignInProgress } from './graph/sign-in';
import { pushEndpoints } from './push/endpoint';
import { probeNotificationUrl, type ProbeReport } from './push/probe';
import { readDialogInput, scrub } from './red/dialog-input';
import type { ConfigProperties } from './red/properties';
import { httpNodeRoot, registerNotificationRoute } from './red/push';
import { type ConfigNodeSettings, readConfigNodeSettings } from './red/settings';
import {
  createSignInRuntime,
  registerSignInEndpoints,
  type DelegatedAccountControl,
  type SignInRuntime,
} from './red/sign-in-admin';
import { deviceCodeStatus, errorStatus } from './red/status';
import { AccountNode, AccountUser, HttpRequest, HttpResponse, NodeRED } from './red/types';

/** How long closing waits for the nodes using the account to finish with it (theirs are bounded at 5 s). */
const USERS_CLOSE_MS = 8000;

export = function register(RED: NodeRED): void {
  const accounts = new Map<string, ConfigNode>();
  const runtime = createSignInRuntime(RED, createHttpStack(readConnectionOptions(RED.settings?.o365)), {
    onSignedIn: (id) => accounts.get(id)?.signedIn(),
    onProgress: (id, progress) => accounts.get(id)?.signInProgress(progress),
  });

  function O365ConfigNode(this: AccountNode, config: ConfigProperties) {
    RED.nodes.createNode(this, config);
    const account = new ConfigNode(RED, this, config, runtime);
    accounts.set(this.id, account);
    this.on('close', (_removed, done) => {
      if (accounts.get(this.id) === account) accounts.delete(this.id);
      done();
    });
  }
  RED.nodes.registerType('o365-config', O365ConfigNode, {
    credentials: {
      clientSecret: { type: 'password' },
      privateKey: { type: 'password' },
      certificate: { type: 'text' },
    },
  });

  RED.httpAdmin.post(
    '/o365-config/test',
    RED.auth.needsPermission('o365-config.write'),
    (req: HttpRequest, res: HttpResponse) => {
      runTest(RED, runtime, req.body)
        .then((report) => res.json(report))
        .catch((err: Error) => res.status(400).json({ error: err.message }));
    },
  );
  registerSignInEndpoints(RED, runtime, (id) => accounts.get(id)?.control());
  // Sign-ins belong to the runtime, not to a deployed node (a deploy must not end one): they end when it stops.
  RED.server?.once('close', () => runtime.signIns.close());
  // Test connection's check of the public URL is answered by the notification route.
  registerNotificationRoute(RED);
};

/** One o365-config node: the connection its users share, and account problems shown on every one of them. */
class ConfigNode {
  private readonly users = new Set<AccountUser>();
  /** Resolves the wait of close() once the last user detached. */
  private allDetached: (() => void) | null = null;
  /** The shared connection, or why there is none (a ConfigError naming the property). */
  private readonly state: { connection: Connection } | { error: Error };
  /** Permissions nodes found missing at run time (a mailbox named in a message), asked for at the next sign-in. */
  private readonly wanted = new Set<string>();
  private signIn: SignInState | undefined;
  private unsubscribe: () => void = () => undefined;

  constructor(
    private readonly RED: NodeRED,
    private readonly node: AccountNode,
    config: ConfigProperties,
    private readonly runtime: SignInRuntime,
  ) {
    let settings: ConfigNodeSettings | undefined;
    try {
      settings = readConfigNodeSettings(config, node.credentials);
      this.state = {
        connection: new Connection(settings.account, {
          ...readConnectionOptions(RED.settings?.o365),
          signIn: { store: runtime.store, id: node.id },
        }),
      };
    } catch (err) {
      this.state = { error: err as Error };
    }
    node.delegated = settings?.delegated ?? false;
    node.connection = () => {
      if ('error' in this.state) throw this.state.error;
      return this.state.connection;
    };
    node.attach = (user) => this.attach(user);
    node.reportAccountProblem = (err) => this.report(err);
    node.publicUrl = settings?.publicUrl ?? '';
    const delegated = 'connection' in this.state ? this.state.connection.delegated : undefined;
    if (delegated) {
      this.unsubscribe = delegated.onChange((state) => this.signInChanged(state));
      // Read at once, so "sign in again" shows on every node before anything is polled or sent.
      delegated.load().catch((err: Error) => node.error(err.message));
    }
    node.on('close', (removed, done) => {
      this.unsubscribe();
      void this.usersDone().then(() => {
        if ('connection' in this.state) this.state.connection.close();
        this.users.clear();
        if (removed && node.delegated) {
          // A deleted account takes its sign-in with it.
          runtime.signIns.cancel(node.id);
          runtime.store.remove(node.id).then(done, () => done());
          return;
        }
        done();
      });
    });
  }

  /**
   * Node-RED stops every flow at once: the nodes using this account may still be deleting their subscriptions on
   * its connection. Resolves once they detached, or after USERS_CLOSE_MS.
   */
  private usersDone(): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const detached = new Promise<void>((resolve) => {
      this.allDetached = resolve;
      if (this.users.size === 0) resolve();
    });
    const bounded = new Promise<void>((resolve) => (timer = setTimeout(resolve, USERS_CLOSE_MS)));
    return Promise.race([detached, bounded]).finally(() => clearTimeout(timer));
  }

  /** What the sign-in endpoints may do with this account (only a delegated one). */
  control(): DelegatedAccountControl | undefined {
    const delegated = 'connection' in this.state ? this.state.connection.delegated : undefined;
    if (!delegated) return undefined;
    return {
      state: () => delegated.state,
      signOut: () => delegated.signOut(),
      wantedPermissions: () => [...this.wanted],
    };
  }

  /** A new sign-in was stored for this account: use it, without a redeploy. */
  async signedIn(): Promise<void> {
    const delegated = 'connection' in this.state ? this.state.connection.delegated : undefined;
    await delegated?.reload().catch((err: Error) => this.node.error(err.message));
  }

  /** A device code sign-in is waiting: show the code and where to enter it on every node. */
  signInProgress(progress: SignInProgress): void {
    if (progress.status === 'waiting-for-code') {
      const status = deviceCodeStatus(this.RED, progress.verificationUri, progress.userCode);
      for (const user of this.users) user.status(status);
    } else if (progress.status === 'failed' && this.signIn?.status === 'sign-in-required') {
      this.signInChanged(this.signIn);
    }
  }

  /** A node that uses this account; a configuration problem or a missing sign-in shows on it at once. */
  private attach(user: AccountUser): () => void {
    this.users.add(user);
    if ('error' in this.state) user.status(errorStatus(this.RED, this.state.error));
    else if (this.signIn?.status === 'sign-in-required')
      user.status(errorStatus(this.RED, this.signIn.error));
    return () => {
      this.users.delete(user);
      if (this.users.size === 0) this.allDetached?.();
    };
  }

  /** An account problem (sign-in, permission) one node met, shown on every node that uses the account. */
  private report(err: O365Error): void {
    if (err instanceof GraphError && err.permission) this.wanted.add(err.permission);
    const status = errorStatus(this.RED, err);
    for (const user of this.users) user.status(status);
  }

  /** "Sign in again" on every node when the sign-in stops working; the nodes resume when it works again. */
  private signInChanged(state: SignInState): void {
    const before = this.signIn;
    this.signIn = state;
    if (state.status === 'sign-in-required') {
      const status = errorStatus(this.RED, state.error);
      for (const user of this.users) user.status(status);
      if (before?.status !== 'sign-in-required') this.node.warn(state.error.message);
      return;
    }
    if (before?.status === 'sign-in-required') {
      this.wanted.clear();
      for (const user of this.users) user.signedInAgain?.();
    }
  }
}

/** Runs Test connection on the dialog's values; stored credentials stand in for unchanged password fields. */
async function runTest(RED: NodeRED, runtime: SignInRuntime, body: unknown) {
  const input = readDialogInput(RED, body);
  const timeoutMs = readConnectionOptions(RED.settings?.o365).timeoutMs ?? 60_000;
  const [report, push] = await Promise.all([
    testConnection(
      input.settings,
      input.mailbox,
      { timeoutMs, signIn: { store: runtime.store, id: input.id ?? '' } },
      input.uses,
    ),
    input.publicUrl ? probePublicUrl(RED, input.publicUrl, timeoutMs) : undefined,
  ]);
  return scrub(push ? { ...report, push } : report, input.secrets);
}

/** Sends Graph's validation request to a notification URL under publicUrl (src/push/probe.ts). */
async function probePublicUrl(RED: NodeRED, publicUrl: string, timeoutMs: number): Promise<ProbeReport> {
  const http = createHttpStack({ timeoutMs });
  try {
    return await probeNotificationUrl(
      http,
      pushEndpoints,
      publicUrl,
      RED.httpNode ? httpNodeRoot(RED) : false,
    );
  } finally {
    http.destroy();
  }
}
