/**
 * The cursor of action none at its bound (src/receive/seen.ts: the 10,000 newest delivered mails): how big it is as
 * stored, and how long saving it takes through Node-RED's own localfilesystem context store with its cache off (each
 * save writes the file; with the default cache a save is an in-memory set and the file is written every 30 s).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Cursor, type StoredCursor } from '../src/receive/cursor';
import { SEEN_LIMIT } from '../src/receive/seen';
import { Figure, info } from './measure';

interface ContextStore {
  open(): Promise<void>;
  close(): Promise<void>;
  set(scope: string, key: string, value: unknown, callback: (err?: unknown) => void): void;
}

/** Node-RED's file context store (the module settings.js names `localfilesystem`). */
function fileStore(dir: string): ContextStore {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const create = require('@node-red/runtime/lib/nodes/context/localfilesystem.js') as (
    config: object,
  ) => ContextStore;
  return create({ dir, cache: false });
}

/** An Exchange-like message id (152 characters, as Graph gives them). */
const messageId = () => 'AAMkAG' + randomBytes(109).toString('base64').slice(0, 146);

export interface CursorRun {
  bytes: number;
  settleMs: number;
  saveAfterPageMs: number;
  saveAfterRoundMs: number;
  loadMs: number;
}

export async function measureCursorAtBound(samples = 20): Promise<CursorRun> {
  const cursor = new Cursor('bench');
  const start = Date.parse('2026-01-01T00:00:00Z');
  for (let i = 0; i < SEEN_LIMIT; i++) cursor.seen.add(messageId(), new Date(start + i * 1000).toISOString());
  cursor.link = `https://graph.microsoft.com/v1.0/users/x/mailFolders/y/messages/delta?$deltatoken=${randomBytes(300).toString('base64url')}`;
  let t = performance.now();
  cursor.seen.settle();
  const settleMs = performance.now() - t;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'o365-bench-cursor-'));
  const store = fileStore(dir);
  await store.open();
  const save = (value: StoredCursor) =>
    new Promise<void>((resolve, reject) =>
      store.set('node:flow', 'o365MailInCursor', value, (err) => (err ? reject(err) : resolve())),
    );
  try {
    // After a delta page: a few mails more in the round; the settled set is packed already.
    t = performance.now();
    for (let i = 0; i < samples; i++) {
      cursor.seen.add(messageId(), new Date().toISOString());
      await save(cursor.toStored());
    }
    const saveAfterPageMs = (performance.now() - t) / samples;
    // After a round: the set is trimmed to its bound and packed again.
    t = performance.now();
    for (let i = 0; i < samples; i++) {
      cursor.seen.add(messageId(), new Date().toISOString());
      cursor.seen.settle();
      await save(cursor.toStored());
    }
    const saveAfterRoundMs = (performance.now() - t) / samples;
    const stored = JSON.stringify(cursor.toStored());
    t = performance.now();
    for (let i = 0; i < samples; i++) Cursor.fromStored(JSON.parse(stored), 'bench');
    const loadMs = (performance.now() - t) / samples;
    return { bytes: Buffer.byteLength(stored), settleMs, saveAfterPageMs, saveAfterRoundMs, loadMs };
  } finally {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function cursorFigures(run: CursorRun): Figure[] {
  return [
    {
      ...info('receive.cursor.kbAtBound', `stored cursor at ${SEEN_LIMIT} mails`, run.bytes / 1024, 'KB'),
      note: `${run.bytes} bytes of JSON (12 bytes a mail, base64)`,
    },
    info(
      'receive.cursor.saveMs.page',
      'save after a delta page (localfilesystem, no cache)',
      run.saveAfterPageMs,
      'ms',
    ),
    {
      ...info(
        'receive.cursor.saveMs.round',
        'trim to the bound and save after a round',
        run.saveAfterRoundMs,
        'ms',
      ),
      note: `trimming alone: ${run.settleMs.toFixed(1)} ms the first time`,
    },
    info('receive.cursor.loadMs', 'read the stored cursor back', run.loadMs, 'ms'),
  ];
}
