/** Sending mail: the engine behind o365-mail-out (no Node-RED here). */
export * from './errors';
export * from './input';
export * from './queue';
export * from './sender';
