/**
 * The one HTTP stack of the package: an axios instance used for Graph and, through `msalNetworkClient`, for every
 * token request, so proxies (HTTPS_PROXY / HTTP_PROXY / NO_PROXY), TLS (NODE_EXTRA_CA_CERTS) and timeouts are set once.
 */
import axios, { AxiosInstance, AxiosRequestConfig } from 'axios';
import * as http from 'http';
import * as https from 'https';
import * as tls from 'tls';
import { getProxyForUrl } from 'proxy-from-env';
import { ProxyTunnelAgent } from './proxy-agent';
import { OAuthErrors } from './error-codes';

export interface HttpOptions {
  /** Per-request timeout in milliseconds (default 60 s). Every wait is bounded. */
  timeoutMs?: number;
  /** Extra CA certificates (PEM) besides Node's and NODE_EXTRA_CA_CERTS; mainly for tests. */
  ca?: string;
}

export interface HttpStack {
  axios: AxiosInstance;
  timeoutMs: number;
  /** The agent for a URL: through the proxy the environment names for it, or direct. */
  agentFor(url: string): http.Agent;
  /** Closes idle keep-alive sockets. */
  destroy(): void;
}

/** Builds the shared HTTP stack. Proxies are read from the environment at request time. */
export function createHttpStack(options: HttpOptions = {}): HttpStack {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const tlsOptions = options.ca ? { ca: [...tls.rootCertificates, options.ca] } : {};
  const direct = new https.Agent({ keepAlive: true, maxSockets: 32, ...tlsOptions });
  const plain = new http.Agent({ keepAlive: true, maxSockets: 32 });
  const proxied = new Map<string, http.Agent>();

  const agentFor = (url: string): http.Agent => {
    const proxy = getProxyForUrl(url);
    if (proxy) {
      const known = proxied.get(proxy);
      if (known) return known;
      const agent = new ProxyTunnelAgent(proxy, tlsOptions);
      proxied.set(proxy, agent);
      return agent;
    }
    return url.startsWith('http:') ? plain : direct;
  };

  const instance = axios.create({
    timeout: timeoutMs,
    proxy: false,
    maxBodyLength: Infinity,
    maxContentLength: Infinity,
    maxRedirects: 0,
    validateStatus: () => true,
  });
  instance.interceptors.request.use((config) => {
    const url = instance.getUri(config);
    const agent = agentFor(url);
    config.httpsAgent = agent;
    config.httpAgent = agent;
    return config;
  });

  return {
    axios: instance,
    timeoutMs,
    agentFor,
    destroy() {
      direct.destroy();
      plain.destroy();
      for (const agent of proxied.values()) agent.destroy();
      proxied.clear();
    },
  };
}

interface MsalResponse<T> {
  headers: Record<string, string>;
  body: T;
  status: number;
}

/** msal-node's `system.networkClient`, plus the transport failures msal hides behind its `network_error`. */
export interface MsalNetworkClient {
  sendGetRequestAsync<T>(
    url: string,
    options?: { headers?: Record<string, string>; correlationId?: string },
    timeout?: number,
  ): Promise<MsalResponse<T>>;
  sendPostRequestAsync<T>(
    url: string,
    options?: { headers?: Record<string, string>; body?: string; correlationId?: string },
  ): Promise<MsalResponse<T>>;
  /**
   * The transport error (with its code, e.g. ETIMEDOUT) of the failed request msal made for `correlationId`; msal
   * replaces it with a bare `network_error` carrying the same correlation id. Each failure is handed out once.
   */
  takeFailure(correlationId: string | undefined): unknown;
}

/** Failures kept for msal's caller; more would mean nobody asks for them. */
const KEPT_FAILURES = 32;

/** msal-node's network client on the shared stack, so token requests share the proxy, TLS and timeout settings. */
export function msalNetworkClient(stack: HttpStack): MsalNetworkClient {
  const failures = new Map<string, unknown>();
  const send = async <T>(config: AxiosRequestConfig, correlationId?: string): Promise<MsalResponse<T>> => {
    let response;
    try {
      response = await stack.axios.request({ ...config, responseType: 'text', transformResponse: (x) => x });
    } catch (err) {
      if (correlationId) {
        failures.set(correlationId, err);
        if (failures.size > KEPT_FAILURES) failures.delete(failures.keys().next().value as string);
      }
      throw err;
    }
    const raw = typeof response.data === 'string' ? response.data : '';
    let body: unknown = {};
    try {
      body = raw ? JSON.parse(raw) : {};
    } catch {
      body = {
        error: OAuthErrors.invalidResponse,
        error_description: `Unreadable answer (HTTP ${response.status})`,
      };
    }
    return { headers: flattenHeaders(response.headers), body: body as T, status: response.status };
  };
  return {
    sendGetRequestAsync(url, options, timeout) {
      const config = { method: 'GET', url, headers: options?.headers, timeout: timeout ?? stack.timeoutMs };
      return send(config, options?.correlationId);
    },
    sendPostRequestAsync(url, options) {
      const config = { method: 'POST', url, headers: options?.headers, data: options?.body ?? '' };
      return send(config, options?.correlationId);
    },
    takeFailure(correlationId) {
      if (!correlationId) return undefined;
      const failure = failures.get(correlationId);
      failures.delete(correlationId);
      return failure;
    },
  };
}

/** Lower-cased header names with string values. */
export function flattenHeaders(headers: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!headers || typeof headers !== 'object') return out;
  for (const [name, value] of Object.entries(headers as Record<string, unknown>)) {
    if (value === undefined || value === null) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return out;
}
