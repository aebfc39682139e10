/**
 * Acknowledgements sent in `$batch` requests of 20 as mails are delivered, several batches in flight (the runtime-wide
 * mailbox limiter keeps them within Exchange's 4 concurrent operations).
 */
import { O365Error } from '../graph/errors';
import type { AcknowledgeAction, AcknowledgeResult } from '../graph/mail-api';
import type { ReceiveApi } from './assemble';

export const BATCH_SIZE = 20;

/** What happened to one acknowledged mail. */
export interface AckOutcome {
  id: string;
  ok: boolean;
  /** Someone else already moved or deleted it (a claim lost, or a second consumer). */
  gone: boolean;
  newId?: string;
  error?: Error;
}

/**
 * Acknowledges `ids` in chunks of 20, all chunks at once; never throws except when aborted. Items Graph did not
 * process (an item's 401 when the token expired under the batch) are sent once more; with `repeatUnknown`, also
 * items whose outcome is unknown (5xx, dropped): safe for read, delete and move (a repeat of a move that was done
 * finds the item gone), not for a claim (that would take the consumer's own claim for someone else's). `patch` sets
 * properties of each mail with it (see MailApi.acknowledge).
 */
export async function acknowledgeAll(
  api: ReceiveApi,
  ids: string[],
  action: AcknowledgeAction,
  destinationId: string | undefined,
  signal?: AbortSignal,
  repeatUnknown = true,
  patch?: (id: string) => Record<string, unknown>,
): Promise<AckOutcome[]> {
  const request: AckRequest = { action, destinationId, signal, patch };
  // A PATCH chained to each move takes two items of a batch of 20.
  const size = patch && action === 'move' ? BATCH_SIZE / 2 : BATCH_SIZE;
  const inChunks = async (list: string[]) => {
    const chunks: string[][] = [];
    for (let i = 0; i < list.length; i += size) chunks.push(list.slice(i, i + size));
    return (await Promise.all(chunks.map((chunk) => acknowledgeChunk(api, chunk, request)))).flat();
  };
  const first = await inChunks(ids);
  const again = first.filter((o) => !o.ok && worthRepeating(o.error, repeatUnknown)).map((o) => o.id);
  if (again.length === 0) return first;
  const second = new Map((await inChunks(again)).map((o) => [o.id, o]));
  return first.map((o) => second.get(o.id) ?? o);
}

interface AckRequest {
  action: AcknowledgeAction;
  destinationId: string | undefined;
  signal?: AbortSignal;
  patch?: (id: string) => Record<string, unknown>;
}

function worthRepeating(error: Error | undefined, repeatUnknown: boolean): boolean {
  const status = error instanceof O365Error ? error.status : undefined;
  if (status === 401 || status === 429 || status === 503) return true;
  return repeatUnknown && (status === undefined || status >= 500);
}

/** One `$batch` of acknowledgements; a request that failed as a whole fails each of its mails. */
async function acknowledgeChunk(api: ReceiveApi, ids: string[], request: AckRequest): Promise<AckOutcome[]> {
  let results: AcknowledgeResult[];
  try {
    results = await api.acknowledge(
      ids,
      request.action,
      request.destinationId,
      request.signal,
      request.patch,
    );
  } catch (err) {
    if (request.signal?.aborted) throw err;
    const error = err instanceof Error ? err : new Error(String(err));
    return ids.map((id) => ({ id, ok: false, gone: false, error }));
  }
  return results.map((r) => ({ id: r.id, ok: r.ok, gone: r.gone === true, newId: r.newId, error: r.error }));
}

/**
 * Collects delivered mails and sends their acknowledgement as soon as a batch of 20 is full, so acknowledging
 * overlaps with delivering; `flush()` sends the rest and resolves with every outcome. At most `maxInFlight` batches
 * wait at once (a batch takes all 4 mailbox slots, so more would only queue).
 */
export class AckQueue {
  private pending: string[] = [];
  private readonly sent: Promise<AckOutcome[]>[] = [];
  private readonly active = new Set<Promise<unknown>>();

  constructor(
    private readonly send: (ids: string[]) => Promise<AckOutcome[]>,
    private readonly size = BATCH_SIZE,
    private readonly maxInFlight = 4,
  ) {}

  /** Queues a delivered mail; resolves when there is room for more (back-pressure on delivery). */
  async add(id: string): Promise<void> {
    this.pending.push(id);
    if (this.pending.length < this.size) return;
    this.sendPending();
    while (this.active.size >= this.maxInFlight) await Promise.race(this.active);
  }

  async flush(): Promise<AckOutcome[]> {
    if (this.pending.length > 0) this.sendPending();
    const outcomes = await Promise.all(this.sent);
    this.sent.length = 0;
    return outcomes.flat();
  }

  private sendPending(): void {
    const ids = this.pending;
    this.pending = [];
    const sent = this.send(ids);
    const settled = sent.then(
      () => undefined,
      () => undefined, // an abort: flush() reports it
    );
    this.active.add(settled);
    void settled.then(() => this.active.delete(settled));
    this.sent.push(sent);
  }
}
