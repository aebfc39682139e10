/**
 * o365-config: one Entra ID application (tenant, app id, secret or certificate, cloud). Holds the connection whose
 * token cache every mail node using it shares, and serves the editor's "Test connection" admin endpoint.
 */
import { Connection, readConnectionOptions } from './graph/connection';
import { testConnection } from './graph/diagnose';
import { O365Error } from './graph/errors';
import { CONFIG_CREDENTIALS, CONFIG_PROPERTIES, type ConfigProperties } from './red/properties';
import { readConfigSettings } from './red/settings';
import { errorStatus } from './red/status';
import { AccountNode, AccountUser, HttpRequest, HttpResponse, NodeRED } from './red/types';

const UNCHANGED_PASSWORD = '__PWRD__';

export = function register(RED: NodeRED): void {
  function O365ConfigNode(this: AccountNode, config: ConfigProperties) {
    RED.nodes.createNode(this, config);
    new ConfigNode(RED, this, config);
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

/** One o365-config node: the connection its users share, and account problems shown on every one of them. */
class ConfigNode {
  private readonly users = new Set<AccountUser>();
  /** The shared connection, or why there is none (a ConfigError naming the property). */
  private readonly state: { connection: Connection } | { error: Error };

  constructor(
    private readonly RED: NodeRED,
    node: AccountNode,
    config: ConfigProperties,
  ) {
    try {
      const settings = readConfigSettings(config, node.credentials);
      this.state = { connection: new Connection(settings, readConnectionOptions(RED.settings?.o365)) };
    } catch (err) {
      this.state = { error: err as Error };
    }
    node.connection = () => {
      if ('error' in this.state) throw this.state.error;
      return this.state.connection;
    };
    node.attach = (user) => this.attach(user);
    node.reportAccountProblem = (err) => this.report(err);
    node.on('close', (_removed, done) => {
      if ('connection' in this.state) this.state.connection.close();
      this.users.clear();
      done();
    });
  }

  /** A node that uses this account; a configuration problem shows on it at once. */
  private attach(user: AccountUser): () => void {
    this.users.add(user);
    if ('error' in this.state) user.status(errorStatus(this.RED, this.state.error));
    return () => this.users.delete(user);
  }

  /** An account problem (sign-in, permission) one node met, shown on every node that uses the account. */
  private report(err: O365Error): void {
    const status = errorStatus(this.RED, err);
    for (const user of this.users) user.status(status);
  }
}

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
  for (const name of CONFIG_CREDENTIALS) {
    const value = given[name];
    if (value === UNCHANGED_PASSWORD || value === undefined) {
      if (stored[name]) credentials[name] = stored[name] as string;
    } else if (typeof value === 'string' && value !== '') {
      credentials[name] = value;
    }
  }
  const properties: ConfigProperties = {};
  for (const name of CONFIG_PROPERTIES) {
    if (typeof input[name] === 'string') properties[name] = substituteEnv(input[name] as string);
  }
  const settings = readConfigSettings(properties, credentials);
  const mailbox = typeof input.mailbox === 'string' ? substituteEnv(input.mailbox) : undefined;
  const report = await testConnection(settings, mailbox, {
    timeoutMs: readConnectionOptions(RED.settings?.o365).timeoutMs,
  });
  return scrub(report, Object.values(credentials));
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
