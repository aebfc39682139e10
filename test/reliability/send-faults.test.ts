/**
 * The send fault matrix: o365-mail-out with small mails (one sendMail) and large ones (draft, upload session, send),
 * in the real Node-RED runtime against the simulator, under each fault the simulator injects. After each: every input
 * has exactly one outcome (output, or an error at the Catch node that says whether the mail went), no mail sent twice,
 * an error that says "not sent" is true, the node sends again once the fault is over, nothing left running.
 */
import { strict as assert } from 'node:assert';
import type { Simulator } from '../simulator';
import type { FaultMatch, Operation } from '../simulator/types';
import {
  loadSender,
  printFigure,
  SendOutcome,
  takeClientStats,
  waitFor,
  freshRuntimePerCase,
} from './support';

const SENDER = 'sender@contoso.example';
const COLLEAGUE = 'colleague@contoso.example';
const MB = 1024 * 1024;

interface SizeCase {
  mails: number;
  /** Every Graph operation of this send path. */
  steps: Operation[];
  /** The operation that sends (its outcome decides whether the mail went). */
  sendStep: Operation;
  attachments(i: number): Record<string, unknown>[] | undefined;
}

const LARGE_ATTACHMENT = Buffer.alloc(5 * MB, 7);

const SIZES: Record<string, SizeCase> = {
  small: { mails: 8, steps: ['sendMail'], sendStep: 'sendMail', attachments: () => undefined },
  large: {
    mails: 3,
    steps: ['createDraft', 'createUploadSession', 'uploadChunk', 'sendDraft'],
    sendStep: 'sendDraft',
    attachments: (i) => [{ filename: `big-${i}.bin`, content: LARGE_ATTACHMENT }],
  },
};

interface SendFault {
  inject(sim: Simulator, size: SizeCase): void;
  /** Set after the first outcome (faults in the middle of a run). */
  /** Run while the mails are on their way; `firstOutcome` resolves when the first mail has its outcome. */
  whileSending?(sim: Simulator, firstOutcome: () => Promise<unknown>): Promise<void>;
  /** Mails that end in an error (the rest must be sent); per size when the paths differ; -1: at least one. */
  errors: number | { small: number; large: number };
  /** What those errors say. */
  says?: RegExp;
  /** Which sizes this fault applies to. */
  only?: string;
}

const on = (ops: Operation | Operation[]): { match: FaultMatch } => ({ match: { operation: ops } });
const UNKNOWN = /may or may not have been sent.*(not sent again|still in Drafts)/;

const FAULTS: Record<string, SendFault> = {
  '429-storm-retry-after': {
    inject: (sim, size) => sim.throttleNext(4, { retryAfter: 0, ...on(size.steps) }),
    errors: 0,
  },
  '429-storm-no-retry-after': {
    inject: (sim, size) => sim.throttleNext(4, { retryAfter: null, ...on(size.steps) }),
    errors: 0,
  },
  // A sendMail answered 503 may have gone: not found in Sent Items, it is "may or may not" and never repeated. On the
  // draft path the draft is still a draft, so /send of that draft is repeated: sent once.
  '503': {
    inject: (sim, size) => sim.failNext(4, 503, on(size.steps)),
    errors: { small: 4, large: 0 },
    says: UNKNOWN,
  },
  '504': {
    inject: (sim, size) => sim.failNext(1, 504, on(size.sendStep)),
    errors: { small: 1, large: 0 },
    says: UNKNOWN,
  },
  // Graph sent the mail, then answered 503 or 504: Sent Items (sendMail) or the draft's state (/send) shows it went.
  'processed-503': { inject: (sim, size) => sim.failAfterNext(1, 503, on(size.sendStep)), errors: 0 },
  'processed-504': { inject: (sim, size) => sim.failAfterNext(1, 504, on(size.sendStep)), errors: 0 },
  'drop-before': {
    inject: (sim, size) => sim.dropNext(1, { after: false, ...on(size.sendStep) }),
    errors: { small: 1, large: 0 },
    says: UNKNOWN,
  },
  'drop-after': {
    inject: (sim, size) => sim.dropNext(1, { after: true, ...on(size.sendStep) }),
    errors: 0,
  },
  // Graph carries the request out after the client's timeout (1 s), later than the look in Sent Items (0.3 s) ends;
  // on the draft path the draft is still a draft when read, so /send of it is repeated and the late one finds it gone.
  'slow-past-timeout': {
    inject: (sim, size) => sim.slowNext(1, 1600, on(size.sendStep)),
    errors: { small: 1, large: 0 },
    says: UNKNOWN,
  },
  // The sign-in service fails (503, Retry-After 1) right when the token must be renewed: nothing is sent meanwhile.
  'token-outage': {
    inject: (sim) => {
      sim.expireTokens();
      sim.failNext(1, 503, { retryAfter: 1, match: { operation: 'token' } });
    },
    errors: -1, // the sends waiting for the token when it struck
    // While msal holds back after the 503 it repeats the service's error, without the friendly hint.
    says: /not sent: .*(sign-in service is unavailable|could not get a token: AADSTS90033)/i,
  },
  'token-expiry-mid-run': {
    inject: () => undefined,
    whileSending: async (sim, firstOutcome) => {
      await firstOutcome();
      sim.expireTokens();
    },
    errors: 0,
  },
  // Applied, then an unreadable answer: Sent Items or the draft's state shows the mail went.
  malformed: { inject: (sim, size) => sim.malformedNext(1, on(size.sendStep)), errors: 0 },
  'upload-session-expires': {
    inject: (sim) => sim.slowNext(1, 300, on('uploadChunk')),
    // The first chunk of the first mail is on its way (slowly): the session expires before the next one.
    whileSending: async (sim) => {
      await waitFor(() => sim.counters.byOperation.uploadChunk >= 1, 10_000, 'an upload chunk');
      sim.expireUploadSessions();
    },
    errors: -1, // every large mail uploading at that moment
    says: /not sent: could not attach the files/,
    only: 'large',
  },
};

