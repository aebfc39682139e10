/** The benchmark's side of `sim-process.ts`: starts the simulator process and asks it things over IPC. */
import { ChildProcess, fork } from 'node:child_process';
import * as path from 'node:path';
import { Connection } from '../src/graph/connection';
import type { Counters, SimulatorOptions } from '../test/simulator';
import type { SentSummary, SimAnswer, SimCommand } from './sim-process';

/** Counters of the simulator plus how many request or response bodies broke Graph's schema. */
export type SimCounters = Counters & { schemaViolations: number };

type Request = SimCommand extends infer C ? (C extends { id: number } ? Omit<C, 'id'> : never) : never;

/** A simulator running in a child process. */
export class SimProcess {
  url = '';
  tenantId = '';
  ca = '';
  clientId = '';
  clientSecret = '';
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (answer: SimAnswer) => {
      const pending = this.waiting.get(answer.id);
      if (!pending) return;
      this.waiting.delete(answer.id);
      if (answer.ok) pending.resolve(answer.value);
      else pending.reject(new Error(`simulator: ${answer.error}`));
    });
    child.on('exit', (code) => {
      for (const pending of this.waiting.values()) pending.reject(new Error(`simulator exited (${code})`));
      this.waiting.clear();
    });
  }

  /** Forks the simulator process (with tsx, as this process runs) and starts the simulator in it. */
  static async start(
    options: Pick<SimulatorOptions, 'latencyMs' | 'concurrencyLimit' | 'mailboxes'>,
  ): Promise<SimProcess> {
    const usesTsx = process.execArgv.some((a) => a.includes('tsx'));
    const child = fork(path.join(__dirname, 'sim-process.ts'), [], {
      execArgv: usesTsx ? process.execArgv : ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const sim = new SimProcess(child);
    const info = (await sim.ask({ cmd: 'start', options })) as {
      url: string;
      tenantId: string;
      ca: string;
      app: { clientId: string; secrets?: { value: string }[] };
    };
    sim.url = info.url;
    sim.tenantId = info.tenantId;
    sim.ca = info.ca;
    sim.clientId = info.app.clientId;
    sim.clientSecret = info.app.secrets?.[0]?.value ?? '';
    return sim;
  }

  /** Process id of the simulator, so its memory can be told apart. */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Sends one command and waits for its answer. */
  ask(request: Request): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.child.send({ ...request, id } as SimCommand, (err) => {
        if (!err) return;
        this.waiting.delete(id);
        reject(err);
      });
    });
  }

  async seed(mailbox: string, count: number): Promise<number> {
    return (await this.ask({ cmd: 'seed', mailbox, count })) as number;
  }

  async counters(): Promise<SimCounters> {
    return (await this.ask({ cmd: 'counters' })) as SimCounters;
  }

  async unread(mailbox: string): Promise<number> {
    return (await this.ask({ cmd: 'unread', mailbox })) as number;
  }

  async sentSummary(): Promise<SentSummary> {
    return (await this.ask({ cmd: 'sentSummary' })) as SentSummary;
  }

  /** Stops the simulator and waits for its process to end (killed after 5 s). */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    await this.ask({ cmd: 'stop' }).catch(() => undefined);
    this.child.disconnect();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}

/** A Connection (our Graph layer) to the simulator, trusting its CA without NODE_EXTRA_CA_CERTS. */
export function connectTo(sim: SimProcess): Connection {
  return new Connection(
    {
      tenantId: sim.tenantId,
      applicationId: sim.clientId,
      cloud: 'custom',
      authorityHost: sim.url,
      graphEndpoint: sim.url,
      authType: 'secret',
      clientSecret: sim.clientSecret,
    },
    { ca: sim.ca },
  );
}

/**
 * Operations on mailboxes: the simulator's count without `$batch` envelopes (their items are counted one by one and
 * each holds a mailbox slot; the envelope holds none) and without token requests. This is what Exchange counts.
 */
export function mailboxOperations(counters: Counters): number {
  const b = counters.byOperation;
  return counters.operations - b.batch - b.token - b.discovery;
}

/**
 * The time one operation really takes end to end at the simulator's latency: the mean of sequential light GETs.
 * Above the nominal latency are timer overshoot, TLS, HTTP and JSON work, which a client that keeps exactly 4 in
 * flight cannot hide either.
 */
export async function effectiveLatencyMs(
  connection: Connection,
  mailbox: string,
  samples = 50,
): Promise<number> {
  const api = connection.mailbox(mailbox);
  await api.probe();
  const started = performance.now();
  for (let i = 0; i < samples; i++) await api.probe();
  return (performance.now() - started) / samples;
}
