/**
 * The parts of Node-RED's runtime API these nodes use, typed here so the package needs no Node-RED typings.
 * Only the glue (src/o365-*.ts and src/red/) refers to them.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Connection } from '../graph/connection';
import type { O365Error } from '../graph/errors';

export interface NodeStatus {
  fill?: 'red' | 'green' | 'yellow' | 'blue' | 'grey';
  shape?: 'ring' | 'dot';
  text?: string;
}

export type NodeMessage = Record<string, unknown> & { _msgid?: string };

export interface Node {
  id: string;
  type: string;
  name?: string;
  z?: string;
  credentials?: Record<string, string | undefined>;
  on(
    event: 'input',
    listener: (
      msg: NodeMessage,
      send: (msg: NodeMessage | NodeMessage[]) => void,
      done: (err?: Error) => void,
    ) => void,
  ): void;
  on(event: 'close', listener: (removed: boolean, done: () => void) => void): void;
  send(msg: NodeMessage | NodeMessage[]): void;
  status(status: NodeStatus): void;
  log(text: string): void;
  warn(text: string): void;
  error(err: string | Error, msg?: NodeMessage): void;
  context(): {
    get(key: string, store?: string, callback?: (err: Error | null, value: unknown) => void): unknown;
    set(key: string, value: unknown, store?: string, callback?: (err: Error | null) => void): void;
  };
}

export interface ExpressLike {
  get(
    path: string,
    ...handlers: Array<(req: HttpRequest, res: HttpResponse, next: () => void) => void>
  ): void;
  post(
    path: string,
    ...handlers: Array<(req: HttpRequest, res: HttpResponse, next: () => void) => void>
  ): void;
}

/** A request to RED.httpNode: Node's request, with what express adds (and a body, if some parser read it). */
export type PublicHttpRequest = IncomingMessage & {
  params: Record<string, string>;
  query: Record<string, unknown>;
  body?: unknown;
  /** Set by body-parser when it read the body. */
  _body?: boolean;
};

/** RED.httpNode: Node-RED's public HTTP app, under httpNodeRoot. */
export interface PublicHttpApp {
  post(path: string, handler: (req: PublicHttpRequest, res: ServerResponse) => void): void;
}

export interface HttpRequest {
  body?: unknown;
  query: Record<string, string | undefined>;
  params: Record<string, string>;
}

export interface HttpResponse {
  status(code: number): HttpResponse;
  json(body: unknown): void;
  set(field: string, value: string): HttpResponse;
  send(body: string): void;
}

export interface NodeRED {
  nodes: {
    createNode(node: object, config: object): void;
    registerType(type: string, constructor: Function, options?: object): void; // eslint-disable-line @typescript-eslint/no-unsafe-function-type
    getNode(id: string): unknown;
    /** Every node of the active flows (their configuration, started or not); optional in test doubles. */
    eachNode?(callback: (node: { id: string; type: string; d?: boolean; pollType?: unknown }) => void): void;
    getCredentials(id: string): Record<string, string | undefined> | undefined;
  };
  util: {
    evaluateNodeProperty(
      value: string,
      type: string,
      node: Node,
      msg: NodeMessage,
      callback: (err: Error | null, result: unknown) => void,
    ): void;
    cloneMessage<T>(msg: T): T;
  };
  httpAdmin: ExpressLike;
  /** Absent when httpNodeRoot is false. */
  httpNode?: PublicHttpApp;
  auth: {
    needsPermission(permission: string): (req: HttpRequest, res: HttpResponse, next: () => void) => void;
  };
  log: { warn(text: string): void; error(text: string): void; info(text: string): void };
  /** The runtime's HTTP server: it closes when the runtime stops. */
  server?: { once(event: 'close', listener: () => void): unknown };
  settings: Record<string, unknown>;
  _(key: string, substitutions?: Record<string, string | number>): string;
}

/** The o365-config node as the mail nodes see it. */
export interface AccountNode extends Node {
  /** True when a user signs in to the account (authType delegated): the nodes default to the mailbox `me`. */
  delegated?: boolean;
  /** The shared connection; throws a ConfigError when the account's settings cannot work. */
  connection(): Connection;
  /** Registers a node that uses this account, so account problems show in its status; returns the unregister. */
  attach(user: AccountUser): () => void;
  /** Shows an account problem (token or permission error) on every attached node's status. */
  reportAccountProblem(err: O365Error): void;
  /** The public HTTPS base URL at which Graph reaches this Node-RED ("" when not set). */
  publicUrl: string;
}

export interface AccountUser {
  status(status: NodeStatus): void;
  /** A delegated account is signed in again after "sign in again": the node picks up where it stopped. */
  signedInAgain?(): void;
}

/**
 * Registers a node type the way every glue file does: Node-RED's constructor makes the node, then one object of
 * `NodeClass` (the node's settings, engine, status, input and close handlers) takes it over.
 */
export function registerNodeType<P extends object>(
  RED: NodeRED,
  type: string,
  NodeClass: new (RED: NodeRED, node: Node, config: P) => unknown,
): void {
  function NodeConstructor(this: Node, config: P) {
    RED.nodes.createNode(this, config);
    new NodeClass(RED, this, config);
  }
  RED.nodes.registerType(type, NodeConstructor);
}