describe('fault matrix: o365-mail-out', function () {
  this.timeout(60_000);
  let sim: Simulator;
  const currentSim = freshRuntimePerCase([SENDER, COLLEAGUE]);
  beforeEach(() => {
    sim = currentSim();
  });

  for (const [sizeName, size] of Object.entries(SIZES)) {
    describe(`${sizeName} mails`, () => {
      for (const [faultName, fault] of Object.entries(FAULTS)) {
        if (fault.only && fault.only !== sizeName) continue;
        it(`${faultName}: one outcome per mail, none sent twice, errors true and clear, then sends again`, async () => {
          await runCase(sim, sizeName, size, faultName, fault);
        });
      }
    });
  }
});

async function runCase(
  sim: Simulator,
  sizeName: string,
  size: SizeCase,
  faultName: string,
  fault: SendFault,
): Promise<void> {
  const node = await loadSender(sim, SENDER);
  const subject = (i: number) => `${sizeName}-${faultName}-${i}`;
  const send = (i: number) =>
    node.input({ to: COLLEAGUE, topic: subject(i), payload: `body ${i}`, attachments: size.attachments(i) });

  fault.inject(sim, size);
  const started = Date.now();
  const ids = Array.from({ length: size.mails }, (_, i) => send(i));
  await fault.whileSending?.(sim, () => node.outcome(ids[0]));
  const outcomes = await Promise.all(ids.map((id) => node.outcome(id, 20_000)));
  // A request that timed out on our side may still be carried out by Graph a moment later.
  await sim.idle();

  const errors = outcomes.filter((o): o is Extract<SendOutcome, { kind: 'error' }> => o.kind === 'error');
  const expected =
    typeof fault.errors === 'number' ? fault.errors : fault.errors[sizeName as 'small' | 'large'];
  if (expected >= 0) assert.equal(errors.length, expected, `errors: ${errors.map((e) => e.message)}`);
  else assert.ok(errors.length >= 1, 'the fault failed the sends it struck');
  for (const error of errors) {
    assert.match(
      error.message,
      fault.says ?? /^$/,
      `the error says what happened to the mail: ${error.message}`,
    );
    assert.ok(
      String(error.msg.topic).startsWith(`${sizeName}-${faultName}-`),
      'the Catch node has the input message',
    );
  }
  const sentCount = (s: string) => sim.sent.filter((r) => r.message.subject === s).length;
  for (let i = 0; i < size.mails; i++) {
    const outcome = outcomes[i];
    const count = sentCount(subject(i));
    if (outcome.kind === 'sent') assert.equal(count, 1, `${subject(i)} was sent exactly once`);
    else if (/may or may not/.test(outcome.message)) assert.ok(count <= 1, `${subject(i)} sent at most once`);
    else assert.equal(count, 0, `${subject(i)} was reported not sent, and it was not`);
  }
  const recoverFrom = Date.now();
  // Once the fault is over the same node sends again, without help.
  if (faultName === 'token-outage') await new Promise((r) => setTimeout(r, 1100));
  const after = await Promise.all([send(100), send(101)].map((id) => node.outcome(id, 20_000)));
  assert.deepEqual(
    after.map((o) => (o.kind === 'error' ? o.message : o.kind)),
    ['sent', 'sent'],
    'sends again after the fault',
  );
  const recoverMs = faultName === 'token-outage' ? Date.now() - recoverFrom : recoverFrom - started;

  const subjects = sim.sent.map((r) => r.message.subject);
  const dup = subjects.length - new Set(subjects).size;
  assert.equal(dup, 0, 'no mail sent twice');
  const drafts = sim.messages(SENDER, 'drafts').length;
  const kept = errors.filter((e) => /still in Drafts/.test(e.message)).length;
  assert.ok(drafts <= kept, `${drafts} drafts left, ${kept} reported as kept`);
  assert.deepEqual(sim.schemaViolations, [], 'requests and answers follow the Graph schemas');

  const stats = takeClientStats();
  printFigure(`send/${sizeName} ${faultName}`, {
    in: size.mails + 2,
    out: outcomes.filter((o) => o.kind === 'sent').length + 2,
    dup,
    retries: stats.retries + stats.tokenRefreshes,
    recoverMs,
    extra: `errors=${errors.length} sent=${new Set(subjects).size}`,
  });
}
