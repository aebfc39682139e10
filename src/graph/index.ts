/** Identity and Graph access: no Node-RED here. */
export * from './account';
export * from './client';
export * from './connection';
export * from './errors';
export * from './http';
export * from './limiter';
export * from './mail-api';
export * from './token';
export * from './types';
