/**
 * Cron expressions are checked by the runtime, with the parser the poller uses (GET o365-mail-in/cron, served by
 * src/o365-mail-in.ts with src/schedule.ts): the editor keeps no rules of its own. Answers are remembered per
 * expression, so a check runs once however often Node-RED validates the node.
 */
import type { CronProblem } from '../graph/error-codes';
import { EditorNode } from './red';

/** The runtime's answer: valid with the next runs, or the problem (as data, and in English). */
export interface CronAnswer {
  valid: boolean;
  error?: string;
  problem?: CronProblem;
  next?: string[];
}

/** What is wrong, in the dialog's language (`o365-mail-in.cron-problem.*`); the runtime's English if it sent no code. */
export function cronProblemWords(node: EditorNode, answer: CronAnswer): string {
  const problem = answer.problem;
  if (!problem?.code) return answer.error ?? '?';
  const field = problem.field ? node._(`o365-mail-in.cron-field.${problem.field}`) : '';
  return node._(`o365-mail-in.cron-problem.${problem.code}`, { ...problem, field });
}

const answers = new Map<string, CronAnswer>();
const pending = new Map<string, Promise<CronAnswer>>();

/** The answer already known for an expression, or undefined. */
export function knownAnswer(expression: string): CronAnswer | undefined {
  return answers.get(expression.trim());
}

/** Asks the runtime about an expression (once per expression); rejects when the runtime cannot be asked. */
export function askRuntime(expression: string): Promise<CronAnswer> {
  const text = expression.trim();
  const known = answers.get(text);
  if (known) return Promise.resolve(known);
  let request = pending.get(text);
  if (!request) {
    request = new Promise<CronAnswer>((resolve, reject) => {
      $.ajax({ url: `o365-mail-in/cron?expression=${encodeURIComponent(text)}`, dataType: 'json' })
        .done((answer: CronAnswer) => {
          const checked: CronAnswer = {
            valid: answer?.valid === true,
            error: answer?.error ?? undefined,
            problem: answer?.problem ?? undefined,
            next: Array.isArray(answer?.next) ? answer.next : [],
          };
          answers.set(text, checked);
          resolve(checked);
        })
        .fail((xhr: JQuery.jqXHR) => reject(new Error(String(xhr.status))))
        .always(() => pending.delete(text));
    });
    pending.set(text, request);
  }
  return request;
}
