import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as https from 'node:https';
import axios from 'axios';
import {
  ConfidentialClientApplication,
  type INetworkModule,
  type NetworkRequestOptions,
  type NetworkResponse,
} from '@azure/msal-node';
import { generate } from 'selfsigned';
import { DEFAULT_APP, startSimulator, type Simulator } from './index';
import { errorCode, graphClient, rawClient, requestToken, secretForm, U } from './test-helpers';

const CERT_APP = '5f1e2d3c-4b5a-4697-8877-665544332211';

/** msal-node network module that trusts the simulator's CA (msal's own client only trusts the system store). */
function networkFor(sim: Simulator): INetworkModule {
  const http = axios.create({ httpsAgent: new https.Agent({ ca: sim.ca }), validateStatus: () => true });
  const convert = <T>(res: { headers: unknown; data: unknown; status: number }): NetworkResponse<T> => ({
    headers: Object.fromEntries(
      Object.entries(res.headers as Record<string, unknown>).map(([k, v]) => [k, String(v)]),
    ),
    body: res.data as T,
    status: res.status,
  });
  return {
    async sendGetRequestAsync<T>(url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
      return convert<T>(await http.get(url, { headers: options?.headers }));
    },
    async sendPostRequestAsync<T>(url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
      return convert<T>(await http.post(url, options?.body, { headers: options?.headers }));
    },
  };
}

