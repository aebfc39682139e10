/**
 * Multi-instance safety with Exchange as the coordinator: a mail is first moved into a claim folder. A move is atomic
 * (the item gets a new id; a second mover gets ErrorItemNotFound), so exactly one consumer wins each mail and only the
 * winner delivers it. A claim left behind by a consumer that died is moved back after the claim timeout.
 */
import { GraphError } from '../graph/errors';
import type { GraphMessage } from '../graph/mail-api';
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

/** Categories that mark a claim: this prefix and the time of the claim (Graph's clock, ISO). */
export const CLAIM_CATEGORY = 'o365-claim ';

/** The mail's categories without claim marks (what it had before it was claimed). */
export function withoutClaim(categories: unknown): string[] {
  return Array.isArray(categories)
    ? categories.filter((c): c is string => typeof c === 'string' && !c.startsWith(CLAIM_CATEGORY))
    : [];
}

/** When the mail was claimed, from its claim mark; undefined when it has none. */
export function claimedAt(categories: unknown): number | undefined {
  if (!Array.isArray(categories)) return undefined;
  for (const c of categories) {
    if (typeof c !== 'string' || !c.startsWith(CLAIM_CATEGORY)) continue;
    const at = Date.parse(c.slice(CLAIM_CATEGORY.length));
    if (!Number.isNaN(at)) return at;
  }
  return undefined;
}

/**
 * Claims mails: each is marked with the claim time (a category, in a PATCH) and moved into the claim folder once its
 * mark is set (a second round of requests: Graph refuses a `$batch` mixing chained and free items). The mark travels with the mail (a move copies it), so
 * every consumer, also after a restart, can tell how old a claim is without trusting what a move does to
 * lastModifiedDateTime (nothing documents it). `at` is Graph's clock when it listed the mails. Resolves with the new
 * id of each mail this consumer won (others lost: the mark or the move found the mail gone).
 */
export async function claimMails(
  api: ReceiveApi,
  mails: GraphMessage[],
  claimId: string,
  at: string,
  signal?: AbortSignal,
): Promise<{ won: Map<string, string>; lost: string[]; failed: { id: string; error?: Error }[] }> {
  const mark = `${CLAIM_CATEGORY}${at}`;
  const categories = new Map(mails.map((m) => [m.id, [...withoutClaim(m.categories), mark]]));
  const patch = (id: string) => ({ categories: categories.get(id) ?? [mark] });
  const ids = mails.map((m) => m.id);
  const outcomes = await acknowledgeAll(api, ids, 'move', claimId, signal, false, patch);
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
 * Moves claims older than the claim timeout back into the polled folder (their claim mark removed), so a mail claimed
 * by a consumer that died before acknowledging it is delivered again (at least once). A claim's age is Graph's clock
 * now (the listing's Date header) minus the time in its mark; a claim without a mark (made by an earlier version) is
 * as old as its lastModifiedDateTime. Resolves with how many went back.
 */
export async function releaseStaleClaims(
  api: ReceiveApi,
  claimId: string,
  sourceId: string,
  timeoutMs: number,
  keep: (id: string) => boolean,
  signal?: AbortSignal,
): Promise<number> {
  const stale = new Map<string, string[]>();
  const pages = api.listMessages(
    claimId,
    { select: ['id', 'categories', 'lastModifiedDateTime'], top: 100, bodyFormat: 'text' },
    signal,
  );
  for await (const page of pages) {
    const now = page.date ? Date.parse(page.date) : Date.now();
    for (const m of page.value) {
      const at = claimedAt(m.categories) ?? Date.parse(String(m.lastModifiedDateTime));
      if (!keep(m.id) && now - at >= timeoutMs) stale.set(m.id, withoutClaim(m.categories));
    }
    if (stale.size >= 1000) break;
  }
  if (stale.size === 0) return 0;
  const patch = (id: string) => ({ categories: stale.get(id) ?? [] });
  const outcomes = await acknowledgeAll(api, [...stale.keys()], 'move', sourceId, signal, true, patch);
  return outcomes.filter((o) => o.ok && !o.gone).length;
}
