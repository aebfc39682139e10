/**
 * Send scenarios (issue #5): the mail-out engine (src/send: Sender behind the node's SendQueue, driven directly,
 * without Node-RED) next to a naive sender that posts each mail inline with sendMail, one at a time.
 */
import { createHash, randomFillSync } from 'node:crypto';
import type { Connection } from '../src/graph/connection';
import { MAILBOX_CONCURRENCY } from '../src/graph/limiter';
import { pathSegment } from '../src/graph/odata';
import { buildOutgoingMail, MAX_MESSAGE_BYTES, type SendRequestInput } from '../src/mail/outbound';
import { SendQueue, Sender } from '../src/send';
import { measured } from './measure';
import type { SimCounters, SimProcess } from './sim-control';

export const RECIPIENT = 'accounts.payable@fabrikam.example';

export interface SendRun {
  sent: number;
  failed: number;
  wallMs: number;
  counters: SimCounters;
  peakRssGrowth: number;
  /** The first failure, when any. */
  error?: string;
}

export interface AttachmentRun extends SendRun {
  /** The attachment as the simulator stored it equals what was given, byte for byte (by SHA-256). */
  byteExact: boolean;
  storedBytes: number;
}

function plainMail(i: number): SendRequestInput {
  return {
    subject: `Invoice ${i + 1}`,
    to: RECIPIENT,
    cc: undefined,
    bcc: undefined,
    payload: `Please find invoice ${i + 1} below.\n\nTotal: ${(i * 7.3).toFixed(2)} EUR`,
    bodyType: 'auto',
  };
}

/** `count` plain mails through the node's queue (4 at a time, arrival order) and the Sender. */
export async function sendPlainWithEngine(
  sim: SimProcess,
  connection: Connection,
  mailbox: string,
  count: number,
): Promise<SendRun> {
  const api = connection.mailbox(mailbox);
  const sender = new Sender(api);
  await api.probe();
  return measuredSend(sim, async (run) => {
    const queue = new SendQueue<number>(
      async (i, signal) => {
        try {
          await sender.send(buildOutgoingMail(plainMail(i)), true, signal);
          run.sent++;
        } catch (err) {
          run.failed++;
          run.error ??= (err as Error).message;
        }
      },
      { concurrency: MAILBOX_CONCURRENCY },
    );
    for (let i = 0; i < count; i++) queue.push(i);
    // close() drops jobs that have not started, so wait until the last one has.
    while (queue.queued > 0 || queue.active > 0) await new Promise((r) => setTimeout(r, 5));
    await queue.close();
  });
}

/** A mail as the naive sender takes it. */
export interface NaiveMail {
  subject: string;
  body: string;
  attachment?: { name: string; content: Buffer };
}

/** The naive way: one inline sendMail after the other, whatever the size (Graph refuses bodies over 4 MB). */
export async function sendLikeNaive(
  sim: SimProcess,
  connection: Connection,
  mailbox: string,
  makeMails: () => NaiveMail[],
): Promise<SendRun> {
  const client = connection.client();
  await connection.mailbox(mailbox, client).probe();
  return measuredSend(sim, async (run) => {
    for (const mail of makeMails()) {
      const message: Record<string, unknown> = {
        subject: mail.subject,
        body: { contentType: 'text', content: mail.body },
        toRecipients: [{ emailAddress: { address: RECIPIENT } }],
      };
      if (mail.attachment) {
        message.attachments = [
          {
            '@odata.type': '#microsoft.graph.fileAttachment',
            name: mail.attachment.name,
            contentBytes: mail.attachment.content.toString('base64'),
          },
        ];
      }
      try {
        await client.request({
          method: 'POST',
          path: `/users/${pathSegment(mailbox)}/sendMail`,
          body: { message, saveToSentItems: true },
          retry: 'send',
          mailbox,
        });
        run.sent++;
      } catch (err) {
        run.failed++;
        run.error ??= (err as Error).message;
      }
    }
  });
}

/** Plain mails for the naive sender, the same text as the engine's. */
export function naivePlainMails(count: number): NaiveMail[] {
  return Array.from({ length: count }, (_, i) => {
    const input = plainMail(i);
    return { subject: String(input.subject), body: String(input.payload) };
  });
}

/**
 * One mail with a `sizeBytes` attachment of random bytes through the Sender (draft + upload session). Memory is
 * measured from before the attachment's Buffer exists, so the input itself counts against the target.
 */
export async function sendAttachmentWithEngine(
  sim: SimProcess,
  connection: Connection,
  mailbox: string,
  sizeBytes: number,
): Promise<AttachmentRun> {
  const api = connection.mailbox(mailbox);
  // The tenant's maximum message size raised to 150 MB (o365.maxMessageSizeMB), as on the simulator.
  const sender = new Sender(api, { maxMessageBytes: MAX_MESSAGE_BYTES });
  await api.probe();
  await sim.ask({ cmd: 'clearSent' });
  let hash = '';
  const run = await measuredSend(sim, async (r) => {
    const content = randomFillSync(Buffer.allocUnsafe(sizeBytes));
    const mail = buildOutgoingMail({
      ...plainMail(0),
      subject: 'Quarterly archive',
      attachments: [{ filename: 'archive.bin', content, contentType: 'application/octet-stream' }],
    });
    try {
      await sender.send(mail, true);
      r.sent++;
    } catch (err) {
      r.failed++;
      r.error = (err as Error).message;
    }
    hash = createHash('sha256').update(content).digest('hex');
  });
  const stored = (await sim.sentSummary()).attachments.find((a) => a.name === 'archive.bin');
  return { ...run, byteExact: stored?.sha256 === hash, storedBytes: stored?.size ?? 0 };
}

/** The naive sender with the same attachment inline. */
export async function sendAttachmentLikeNaive(
  sim: SimProcess,
  connection: Connection,
  mailbox: string,
  sizeBytes: number,
): Promise<SendRun> {
  return sendLikeNaive(sim, connection, mailbox, () => [
    {
      subject: 'Quarterly archive',
      body: 'Attached.',
      attachment: { name: 'archive.bin', content: randomFillSync(Buffer.allocUnsafe(sizeBytes)) },
    },
  ]);
}

type Tally = Pick<SendRun, 'sent' | 'failed' | 'error'>;

function measuredSend(sim: SimProcess, work: (tally: Tally) => Promise<void>): Promise<SendRun> {
  return measured<Tally>(sim, { sent: 0, failed: 0 }, work);
}
