/** The HTTPS transport: token and discovery endpoints, /v1.0 (with $batch), upload URLs, counters and request log. */
import * as crypto from 'node:crypto';
import * as https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { runBatch } from './batch';
import { GraphFailure, tooLarge } from './errors';
import { delay, DropConnection } from './faults';
import {
  executeGraph,
  failureReply,
  faultReply,
  finish,
  type GraphCall,
  type GraphReply,
  type Outcome,
} from './router';
import type { SimState } from './state';
import type { Operation, RequestRecord } from './types';
import { answerIdentity } from './token-endpoint';
import { uploadChunk } from './uploads';

export interface Incoming {
  method: string;
  rawPath: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: Buffer;
}

function splitQuery(url: string): { rawPath: string; query: Record<string, string> } {
  const at = url.indexOf('?');
  const rawPath = at < 0 ? url : url.slice(0, at);
  const query: Record<string, string> = {};
  if (at >= 0) for (const [k, v] of new URLSearchParams(url.slice(at + 1))) query[k] = v;
  return { rawPath, query };
}

function lowerHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers))
    if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return headers;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function parseJson(incoming: Incoming): { body: unknown; bodyError?: string } {
  if (incoming.body.length === 0) return { body: undefined };
  try {
    return { body: JSON.parse(incoming.body.toString('utf8')) as unknown };
  } catch (err) {
    return { body: undefined, bodyError: (err as Error).message };
  }
}

/** Creates the request listener bound to the shared simulator state. */
export class Transport {
  private readonly sockets = new Set<Socket>();
  /** Requests being read, carried out or answered (a request the client gave up on still counts until done). */
  private working = 0;
  private readonly idleWaiters: (() => void)[] = [];
  server?: https.Server;

  constructor(private readonly state: SimState) {}

