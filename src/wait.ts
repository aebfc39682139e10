/** Bounded waits shared by the engines: every wait ends, whatever the work it waits for does. */

/** True when every task settled within `ms`, false when the time ran out first (the tasks keep running). */
export async function settledWithin(tasks: Iterable<Promise<unknown>>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  const all = Promise.allSettled([...tasks]).then(() => true);
  try {
    return await Promise.race([all, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
