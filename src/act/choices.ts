/**
 * The choices of o365-mail-action's properties: its operations and category modes. No imports, so the editor
 * (src/editor/o365-mail-action.ts) offers and checks exactly what the runtime (src/act/operations.ts) accepts.
 */
export const OPERATIONS = [
  'markRead',
  'markUnread',
  'move',
  'copy',
  'delete',
  'flag',
  'unflag',
  'complete',
  'categorize',
  'get',
  'getMime',
] as const;

export type Operation = (typeof OPERATIONS)[number];

export const CATEGORY_MODES = ['add', 'remove', 'set'] as const;

export type CategoryMode = (typeof CATEGORY_MODES)[number];
