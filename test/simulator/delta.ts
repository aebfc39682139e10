/** Delta query for the messages of one folder: pages with nextLink, a final deltaLink, then only changes. */
import { badRequest, GraphFailure } from './errors';
import { contextUrl, pathFolder } from './graph-folders';
import { preferredBodyType } from './graph-messages';
import { decodeState, encodeState } from './ids';
import { parseFilter, parseSelect } from './odata';
import type { GraphReply, HandlerContext } from './handler';
import type { MessageRecord } from './store';
import { messageView } from './views';

interface DeltaState {
  /** Generation: invalidateDeltaTokens() makes older tokens stale. */
  g: number;
  m: string;
  f: string;
  /** Changes after this store sequence number belong to the round. */
  s: number;
  /** Upper bound of the round (skip tokens only). */
  u?: number;
  /** Last sequence number already returned in this round (skip tokens only). */
  c?: number;
  sel?: string;
  flt?: string;
  /** Shuffled round id (deltaShuffle) and the offset reached in it (skip tokens only). */
  r?: string;
  o?: number;
}

const staleToken = (): GraphFailure =>
  new GraphFailure(
    410,
    'syncStateNotFound',
    'The sync state generation is not found. The delta token is expired and data must be synchronized again.',
  );

function pageSize(ctx: HandlerContext): number {
  const m = /odata\.maxpagesize\s*=\s*(\d+)/i.exec(ctx.call.headers.prefer ?? '');
  return m ? Math.max(1, Math.min(1000, Number(m[1]))) : 10;
}

function readToken(ctx: HandlerContext, token: string): DeltaState {
  const state = decodeState<DeltaState>(token);
  if (!state || typeof state.g !== 'number' || typeof state.s !== 'number' || typeof state.f !== 'string') {
    throw new GraphFailure(
      400,
      'ErrorInvalidSyncStateData',
      'The sync state data is corrupt or otherwise invalid.',
    );
  }
  if (state.g !== ctx.state.deltaGeneration) throw staleToken();
  if (state.m !== ctx.mailbox.address) {
    throw new GraphFailure(
      400,
      'ErrorInvalidSyncStateData',
      'The sync state data is corrupt or otherwise invalid.',
    );
  }
  return state;
}

/** How a cloud without message delta answers (docs issue 2163: China and Germany, 'delta' read as an item id). */
const noDelta = (): GraphFailure => new GraphFailure(400, 'ErrorInvalidIdMalformed', 'Id is malformed.');

/** A saved link turning stale on its own (staleNextDeltaLinks, or the deltaStaleRate quirk). */
function maybeStale(ctx: HandlerContext): void {
  const state = ctx.state;
  if (state.staleDeltaLinks > 0) {
    state.staleDeltaLinks--;
    throw staleToken();
  }
  if (state.random.chance(state.quirks.deltaStaleRate)) throw staleToken();
}

/** The item of a changed mail as some delta rounds return it: only id, isRead and parentFolderId (issue 7776). */
function partialView(record: MessageRecord): Record<string, unknown> {
  const m = record.message;
  return {
    '@odata.type': '#microsoft.graph.message',
    '@odata.etag': `W/"${m.changeKey}"`,
    id: m.id,
    isRead: m.isRead,
    parentFolderId: m.parentFolderId,
  };
}