  /** Starts listening on 127.0.0.1. */
  listen(cert: { cert: string; key: string }, port: number): Promise<number> {
    const server = https.createServer({ cert: cert.cert, key: cert.key }, (req, res) => {
      this.working++;
      void this.handle(req, res).finally(() => {
        if (--this.working === 0) for (const wake of this.idleWaiters.splice(0)) wake();
      });
    });
    // Longer than clients' idle timeouts, so a reused keep-alive socket is never closed under a request.
    server.keepAliveTimeout = 65_000;
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    server.on('tlsClientError', () => undefined);
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        const address = server.address();
        resolve(typeof address === 'object' && address ? address.port : port);
      });
    });
  }

  /** Requests the server is still working on, answered or not (Graph carries on when a client gives up). */
  get requestsInFlight(): number {
    return this.working;
  }

  /** Resolves true once no request is being worked on, false after `timeoutMs`. */
  idle(timeoutMs: number): Promise<boolean> {
    if (this.working === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        const index = this.idleWaiters.indexOf(wake);
        if (index >= 0) this.idleWaiters.splice(index, 1);
        resolve(false);
      }, timeoutMs);
      const wake = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.idleWaiters.push(wake);
    });
  }

  /** Closes the server and every open socket at once. */
  close(): Promise<void> {
    const server = this.server;
    if (!server) return Promise.resolve();
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    return new Promise((resolve) => server.close(() => resolve()));
  }

  private record(entry: Omit<RequestRecord, 'at'>): void {
    const headers = { ...entry.headers };
    delete headers.authorization;
    this.state.requests.push({ at: new Date(), ...entry, headers });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { rawPath, query } = splitQuery(req.url ?? '/');
    const headers = lowerHeaders(req);
    let body: Buffer;
    try {
      body = await readBody(req);
    } catch {
      return;
    }
    this.state.counters.bytesIn += body.length;
    const incoming: Incoming = { method: (req.method ?? 'GET').toUpperCase(), rawPath, query, headers, body };
    const requestId = crypto.randomUUID();
    const clientRequestId = headers['client-request-id'] ?? requestId;
    let outcome: Outcome;
    let kind: 'graph' | 'token' | 'other' = 'graph';
    try {
      if (/^\/v1\.0(\/|$)/i.test(rawPath)) {
        this.state.counters.graphRequests++;
        outcome = await this.graph(incoming, requestId, clientRequestId);
      } else if (/^\/upload\/AttachmentSessions\/[^/]+$/.test(rawPath)) {
        this.state.counters.graphRequests++;
        const sessionId = rawPath.split('/')[3];
        outcome = await uploadChunk(this.state, {
          method: incoming.method,
          sessionId,
          headers,
          body,
          requestId,
          clientRequestId,
        });
        finish(this.state, rawPath, outcome);
      } else {
        kind = 'token';
        outcome = await answerIdentity(this.state, incoming);
        if (outcome.operation === null) kind = 'other';
      }
    } catch (err) {
      if (err instanceof DropConnection) {
        this.record({
          method: incoming.method,
          rawPath,
          query,
          operation: null,
          mailbox: null,
          status: 0,
          inBatch: false,
          headers,
        });
        req.socket.destroy();
        return;
      }
      const failure = new GraphFailure(
        500,
        'InternalServerError',
        `Simulator error: ${(err as Error).message}`,
      );
      outcome = {
        reply: failureReply(failure, { requestId, clientRequestId }),
        operation: null,
        mailbox: null,
      };
    }
    this.record({
      method: incoming.method,
      rawPath,
      query,
      operation: outcome.operation,
      mailbox: outcome.mailbox,
      status: outcome.reply.status,
      inBatch: false,
      headers,
    });
    this.write(res, outcome, kind, { requestId, clientRequestId });
  }

  private async graph(incoming: Incoming, requestId: string, clientRequestId: string): Promise<Outcome> {
    const path = incoming.rawPath.replace(/^\/v1\.0/i, '') || '/';
    const { body, bodyError } = parseJson(incoming);
    const call: GraphCall = {
      method: incoming.method,
      path,
      query: incoming.query,
      headers: incoming.headers,
      body,
      bodyError,
      bodyBytes: incoming.body.length,
      raw: incoming.body,
      inBatch: false,
      requestId,
      clientRequestId,
    };
    if (path.toLowerCase() === '/$batch' && incoming.method === 'POST')
      return this.batch(call, incoming.headers.authorization);
    return executeGraph(this.state, call, incoming.headers.authorization);
  }

  private async batch(call: GraphCall, authorization: string | undefined): Promise<Outcome> {
    const state = this.state;
    state.countOperation('batch');
    state.counters.batchRequests++;
    const base = { operation: 'batch' as Operation, mailbox: null };
    try {
      state.identity.verify(authorization);
      const rule = state.faults.take({
        operation: 'batch',
        method: 'POST',
        mailbox: null,
        path: call.path,
        inBatch: false,
      });
      if (rule?.kind === 'throttle' || rule?.kind === 'fail') {
        const status = rule.kind === 'throttle' ? 429 : rule.status;
        const code = rule.kind === 'throttle' ? 'ApplicationThrottled' : rule.code;
        const headers: Record<string, string> =
          rule.retryAfter === null ? {} : { 'Retry-After': String(rule.retryAfter) };
        throw new GraphFailure(
          status,
          code,
          rule.kind === 'throttle'
            ? 'Application is over its MailboxConcurrency limit.'
            : 'Injected failure.',
          headers,
        );
      }
      if (rule?.kind === 'drop' && !rule.after) throw new DropConnection();
      if (rule?.kind === 'slow') await delay(rule.delayMs);
      if (call.bodyBytes > state.maxRequestBytes) throw tooLarge();
      const reply = await runBatch(state, call, authorization, (entry) => this.record(entry));
      if (rule?.kind === 'drop') throw new DropConnection();
      // The items ran; the answer is an error anyway.
      if (rule?.kind === 'failAfter') throw faultReply(rule) as GraphFailure;
      return finish(state, call.path, { reply, ...base, malformed: rule?.kind === 'malformed' });
    } catch (err) {
      if (!(err instanceof GraphFailure)) throw err;
      if (err.status === 429) state.counters.throttled++;
      return finish(state, call.path, { reply: failureReply(err, call), ...base });
    }
  }

  private write(
    res: ServerResponse,
    outcome: Outcome,
    kind: 'graph' | 'token' | 'other',
    ids: { requestId: string; clientRequestId: string },
  ): void {
    const reply: GraphReply = outcome.reply;
    const headers: Record<string, string> = { 'Cache-Control': 'no-store', ...(reply.headers ?? {}) };
    const graph = kind === 'graph';
    if (kind === 'token') {
      headers['x-ms-request-id'] = ids.requestId;
      headers['client-request-id'] = ids.clientRequestId;
    }
    if (graph) {
      headers['request-id'] = ids.requestId;
      headers['client-request-id'] = ids.clientRequestId;
      headers['x-ms-ags-diagnostic'] =
        '{"ServerInfo":{"DataCenter":"Simulator","Slice":"E","Ring":"5","ScaleUnit":"000","RoleInstance":"SIM"}}';
      headers['Strict-Transport-Security'] = 'max-age=31536000';
    }
    let payload: Buffer | undefined;
    let status = reply.status;
    if (Buffer.isBuffer(reply.body)) payload = reply.body;
    else if (reply.body !== undefined) {
      payload = Buffer.from(JSON.stringify(reply.body), 'utf8');
      headers['Content-Type'] = graph
        ? 'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8'
        : 'application/json; charset=utf-8';
    }
    if (outcome.malformed) {
      const text = payload ? payload.toString('utf8') : '{"value":[{"id":"AAMkAG';
      payload = Buffer.from(text.slice(0, Math.max(1, Math.floor(text.length / 2))), 'utf8');
      headers['Content-Type'] = 'application/json; charset=utf-8';
      if (status < 200 || status >= 300 || reply.body === undefined) status = 200;
    }
    if (payload) headers['Content-Length'] = String(payload.length);
    else if (status !== 204) headers['Content-Length'] = '0';
    this.state.counters.bytesOut += payload?.length ?? 0;
    res.writeHead(status, headers);
    res.end(payload);
  }
}
