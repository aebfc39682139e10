/**
 * Mails this node will not emit again while it runs: those whose acknowledgement failed (they would come back at
 * every poll) and those that failed to be read several polls in a row. Bounded, oldest forgotten first.
 */

export type SkipKind = 'ack-failed' | 'unreadable';

interface Entry {
  kind: SkipKind;
  failures: number;
}

/** After this many failed reads in a row, a mail is skipped for the rest of the run. */
export const READ_ATTEMPTS = 3;

export class SkipMemory {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly limit = 10_000) {}

  /** True when the mail must not be emitted again. */
  skips(id: string): boolean {
    const entry = this.entries.get(id);
    return entry !== undefined && (entry.kind === 'ack-failed' || entry.failures >= READ_ATTEMPTS);
  }

  /** Remembers a failed acknowledgement; true the first time (warn once). */
  ackFailed(id: string): boolean {
    const known = this.entries.get(id)?.kind === 'ack-failed';
    this.put(id, { kind: 'ack-failed', failures: 1 });
    return !known;
  }

  /** Counts a failed read; true when the mail is skipped from now on. */
  readFailed(id: string): boolean {
    const entry = this.entries.get(id);
    if (entry?.kind === 'ack-failed') return true;
    const failures = (entry?.failures ?? 0) + 1;
    this.put(id, { kind: 'unreadable', failures });
    return failures >= READ_ATTEMPTS;
  }

  /** A mail read fine after all: forget its failures. */
  readSucceeded(id: string): void {
    if (this.entries.get(id)?.kind === 'unreadable') this.entries.delete(id);
  }

  /** How many mails are skipped, by kind. */
  count(kind: SkipKind): number {
    let n = 0;
    for (const [id, entry] of this.entries) if (entry.kind === kind && this.skips(id)) n++;
    return n;
  }

  private put(id: string, entry: Entry): void {
    this.entries.delete(id);
    this.entries.set(id, entry);
    if (this.entries.size > this.limit) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }
}