export function deltaMessages(ctx: HandlerContext): GraphReply {
  if (!ctx.state.messageDelta) throw noDelta();
  const folder = pathFolder(ctx);
  const query = ctx.call.query;
  const skipToken = query.$skiptoken ?? query.skiptoken;
  const deltaToken = query.$deltatoken ?? query.deltatoken;
  let round: DeltaState;
  if (skipToken !== undefined) {
    round = readToken(ctx, skipToken);
    maybeStale(ctx);
  } else if (deltaToken !== undefined) {
    round = { ...readToken(ctx, deltaToken), u: undefined, c: undefined, r: undefined, o: undefined };
    maybeStale(ctx);
  } else {
    if (query.$search !== undefined || query.search !== undefined) {
      throw badRequest("The query parameter '$search' is not supported with delta.", 'ErrorInvalidUrlQuery');
    }
    round = {
      g: ctx.state.deltaGeneration,
      m: ctx.mailbox.address,
      f: folder.id,
      s: 0,
      sel: query.$select,
      flt: query.$filter,
    };
  }
  if (round.f !== folder.id) {
    throw new GraphFailure(
      400,
      'ErrorInvalidSyncStateData',
      'The sync state data is corrupt or otherwise invalid.',
    );
  }
  const upto = round.u ?? ctx.state.store.currentSeq;
  const cursor = round.c ?? round.s;
  const select = parseSelect(round.sel);
  const filter = round.flt !== undefined ? parseFilter(round.flt).predicate : undefined;
  const { bodyType, applied } = preferredBodyType(ctx);
  const size = pageSize(ctx);
  const later = round.s > 0;
  const view = (record: MessageRecord): Record<string, unknown> =>
    later && record.changeSeq !== record.seq && ctx.state.random.chance(ctx.state.quirks.deltaPartialItems)
      ? partialView(record)
      : messageView(record.message, { select, bodyType, basic: ctx.basic });
  const headers: Record<string, string> = {};
  const prefs = [
    applied,
    /odata\.maxpagesize/i.test(ctx.call.headers.prefer ?? '') ? `odata.maxpagesize=${size}` : undefined,
  ];
  if (prefs.some(Boolean)) headers['Preference-Applied'] = prefs.filter(Boolean).join(', ');
  const base = `${ctx.state.baseUrl}/v1.0${ctx.call.path}`;
  const context = contextUrl(
    ctx,
    `mailFolders('${ctx.params.folder}')/messages(${select ? select.join(',') : ''})`,
  );

  if (round.r !== undefined || (skipToken === undefined && ctx.state.quirks.deltaShuffle)) {
    // Shuffled round: a snapshot of the round's entries in random order, served from an offset.
    const rounds = ctx.state.deltaRounds;
    if (round.r === undefined) {
      const entries: { seq: number; id: string; removed: boolean }[] = [];
      for (const [id, seq] of folder.byChange)
        if (seq > round.s && seq <= upto) entries.push({ seq, id, removed: false });
      if (later)
        for (const gone of folder.removed)
          if (gone.seq > round.s && gone.seq <= upto)
            entries.push({ seq: gone.seq, id: gone.id, removed: true });
      round = { ...round, u: upto, r: `r${++ctx.state.deltaRoundCounter}`, o: 0 };
      rounds.set(round.r as string, ctx.state.random.shuffle(entries));
      while (rounds.size > 200) rounds.delete(rounds.keys().next().value as string);
    }
    const entries = rounds.get(round.r as string);
    if (!entries) throw staleToken();
    const value: Record<string, unknown>[] = [];
    let offset = round.o ?? 0;
    for (; offset < entries.length && value.length < size; offset++) {
      const entry = entries[offset];
      if (entry.removed) {
        value.push({
          '@odata.type': '#microsoft.graph.message',
          id: entry.id,
          '@removed': { reason: 'deleted' },
        });
        continue;
      }
      const record = ctx.mailbox.messages.get(entry.id);
      // Changed again or gone since the round began: the next round reports it.
      if (!record || record.changeSeq !== entry.seq || (filter && !filter(record.message))) continue;
      value.push(view(record));
    }
    const body: Record<string, unknown> = { '@odata.context': context, value };
    if (offset < entries.length) {
      body['@odata.nextLink'] = `${base}?$skiptoken=${encodeState({ ...round, o: offset })}`;
    } else {
      rounds.delete(round.r as string);
      const done: DeltaState = {
        g: round.g,
        m: round.m,
        f: round.f,
        s: upto,
        sel: round.sel,
        flt: round.flt,
      };
      body['@odata.deltaLink'] = `${base}?$deltatoken=${encodeState(done)}`;
    }
    return { status: 200, headers, body, schema: 'messageCollectionResponse' };
  }

  // byChange iterates in ascending change order and removed is ascending: merge both, stop once the page is full.
  const changes: { seq: number; item: Record<string, unknown> }[] = [];
  const removed = round.s > 0 ? folder.removed.filter((r) => r.seq > cursor && r.seq <= upto) : [];
  let r = 0;
  const takeRemovedUpTo = (seq: number): void => {
    while (r < removed.length && removed[r].seq < seq && changes.length <= size) {
      const gone = removed[r++];
      changes.push({
        seq: gone.seq,
        item: { '@odata.type': '#microsoft.graph.message', id: gone.id, '@removed': { reason: 'deleted' } },
      });
    }
  };
  for (const [id, changeSeq] of folder.byChange) {
    if (changes.length > size) break;
    if (changeSeq <= cursor) continue;
    if (changeSeq > upto) break;
    const record = ctx.mailbox.messages.get(id);
    if (!record || (filter && !filter(record.message))) continue;
    takeRemovedUpTo(changeSeq);
    if (changes.length > size) break;
    changes.push({ seq: changeSeq, item: view(record) });
  }
  takeRemovedUpTo(Number.POSITIVE_INFINITY);
  const page = changes.slice(0, size);
  const body: Record<string, unknown> = { '@odata.context': context, value: page.map((c) => c.item) };
  if (changes.length > size) {
    const next: DeltaState = { ...round, u: upto, c: page[page.length - 1].seq };
    body['@odata.nextLink'] = `${base}?$skiptoken=${encodeState(next)}`;
  } else {
    const done: DeltaState = { g: round.g, m: round.m, f: round.f, s: upto, sel: round.sel, flt: round.flt };
    body['@odata.deltaLink'] = `${base}?$deltatoken=${encodeState(done)}`;
  }
  return { status: 200, headers, body, schema: 'messageCollectionResponse' };
}
