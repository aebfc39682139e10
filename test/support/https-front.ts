/**
 * A small HTTPS front for tests, with the simulator's certificate (trusted by the simulator and, through
 * NODE_EXTRA_CA_CERTS, by the test process): it stands where a reverse proxy or tunnel stands in production, so Graph's
 * rule that a notification URL must be HTTPS is never weakened. It serves a request listener (e.g. Node-RED's httpNode
 * app, or a fake webhook) or forwards every request to a plain HTTP origin, optionally under a path prefix.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { Socket } from 'node:net';
import { serverCertificate } from '../simulator/certs';

export interface HttpsFront {
  /** `https://127.0.0.1:PORT` */
  url: string;
  /** Requests seen, in order (method and URL as received). */
  requests: { method: string; url: string }[];
  close(): Promise<void>;
}

export type Listener = (req: http.IncomingMessage, res: http.ServerResponse) => void;

/** Serves `listener` over HTTPS on 127.0.0.1; a `prefix` ("/nodered") is stripped before the listener sees the URL. */
export async function startHttpsFront(listener: Listener, prefix = ''): Promise<HttpsFront> {
  const { cert, key } = await serverCertificate();
  const requests: HttpsFront['requests'] = [];
  const sockets = new Set<Socket>();
  const server = https.createServer({ cert, key }, (req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '' });
    if (prefix) {
      if (!(req.url ?? '').startsWith(`${prefix}/`)) {
        res.writeHead(404).end();
        return;
      }
      req.url = (req.url ?? '').slice(prefix.length);
    }
    listener(req, res);
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as { port: number };
  return {
    url: `https://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A listener that forwards every request to a plain HTTP origin (`http://127.0.0.1:PORT`), as a reverse proxy does. */
export function forwardTo(origin: string): Listener {
  const target = new URL(origin);
  return (req, res) => {
    const upstream = http.request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: target.host, 'x-forwarded-proto': 'https' },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  };
}
