/** The evaluation of a node's TypedInput fields against the message at hand, for the engines' input readers. */
import type { Evaluate } from '../send/input';
import type { Node, NodeMessage, NodeRED } from './types';

/** Evaluates a TypedInput (`str`, `msg`, `flow`, `global`, `env`, `jsonata`, ...) of `node` against `msg`. */
export function propertyEvaluator(RED: NodeRED, node: Node, msg: NodeMessage): Evaluate {
  return (value, type) =>
    new Promise((resolve, reject) => {
      RED.util.evaluateNodeProperty(value, type, node, msg, (err, result) =>
        err ? reject(err) : resolve(result),
      );
    });
}
