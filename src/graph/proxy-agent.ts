/**
 * An https.Agent that reaches its targets through an HTTP proxy with CONNECT, so the one HTTP stack honours
 * HTTPS_PROXY without another dependency. TLS (and certificate checks) run end to end inside the tunnel.
 */
import * as http from 'http';
import * as https from 'https';
import type { Duplex } from 'stream';
import * as tls from 'tls';

type Callback = (err: Error | null, socket?: Duplex) => void;

/** Tunnels every connection through `proxyUrl` (http://[user:pass@]host:port). */
export class ProxyTunnelAgent extends https.Agent {
  private readonly proxy: URL;

  constructor(proxyUrl: string, options: https.AgentOptions = {}) {
    super({ keepAlive: true, ...options });
    this.proxy = new URL(proxyUrl);
    if (this.proxy.protocol !== 'http:') {
      throw new Error(
        `Unsupported proxy "${this.proxy.protocol}//${this.proxy.host}": use an http:// proxy URL`,
      );
    }
  }

  override createConnection(
    options: tls.ConnectionOptions & { host?: string; port?: number },
    callback: Callback,
  ): Duplex | undefined {
    const target = `${options.host}:${options.port ?? 443}`;
    const headers: Record<string, string> = { Host: target };
    if (this.proxy.username) {
      const auth = `${decodeURIComponent(this.proxy.username)}:${decodeURIComponent(this.proxy.password)}`;
      headers['Proxy-Authorization'] = `Basic ${Buffer.from(auth).toString('base64')}`;
    }
    const request = http.request({
      host: this.proxy.hostname,
      port: Number(this.proxy.port || 80),
      method: 'CONNECT',
      path: target,
      headers,
      agent: false,
      timeout: (options as { timeout?: number }).timeout ?? 30_000,
    });
    let settled = false;
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      request.destroy();
      callback(err);
    };
    request.once('connect', (response, socket) => {
      if (response.statusCode !== 200) {
        socket.destroy();
        fail(
          new Error(
            `The proxy ${this.proxy.host} refused the tunnel to ${target} (HTTP ${response.statusCode})`,
          ),
        );
        return;
      }
      settled = true;
      const secure = tls.connect({ ...options, socket, servername: options.servername ?? options.host });
      callback(null, secure);
    });
    request.once('timeout', () => fail(new Error(`The proxy ${this.proxy.host} did not answer in time`)));
    request.once('error', (err) =>
      fail(new Error(`Cannot reach the proxy ${this.proxy.host}: ${err.message}`)),
    );
    request.end();
    return undefined;
  }
}
