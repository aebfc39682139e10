/**
 * Runs the simulator as a process: `tsx test/simulator/standalone.ts [--port N] [--ca-file PATH] [--demo]`.
 * Prints one JSON line {url, tenantId, clientId, clientSecret, caFile, mailbox} and runs until SIGINT/SIGTERM.
 */
import { DEFAULT_APP, startSimulator, type Simulator } from './index';

interface Args {
  port: number;
  caFile?: string;
  demo: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { port: 0, demo: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--demo') args.demo = true;
    else if (arg === '--port') {
      const port = Number(argv[++i]);
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        throw new Error(`--port needs a number 0-65535, got '${argv[i]}'`);
      args.port = port;
    } else if (arg === '--ca-file') {
      const file = argv[++i];
      if (!file) throw new Error('--ca-file needs a path');
      args.caFile = file;
    } else throw new Error(`unknown argument '${arg}' (expected --port N, --ca-file PATH, --demo)`);
  }
  return args;
}

const DEMO = 'demo@contoso.example';
const COLLEAGUE = 'colleague@contoso.example';

/** A few realistic mails so the demo flow has something to show at once. */
function seedDemo(sim: Simulator): void {
  const hour = 3600 * 1000;
  const at = (hoursAgo: number): string => new Date(Date.now() - hoursAgo * hour).toISOString();
  sim.addFolder(DEMO, 'inbox', 'Orders');
  sim.addMessage(DEMO, 'inbox', {
    subject: 'Welcome to the Node-RED Microsoft 365 demo',
    from: { name: 'IT Service Desk', address: `it@contoso.example` },
    body: '<p>Hello,</p><p>this mailbox is <b>simulated</b>. New mail arrives every 20 seconds.</p>',
    bodyType: 'html',
    receivedDateTime: at(3),
  });
  sim.addMessage(DEMO, 'inbox', {
    subject: 'Invoice 2024-117',
    from: { name: 'Fabrikam Billing', address: 'billing@fabrikam.example' },
    body: 'Please find the invoice attached.',
    receivedDateTime: at(2),
    attachments: [
      {
        kind: 'file',
        name: 'invoice-2024-117.csv',
        contentType: 'text/csv',
        content: Buffer.from('item,qty,price\nwidget,3,9.90\n'),
      },
    ],
  });
  sim.addMessage(DEMO, 'inbox', {
    subject: 'Lunch on Friday?',
    from: { name: 'Colleague', address: COLLEAGUE },
    body: 'Shall we try the new place around the corner?',
    importance: 'high',
    receivedDateTime: at(1),
  });
  sim.addMessage(COLLEAGUE, 'inbox', {
    subject: 'Hello colleague',
    from: DEMO,
    body: 'Just a test.',
    receivedDateTime: at(1),
  });
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const sim = await startSimulator({
    port: args.port,
    caFile: args.caFile,
    mailboxes: args.demo ? [DEMO, COLLEAGUE] : undefined,
  });
  if (args.demo) {
    seedDemo(sim);
    sim.startArrivals(DEMO, 20_000);
  }
  const info = {
    url: sim.url,
    tenantId: sim.tenantId,
    clientId: DEFAULT_APP.clientId,
    clientSecret: DEFAULT_APP.secrets?.[0].value,
    caFile: sim.caFile,
    mailbox: args.demo ? DEMO : 'user@contoso.example',
  };
  process.stdout.write(`${JSON.stringify(info)}\n`);
  // Arrival timers are unref'd; keep the process alive until a signal.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  const shutdown = (): void => {
    clearInterval(keepAlive);
    void sim.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((err: Error) => {
  process.stderr.write(`simulator: ${err.message}\n`);
  process.exit(1);
});