function b64url(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** Signs a client assertion the way msal-node does (RS256 + x5t, or PS256 + x5t#S256). */
function assertion(
  sim: Simulator,
  keyPem: string,
  certPem: string,
  opts: { alg?: 'RS256' | 'PS256'; aud?: string; iss?: string; exp?: number } = {},
): string {
  const alg = opts.alg ?? 'RS256';
  const der = new crypto.X509Certificate(certPem).raw;
  const header =
    alg === 'RS256'
      ? { alg, typ: 'JWT', x5t: crypto.createHash('sha1').update(der).digest('base64url') }
      : { alg, typ: 'JWT', 'x5t#S256': crypto.createHash('sha256').update(der).digest('base64url') };
  const now = Math.floor(Date.now() / 1000);
  const payload = {
    aud: opts.aud ?? `${sim.url}/${sim.tenantId}/oauth2/v2.0/token`,
    iss: opts.iss ?? CERT_APP,
    sub: CERT_APP,
    jti: crypto.randomUUID(),
    nbf: now,
    iat: now,
    exp: opts.exp ?? now + 600,
  };
  const signingInput = `${b64url(header)}.${b64url(payload)}`;
  const key = crypto.createPrivateKey(keyPem);
  const signature =
    alg === 'RS256'
      ? crypto.sign('sha256', Buffer.from(signingInput), key)
      : crypto.sign('sha256', Buffer.from(signingInput), {
          key,
          padding: crypto.constants.RSA_PKCS1_PSS_PADDING,
          saltLength: 32,
        });
  return `${signingInput}.${signature.toString('base64url')}`;
}

function assertionForm(sim: Simulator, jwt: string): Record<string, string> {
  return {
    client_id: CERT_APP,
    client_assertion: jwt,
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    scope: `${sim.url}/.default`,
    grant_type: 'client_credentials',
  };
}

describe('simulator: identity platform (token endpoint)', function () {
  let sim: Simulator;
  let keyPem: string;
  let certPem: string;
  let otherKeyPem: string;
  let otherCertPem: string;

  before(async function () {
    this.timeout(60000);
    const pems = await generate([{ name: 'commonName', value: 'sim-client' }], {
      keySize: 2048,
      algorithm: 'sha256',
    });
    const other = await generate([{ name: 'commonName', value: 'unregistered' }], {
      keySize: 2048,
      algorithm: 'sha256',
    });
    keyPem = pems.private;
    certPem = pems.cert;
    otherKeyPem = other.private;
    otherCertPem = other.cert;
    sim = await startSimulator({
      apps: [
        DEFAULT_APP,
        { clientId: CERT_APP, certificates: [certPem], roles: ['Mail.Read'] },
        { clientId: 'expired-app', secrets: [{ value: 'old', expired: true }], roles: [] },
      ],
    });
  });

  after(async () => {
    await sim.stop();
  });

  beforeEach(() => sim.resetCounters());

  afterEach(function () {
    sim.clearFaults();
  });

  it('issues a bearer token for a valid client secret, with tid, appid, roles and aud', async () => {
    const res = await requestToken(sim, secretForm(sim));
    assert.equal(res.status, 200);
    assert.equal(res.data.token_type, 'Bearer');
    assert.equal(res.data.expires_in, 3600);
    const claims = JSON.parse(Buffer.from(res.data.access_token.split('.')[1], 'base64url').toString());
    assert.equal(claims.tid, sim.tenantId);
    assert.equal(claims.appid, DEFAULT_APP.clientId);
    assert.deepEqual(claims.roles, ['Mail.ReadWrite', 'Mail.Send']);
    assert.equal(claims.aud, sim.url);
    assert.equal(claims.exp - claims.iat, 3600);
    assert.equal(sim.counters.tokenRequests, 1);
    assert.deepEqual(sim.schemaViolations, []);
  });

  it('accepts the tenant domain as well as the tenant id', async () => {
    const res = await requestToken(sim, secretForm(sim), sim.tenantDomain);
    assert.equal(res.status, 200);
  });

  const failures: [
    string,
    (s: Simulator) => Record<string, string>,
    string | undefined,
    number,
    string,
    number,
  ][] = [
    [
      'a wrong secret',
      (s) => secretForm(s, { client_secret: 'nope' }),
      undefined,
      401,
      'invalid_client',
      7000215,
    ],
    [
      'an expired secret',
      (s) => secretForm(s, { client_id: 'expired-app', client_secret: 'old' }),
      undefined,
      401,
      'invalid_client',
      7000222,
    ],
    [
      'an unknown application',
      (s) => secretForm(s, { client_id: '11111111-2222-3333-4444-555555555555' }),
      undefined,
      400,
      'unauthorized_client',
      700016,
    ],
    ['an unknown tenant', (s) => secretForm(s), 'fabrikam.example', 400, 'invalid_request', 90002],
    [
      'a scope without /.default',
      (s) => secretForm(s, { scope: `${s.url}/Mail.Read` }),
      undefined,
      400,
      'invalid_scope',
      1002012,
    ],
    [
      'two resource scopes',
      (s) => secretForm(s, { scope: `${s.url}/.default https://other.example/.default` }),
      undefined,
      400,
      'invalid_scope',
      70011,
    ],
    [
      'the public Graph resource',
      () => ({ ...secretForm(sim), scope: 'https://graph.microsoft.com/.default' }),
      undefined,
      400,
      'invalid_resource',
      500011,
    ],
  ];
  for (const [what, form, tenant, status, error, code] of failures) {
    it(`answers ${status} ${error} AADSTS${code} for ${what}`, async () => {
      const res = await requestToken(sim, form(sim), tenant);
      assert.equal(res.status, status);
      assert.equal(res.data.error, error);
      assert.deepEqual(res.data.error_codes, [code]);
      assert.match(res.data.error_description, new RegExp(`^AADSTS${code}: `));
      assert.ok(res.data.trace_id && res.data.correlation_id && res.data.timestamp);
      assert.ok(!JSON.stringify(res.data).includes('sim-secret-value'), 'the secret never appears in errors');
    });
  }

  it('records a schema violation for a form missing grant_type and answers AADSTS900144', async () => {
    const form = secretForm(sim);
    delete form.grant_type;
    const res = await requestToken(sim, form);
    assert.equal(res.status, 400);
    assert.deepEqual(res.data.error_codes, [900144]);
    assert.equal(sim.schemaViolations.length, 1);
    assert.equal(sim.schemaViolations[0].direction, 'request');
  });

  it('accepts a client assertion signed RS256 with x5t and PS256 with x5t#S256', async () => {
    for (const alg of ['RS256', 'PS256'] as const) {
      const res = await requestToken(sim, assertionForm(sim, assertion(sim, keyPem, certPem, { alg })));
      assert.equal(res.status, 200, JSON.stringify(res.data));
      const claims = JSON.parse(Buffer.from(res.data.access_token.split('.')[1], 'base64url').toString());
      assert.equal(claims.appid, CERT_APP);
    }
  });

  it('rejects assertions from an unknown certificate, with a bad signature, a wrong audience or expired', async () => {
    const unknown = await requestToken(sim, assertionForm(sim, assertion(sim, otherKeyPem, otherCertPem)));
    assert.equal(unknown.status, 401);
    assert.deepEqual(unknown.data.error_codes, [700027]);

    // Registered certificate's thumbprint, but signed by another key.
    const good = assertion(sim, keyPem, certPem).split('.');
    const forged = assertion(sim, otherKeyPem, certPem).split('.');
    const badSig = await requestToken(sim, assertionForm(sim, `${good[0]}.${good[1]}.${forged[2]}`));
    assert.equal(badSig.status, 401);
    assert.deepEqual(badSig.data.error_codes, [700027]);

    const aud = await requestToken(
      sim,
      assertionForm(sim, assertion(sim, keyPem, certPem, { aud: 'https://elsewhere/token' })),
    );
    assert.equal(aud.data.error, 'invalid_client');
    const expired = await requestToken(
      sim,
      assertionForm(sim, assertion(sim, keyPem, certPem, { exp: Math.floor(Date.now() / 1000) - 3600 })),
    );
    assert.deepEqual(expired.data.error_codes, [700024]);
  });

  it('answers 503 temporarily_unavailable during a token outage, and recovers', async () => {
    sim.setTokenOutage(true);
    const down = await requestToken(sim, secretForm(sim));
    assert.equal(down.status, 503);
    assert.equal(down.data.error, 'temporarily_unavailable');
    sim.setTokenOutage(false);
    assert.equal((await requestToken(sim, secretForm(sim))).status, 200);
  });

  it('applies token faults only when the match names the token operation', async () => {
    sim.failNext(1, 500);
    assert.equal(
      (await requestToken(sim, secretForm(sim))).status,
      200,
      'a default match leaves the token endpoint alone',
    );
    sim.clearFaults();
    sim.failNext(1, 500, { match: { operation: 'token' } });
    const res = await requestToken(sim, secretForm(sim));
    assert.equal(res.status, 500);
    assert.match(res.data.error_description, /^AADSTS/);
  });

  it('serves the OpenID configuration and counts it as discovery', async () => {
    const res = await rawClient(sim).get(`/${sim.tenantId}/v2.0/.well-known/openid-configuration`);
    assert.equal(res.status, 200);
    assert.equal(res.data.token_endpoint, `${sim.url}/${sim.tenantId}/oauth2/v2.0/token`);
    assert.equal(sim.counters.discoveryRequests, 1);
  });

  it('Graph rejects a missing, forged or expired token with 401 InvalidAuthenticationToken', async () => {
    const client = await graphClient(sim);
    const ok = await client.get(`/users/${U}/mailFolders/inbox`);
    assert.equal(ok.status, 200);
    const none = await rawClient(sim).get(`/v1.0/users/${U}/mailFolders/inbox`);
    assert.equal(none.status, 401);
    assert.equal(errorCode(none), 'InvalidAuthenticationToken');
    assert.ok(none.headers['www-authenticate']);
    const token = String(client.defaults.headers.common.Authorization).slice(7);
    const [h, p] = token.split('.');
    const forged = await rawClient(sim).get(`/v1.0/users/${U}/mailFolders/inbox`, {
      headers: { Authorization: `Bearer ${h}.${p}.${Buffer.from('x').toString('base64url')}` },
    });
    assert.equal(forged.status, 401);
    sim.expireTokens();
    const expired = await client.get(`/users/${U}/mailFolders/inbox`);
    assert.equal(expired.status, 401);
    assert.equal(expired.data.error.message, 'Lifetime validation failed, the token is expired.');
    assert.equal(
      (await (await graphClient(sim)).get(`/users/${U}/mailFolders/inbox`)).status,
      200,
      'a new token works',
    );
  });

  describe('with msal-node', () => {
    function msalApp(
      auth: { clientSecret?: string; clientCertificate?: { thumbprintSha256: string; privateKey: string } },
      clientId: string,
    ) {
      const host = new URL(sim.url).host;
      return new ConfidentialClientApplication({
        auth: {
          clientId,
          authority: `${sim.url}/${sim.tenantId}`,
          knownAuthorities: [host],
          authorityMetadata: JSON.stringify(sim.openidConfiguration()),
          ...auth,
        },
        system: { networkClient: networkFor(sim) },
      });
    }

    it('gets a token with a secret and with a certificate, making no discovery request', async () => {
      const withSecret = msalApp({ clientSecret: 'sim-secret-value' }, DEFAULT_APP.clientId);
      const first = await withSecret.acquireTokenByClientCredential({ scopes: [`${sim.url}/.default`] });
      assert.ok(first?.accessToken);
      const thumbprintSha256 = crypto
        .createHash('sha256')
        .update(new crypto.X509Certificate(certPem).raw)
        .digest('hex');
      const withCert = msalApp({ clientCertificate: { thumbprintSha256, privateKey: keyPem } }, CERT_APP);
      const second = await withCert.acquireTokenByClientCredential({ scopes: [`${sim.url}/.default`] });
      assert.ok(second?.accessToken);
      const graph = await rawClient(sim).get(`/v1.0/users/${U}/mailFolders/inbox/messages`, {
        headers: { Authorization: `Bearer ${second?.accessToken}` },
      });
      assert.equal(graph.status, 200);
      assert.equal(sim.counters.tokenRequests, 2);
      assert.equal(sim.counters.discoveryRequests, 0);
      assert.deepEqual(sim.schemaViolations, []);
    });
  });
});
