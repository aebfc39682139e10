/** The mail-in engine, as the node glue uses it: a Receiver per node, its hooks and the cursor in the node's context. */
export { contextCursorStore, forgetCursor } from './cursor';
export type { Notice, ReceiveHooks } from './hooks';
export { MailError } from './mail-error';
export type { PollSummary } from './poll';
export { Receiver } from './receiver';
