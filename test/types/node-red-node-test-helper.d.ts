declare module 'node-red-node-test-helper' {
  interface TestNode {
    id: string;
    type: string;
    on(event: string, listener: (...args: any[]) => void): void; // eslint-disable-line @typescript-eslint/no-explicit-any
    receive(msg: Record<string, unknown>): void;
    status: { (s: object): void; lastCall?: { args: unknown[] } } & Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    [key: string]: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  }
  interface Helper {
    init(runtimePath?: string, userSettings?: object): void;
    settings(userSettings: object): object;
    startServer(): Promise<void>;
    stopServer(): Promise<void>;
    load(nodes: unknown, flow: object[], credentials?: object): Promise<void>;
    unload(): Promise<void>;
    setFlows(flow: object[], type?: 'full' | 'nodes' | 'flows', credentials?: object): Promise<void>;
    getNode(id: string): TestNode;
    clearFlows(): Promise<void>;
    request(): any; // eslint-disable-line @typescript-eslint/no-explicit-any
    log(): any; // eslint-disable-line @typescript-eslint/no-explicit-any
    _RED: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  }
  const helper: Helper;
  export = helper;
}
