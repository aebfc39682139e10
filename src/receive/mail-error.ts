/** The error of one mail that could not be read or sent on; the poll goes on with the others. */
import { messageOf } from '../graph/errors';

/** The error of one mail, naming it; `cause` is what went wrong. */
export class MailError extends Error {
  constructor(
    readonly mailId: string,
    override readonly cause: unknown,
    /** True when the mail will not be tried again while the node runs. */
    readonly skippedFromNow: boolean,
  ) {
    super(`could not read mail ${mailId}: ${messageOf(cause)}`);
    this.name = 'MailError';
  }
}
