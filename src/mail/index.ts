/** Pure mail mapping: recipients, bodies, attachments, outgoing and incoming messages, OData escaping. */
export * from './recipients';
export * from './content-type';
export * from './body';
export * from './attachments';
export * from './outbound';
export * from './inbound';
export * from './odata';
