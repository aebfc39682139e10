/** The mail-in engine: polling a mailbox folder through Graph, no Node-RED. */
export * from './acknowledge';
export * from './assemble';
export * from './claim';
export * from './context';
export * from './cursor';
export * from './delta';
export * from './drain';
export * from './filter';
export * from './memory';
export * from './options';
export * from './page';
export * from './receiver';
export * from './watermark';
