/**
 * How big the pages of listings and delta rounds are. Graph may answer 504, or not in time, for big pages with bodies
 * and `$expand=attachments` (the user-list-messages page). A page that does is asked again one step smaller: a quarter
 * of the mails and no attachments (each mail's attachments are then fetched on their own), then a sixteenth, and at
 * the last step ids only (each mail read by id). The step is kept while the node runs, so the next poll does not ask
 * the failing page again; after 20 good pages in a row it tries one step bigger, and a step up that fails again doubles
 * the number of good pages it waits for before the next try (at most 1,280).
 */
import { isTimeout } from '../graph/client';
import { O365Error } from '../graph/errors';
import { MESSAGE_SELECT } from '../mail/inbound';
import { expandsAttachments } from './assemble';
import { FILTER_SELECT } from './filter';
import type { ReceiveOptions } from './options';

/** What one listing page asks for. */
export interface PageShape {
  top: number;
  expandAttachments: boolean;
  select: string[];
  /** Ids only (with what a filter reads): each mail is read by id before it is delivered. */
  light: boolean;
}

/** Graph's largest page. */
export const MAX_PAGE = 1000;

const LAST_STEP = 3;
const FIRST_PATIENCE = 20;
const MOST_PATIENCE = 1280;

export class PageSizes {
  private step = 0;
  private goodPages = 0;
  private patience = FIRST_PATIENCE;
  /** The last step down came after a step up: the next step up waits longer. */
  private raised = false;

  /** The step in use (0: as configured). */
  get level(): number {
    return this.step;
  }

  /** A smaller step is left: a 504 or a timeout is answered with a smaller page rather than repeated. */
  get canShrink(): boolean {
    return this.step < LAST_STEP;
  }

  /** The shape of a listing page of at most `wanted` mails. */
  listing(options: ReceiveOptions, wanted = Infinity): PageShape {
    const full = expandsAttachments(options) ? 250 : MAX_PAGE;
    // A claim keeps the mail's own categories beside its claim mark: they are read with the listing.
    const claims = options.claim && options.action !== 'none' ? ['categories'] : [];
    if (this.step >= LAST_STEP) {
      const select = ['id', 'receivedDateTime', ...FILTER_SELECT, ...claims];
      return { top: clamp(Math.min(MAX_PAGE, wanted)), expandAttachments: false, select, light: true };
    }
    return {
      top: clamp(Math.min(Math.floor(full / 4 ** this.step), wanted)),
      expandAttachments: this.step === 0 && expandsAttachments(options),
      select: [...MESSAGE_SELECT, ...claims],
      light: false,
    };
  }

  /** The page size of a delta request that would ask for `size` mails. */
  delta(size: number): number {
    return clamp(Math.floor(size / 4 ** this.step));
  }

  /**
   * A page failed: true when it was too big (a 504 or a timeout) and a smaller step is left, so the caller asks
   * again; false when the error is another one, or nothing smaller is left.
   */
  tooBig(err: unknown): boolean {
    if (!(err instanceof O365Error) || !isTimeout(err) || this.step >= LAST_STEP) return false;
    if (this.raised) this.patience = Math.min(MOST_PATIENCE, this.patience * 2);
    this.step++;
    this.goodPages = 0;
    this.raised = false;
    return true;
  }

  /** A page came back: after enough in a row, the next pages are one step bigger. */
  succeeded(): void {
    if (this.step === 0) return;
    if (++this.goodPages < this.patience) return;
    this.step--;
    this.goodPages = 0;
    this.raised = true;
  }
}

function clamp(top: number): number {
  return Math.max(1, Math.min(MAX_PAGE, top));
}
