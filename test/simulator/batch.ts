/** JSON $batch: each item is one operation through the same pipeline, at most 4 at a time per mailbox. */
import { badRequest, GraphFailure } from './errors';
import { executeGraph, failureReply, type GraphCall, type GraphReply, type Outcome } from './router';
import type { SimState } from './state';
import type { RequestRecord } from './types';

interface BatchItemRequest {
  id: string;
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: unknown;
  dependsOn?: string[];
}

/** Runs at most `limit` tasks at once per key. */
class KeyedLimiter {
  private readonly running = new Map<string, number>();
  private readonly waiting = new Map<string, (() => void)[]>();

  constructor(private readonly limit: number) {}

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    if ((this.running.get(key) ?? 0) >= this.limit) {
      await new Promise<void>((resolve) => {
        const queue = this.waiting.get(key) ?? [];
        queue.push(resolve);
        this.waiting.set(key, queue);
      });
    }
    this.running.set(key, (this.running.get(key) ?? 0) + 1);
    try {
      return await task();
    } finally {
      this.running.set(key, (this.running.get(key) ?? 1) - 1);
      this.waiting.get(key)?.shift()?.();
    }
  }
}

function splitUrl(url: string): { path: string; query: Record<string, string> } {
  const relative = url.startsWith('/') ? url : `/${url}`;
  const withoutVersion = relative.replace(/^\/v1\.0(?=\/)/i, '');
  const at = withoutVersion.indexOf('?');
  const path = at < 0 ? withoutVersion : withoutVersion.slice(0, at);
  const query: Record<string, string> = {};
  if (at >= 0) for (const [k, v] of new URLSearchParams(withoutVersion.slice(at + 1))) query[k] = v;
  return { path, query };
}

/** Checks the batch body; throws Graph's 400 answers. */
function readBatch(
  state: SimState,
  body: unknown,
  bodyError: string | undefined,
  path: string,
): BatchItemRequest[] {
  if (bodyError || body === undefined) {
    throw badRequest(
      'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.',
    );
  }
  const requests = (body as { requests?: unknown }).requests;
  const errors = state.validate('request', 'strict', 'batchRequest', body, path);
  if (Array.isArray(requests) && requests.length > 20) {
    throw badRequest('Number of requests in batch exceeds the limit of 20.', 'BadRequest');
  }
  if (errors.length) throw badRequest(`Invalid batch payload: ${errors.join('; ')}`, 'BadRequest');
  const items = requests as BatchItemRequest[];
  const ids = new Set<string>();
  for (const item of items) {
    if (ids.has(item.id)) throw badRequest(`Request id '${item.id}' is duplicated in the batch.`);
    ids.add(item.id);
  }
  for (const item of items) {
    for (const dep of item.dependsOn ?? []) {
      if (!ids.has(dep))
        throw badRequest(`Request '${item.id}' depends on '${dep}', which is not in the batch.`);
    }
  }
  if (!dependencyShapeAccepted(items)) {
    throw badRequest('Batch should be either fully sequential or fully parallel.', 'BadRequest');
  }
  return items;
}

/**
 * The shapes of `dependsOn` Graph runs (microsoft-graph-docs issue 16280: a batch mixing chained and free items is
 * answered 400 "Batch should be either fully sequential or fully parallel"; Microsoft's Graph JS SDK,
 * BatchRequestContent.validateDependencies, names the three accepted patterns): parallel (no item depends on another),
 * serial (every item after the first depends on exactly the one before it), or same (every item that depends on
 * another names the same single one).
 */
function dependencyShapeAccepted(items: Array<{ id: string; dependsOn?: string[] }>): boolean {
  const dependent = items.filter((item) => (item.dependsOn ?? []).length > 0);
  if (dependent.length === 0) return true;
  const serial = items.every((item, index) =>
    index === 0
      ? (item.dependsOn ?? []).length === 0
      : item.dependsOn?.length === 1 && item.dependsOn[0] === items[index - 1].id,
  );
  if (serial) return true;
  const first = dependent[0].dependsOn?.[0];
  return dependent.every((item) => item.dependsOn?.length === 1 && item.dependsOn[0] === first);
}

function itemResponse(item: BatchItemRequest, outcome: Outcome): Record<string, unknown> {
  const reply: GraphReply = outcome.reply;
  const headers: Record<string, string> = { ...(reply.headers ?? {}) };
  let body: unknown = reply.body;
  if (Buffer.isBuffer(body)) {
    headers['Content-Type'] = headers['Content-Type'] ?? 'application/octet-stream';
    body = body.toString('base64');
  } else if (body !== undefined) {
    headers['Content-Type'] =
      'application/json; odata.metadata=minimal; odata.streaming=true; IEEE754Compatible=false; charset=utf-8';
    if (outcome.malformed)
      body = JSON.stringify(body).slice(0, Math.max(1, Math.floor(JSON.stringify(body).length / 2)));
  }
  const response: Record<string, unknown> = { id: item.id, status: reply.status, headers };
  if (body !== undefined) response.body = body;
  return response;
}

/** Answers POST /v1.0/$batch; item failures are item statuses, a dropped item drops the whole connection. */
export async function runBatch(
  state: SimState,
  outer: GraphCall,
  authorization: string | undefined,
  record: (entry: Omit<RequestRecord, 'at'>) => void,
): Promise<GraphReply> {
  const items = readBatch(state, outer.body, outer.bodyError, outer.path);
  const limiter = new KeyedLimiter(4);
  const results = new Map<string, Promise<Outcome>>();
  const start = (item: BatchItemRequest): Promise<Outcome> => {
    const existing = results.get(item.id);
    if (existing) return existing;
    const promise = (async (): Promise<Outcome> => {
      const deps = await Promise.all(
        (item.dependsOn ?? []).map((d) => start(items.find((i) => i.id === d) as BatchItemRequest)),
      );
      const { path, query } = splitUrl(item.url);
      const call: GraphCall = {
        method: item.method.toUpperCase(),
        path,
        query,
        headers: Object.fromEntries(Object.entries(item.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
        body: item.body,
        bodyBytes: item.body === undefined ? 0 : Buffer.byteLength(JSON.stringify(item.body)),
        inBatch: true,
        requestId: outer.requestId,
        clientRequestId: outer.clientRequestId,
      };
      if (deps.some((d) => d.reply.status >= 400)) {
        const failure = new GraphFailure(
          424,
          'FailedDependency',
          'The request depends on a request that failed.',
        );
        return { reply: failureReply(failure, call), operation: null, mailbox: null };
      }
      const mailboxKey = (path.split('/')[2] ?? '').toLowerCase();
      const outcome = await limiter.run(mailboxKey, () => executeGraph(state, call, authorization));
      record({
        method: call.method,
        rawPath: path,
        query,
        operation: outcome.operation,
        mailbox: outcome.mailbox,
        status: outcome.reply.status,
        inBatch: true,
        headers: call.headers,
      });
      return outcome;
    })();
    results.set(item.id, promise);
    return promise;
  };
  const outcomes = await Promise.all(items.map(start));
  return {
    status: 200,
    body: { responses: items.map((item, i) => itemResponse(item, outcomes[i])) },
    schema: 'batchResponse',
  };
}
