/**
 * Multi-instance safety with Exchange as the coordinator: a mail is first moved into a claim folder. A move is atomic
 * (the item gets a new id; a second mover gets ErrorItemNotFound), so exactly one consumer wins each mail and only the
 * winner delivers it. A claim left behind by a consumer that died is moved back after the claim timeout.
 */
import { GraphError } from '../graph/errors';
import { acknowledgeAll } from './acknowledge';
import type { ReceiveApi } from './assemble';
import { DEFAULT_CLAIM_FOLDER_NAME, ReceiveOptions } from './options';

/** Resolves (creating when missing) the claim folder; cached by the caller. */
export async function claimFolderId(
  api: ReceiveApi,
  options: ReceiveOptions,
  sourceId: string,
  signal?: AbortSignal,
): Promise<string> {
  const spec = options.claimFolder;
  if (!spec) return api.ensureChildFolder(sourceId, DEFAULT_CLAIM_FOLDER_NAME, signal);
  try {
    return await api.resolveFolder(spec, signal);
  } catch (err) {
    if (!(err instanceof GraphError && err.reason === 'item-not-found')) throw err;
  }
  // Only the last segment is created: a missing parent is more likely a typo than a wish.
  const segments = spec.split('/').filter((s) => s.trim() !== '');
  const name = segments.pop() as string;
  const parentId = segments.length ? await api.resolveFolder(segments.join('/'), signal) : null;
  return api.ensureChildFolder(parentId, name, signal);
}

/** Moves mails into the claim folder; resolves with the new id of each mail this consumer won (others lost). */
export async function claimMails(
  api: ReceiveApi,
  ids: string[],
  claimId: string,
  signal?: AbortSignal,
): Promise<{ won: Map<string, string>; lost: string[]; failed: { id: string; error?: Error }[] }> {
  const outcomes = await acknowledgeAll(api, ids, 'move', claimId, signal, false);
  const won = new Map<string, string>();
  const lost: string[] = [];
  const failed: { id: string; error?: Error }[] = [];
  for (const outcome of outcomes) {
    if (outcome.ok && !outcome.gone && outcome.newId) won.set(outcome.id, outcome.newId);
    else if (outcome.gone) lost.push(outcome.id);
    else failed.push({ id: outcome.id, error: outcome.error });
  }
  return { won, lost, failed };
}

/**
 * Moves claims older than the claim timeout back into the polled folder, so a mail claimed by a consumer that died
 * before acknowledging it is delivered again (at least once). Resolves with how many went back.
 */
export async function releaseStaleClaims(
  api: ReceiveApi,
  claimId: string,
  sourceId: string,
  timeoutMs: number,
  keep: (id: string) => boolean,
  signal?: AbortSignal,
  now = Date.now(),
): Promise<number> {
  const before = new Date(now - timeoutMs).toISOString();
  const ids: string[] = [];
  const pages = api.listMessages(
    claimId,
    {
      select: ['id', 'lastModifiedDateTime'],
      filter: `lastModifiedDateTime lt ${before}`,
      top: 100,
      bodyFormat: 'text',
    },
    signal,
  );
  for await (const page of pages) {
    for (const m of page.value) if (!keep(m.id)) ids.push(m.id);
    if (ids.length >= 1000) break;
  }
  if (ids.length === 0) return 0;
  const outcomes = await acknowledgeAll(api, ids, 'move', sourceId, signal);
  return outcomes.filter((o) => o.ok && !o.gone).length;
}
