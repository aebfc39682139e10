/** Shared helpers for the simulator's own tests: an axios client that trusts the simulator and holds a token. */
import * as https from 'node:https';
import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import { DEFAULT_APP, startSimulator, type Simulator, type SimulatorOptions } from './index';

export const USER = 'user@contoso.example';
export const U = encodeURIComponent(USER);

/** An axios instance for the simulator that never throws on HTTP status. */
export function rawClient(sim: Simulator): AxiosInstance {
  return axios.create({
    baseURL: sim.url,
    httpsAgent: new https.Agent({ ca: sim.ca, keepAlive: true }),
    validateStatus: () => true,
    maxBodyLength: Infinity,
    maxContentLength: Infinity,
  });
}

/** Asks the token endpoint with a form; returns the raw response. */
export function requestToken(
  sim: Simulator,
  form: Record<string, string>,
  tenant = sim.tenantId,
): Promise<AxiosResponse> {
  return rawClient(sim).post(`/${tenant}/oauth2/v2.0/token`, new URLSearchParams(form).toString(), {
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
  });
}

/** The default client-credentials form for DEFAULT_APP. */
export function secretForm(sim: Simulator, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    client_id: DEFAULT_APP.clientId,
    client_secret: DEFAULT_APP.secrets?.[0].value ?? '',
    scope: `${sim.url}/.default`,
    grant_type: 'client_credentials',
    ...overrides,
  };
}

/** A client for /v1.0 with a fresh token of the given app form. */
export async function graphClient(
  sim: Simulator,
  form: Record<string, string> = secretForm(sim),
): Promise<AxiosInstance> {
  const token = await requestToken(sim, form);
  if (token.status !== 200)
    throw new Error(`token request failed: ${token.status} ${JSON.stringify(token.data)}`);
  const client = rawClient(sim);
  client.defaults.baseURL = `${sim.url}/v1.0`;
  client.defaults.headers.common.Authorization = `Bearer ${(token.data as { access_token: string }).access_token}`;
  return client;
}

/** Graph's error code of a response body. */
export function errorCode(res: AxiosResponse): string | undefined {
  return (res.data as { error?: { code?: string } })?.error?.code;
}

/** Path of a message of USER. */
export function msgPath(id: string, rest = ''): string {
  return `/users/${U}/messages/${encodeURIComponent(id)}${rest}`;
}

/**
 * The one set-up of the simulator's suites: a simulator started with `options` before each test, with a Graph client
 * on it (handed to `ready`, which may seed it), and stopped after each test.
 */
export function simulatorPerTest(
  options: SimulatorOptions | undefined,
  ready: (sim: Simulator, graph: AxiosInstance) => void | Promise<void>,
): void {
  let sim: Simulator | undefined;
  beforeEach(async () => {
    sim = await startSimulator(options);
    await ready(sim, await graphClient(sim));
  });
  afterEach(async () => {
    await sim?.stop();
    sim = undefined;
  });
}
