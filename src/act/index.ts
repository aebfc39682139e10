/** Acting on existing mail: the engine behind o365-mail-action (no Node-RED here). */
export * from './actor';
export * from './coalescer';
export * from './errors';
export * from './input';
export * from './operations';
