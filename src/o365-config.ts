/**
 * o365-config: one Entra ID application (tenant, app id, secret or certificate, cloud). Holds the connection whose
 * token cache every mail node using it shares, and serves the editor's "Test connection" admin endpoint.
 */
import { AccountSettings } from './graph/account';
import { RetrySettings } from './graph/client';
import { Connection, ConnectionOptions } from './graph/connection';
import { testConnection } from './graph/diagnose';
import { O365Error } from './graph/errors';
import { errorStatus } from './red/status';
import { AccountNode, AccountUser, HttpRequest, HttpResponse, NodeRED } from './red/types';

interface ConfigProperties extends AccountSettings {
  id: string;
  name?: string;
}

const CREDENTIALS = ['clientSecret', 'privateKey', 'certificate'] as const;
const UNCHANGED_PASSWORD = '__PWRD__';

export = function register(RED: NodeRED): void {
  function O365ConfigNode(this: AccountNode, config: ConfigProperties) {
    RED.nodes.createNode(this, config);
    const settings: AccountSettings = { ...config, ...credentialsOf(this.credentials) };
    const users = new Set<AccountUser>();
    let connection: Connection | undefined;
    let configError: Error | undefined;
    try {
      connection = new Connection(settings, connectionOptions(RED));
    } catch (err) {
      configError = err as Error;
    }

    this.connection = () => {
      if (!connection) throw configError ?? new Error('account not ready');
      return connection;
    };
    this.attach = (user) => {
      users.add(user);
      if (configError) user.status(errorStatus(RED, configError));
      return () => users.delete(user);
    };
    this.reportAccountProblem = (err: O365Error) => {
      const status = errorStatus(RED, err);
      for (const user of users) user.status(status);
    };
    this.on('close', (_removed, done) => {
      connection?.close();
      users.clear();
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
      runTest(RED, req.body)
        .then((report) => res.json(report))
        .catch((err: Error) => res.status(400).json({ error: err.message }));
    },
  );
};

/** Runs Test connection on the dialog's values; stored credentials stand in for unchanged password fields. */
async function runTest(RED: NodeRED, body: unknown) {
  const input = (body ?? {}) as Record<string, unknown> & { credentials?: Record<string, unknown> };
  if (
    typeof input !== 'object' ||
    typeof input.tenantId !== 'string' ||
    typeof input.applicationId !== 'string'
  ) {
    throw new Error(
      'expected a JSON body with the account settings (tenantId, applicationId, cloud, credentials...)',
    );
  }
  const stored = typeof input.id === 'string' ? (RED.nodes.getCredentials(input.id) ?? {}) : {};
  const given = input.credentials && typeof input.credentials === 'object' ? input.credentials : {};
  const credentials: Record<string, string> = {};
  for (const name of CREDENTIALS) {
    const value = given[name];
    if (value === UNCHANGED_PASSWORD || value === undefined) {
      if (stored[name]) credentials[name] = stored[name] as string;
    } else if (typeof value === 'string' && value !== '') {
      credentials[name] = value;
    }
  }
  const settings: AccountSettings = { ...credentials };
  for (const name of [
    'tenantId',
    'applicationId',
    'cloud',
    'authorityHost',
    'graphEndpoint',
    'authType',
    'certificateThumbprint',
  ] as const) {
    if (typeof input[name] === 'string') settings[name] = substituteEnv(input[name] as string);
  }
  const mailbox = typeof input.mailbox === 'string' ? substituteEnv(input.mailbox) : undefined;
  const report = await testConnection(settings, mailbox, { timeoutMs: connectionOptions(RED).timeoutMs });
  return scrub(report, Object.values(credentials));
}

function credentialsOf(credentials: Record<string, string | undefined> | undefined): AccountSettings {
  const out: AccountSettings = {};
  for (const name of CREDENTIALS) if (credentials?.[name]) out[name] = credentials[name];
  return out;
}

/** `${VAR}` as Node-RED resolves it for node properties. */
function substituteEnv(value: string): string {
  return value.replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g,
    (whole, name: string) => process.env[name] ?? whole,
  );
}

/** Defence in depth: no answer ever carries a secret, even if a service echoed one. */
function scrub<T>(report: T, secrets: string[]): T {
  let json = JSON.stringify(report);
  for (const secret of secrets) if (secret.length >= 4) json = json.split(secret).join('***');
  return JSON.parse(json) as T;
}

/**
 * Optional runtime tuning from settings.js, e.g. `o365: { timeoutMs: 60000, retry: { maxAttempts: 8, baseDelayMs: 1000,
 * maxDelayMs: 60000, maxTotalDelayMs: 180000 } }`. Unset or invalid values keep the defaults.
 */
function connectionOptions(RED: NodeRED): ConnectionOptions {
  const tuning = (RED.settings?.o365 ?? {}) as { timeoutMs?: unknown; retry?: Record<string, unknown> };
  const positive = (value: unknown) =>
    typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
  const retry: Partial<RetrySettings> = {};
  for (const key of ['maxAttempts', 'baseDelayMs', 'maxDelayMs', 'maxTotalDelayMs'] as const) {
    const value = positive(tuning.retry?.[key]);
    if (value !== undefined) retry[key] = value;
  }
  return { timeoutMs: positive(tuning.timeoutMs) || 60_000, retry };
}
