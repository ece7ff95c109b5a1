/**
 * Time as an input, the one clock of the operator (kube, azure and operator modules take a `Clock`, or
 * its `now`). Production uses the real clock; unit tests install vitest fake timers, which patch the
 * globals this clock delegates to at call time (so a clock created before `vi.useFakeTimers()` still
 * follows the fake time), or pass their own.
 */
export type TimerHandle = ReturnType<typeof globalThis.setTimeout>;

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle),
};

/** Resolves after `ms`, or early (without rejecting) when `signal` aborts. */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const onAbort = (): void => {
      clock.clearTimeout(handle);
      resolve();
    };
    const handle = clock.setTimeout(
      () => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      },
      Math.max(0, ms),
    );
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Capped exponential backoff with symmetric jitter: base·2^attempt, capped at max, then scaled by
 * a factor in [1-jitter, 1+jitter] and capped again so the cap is a hard ceiling.
 */
export function backoffDelay(
  attempt: number,
  opts: { baseMs: number; maxMs: number; jitter: number },
  random: () => number = Math.random,
): number {
  const exp = opts.baseMs * 2 ** Math.min(attempt, 40);
  const capped = Math.min(opts.maxMs, exp);
  const factor = 1 - opts.jitter + 2 * opts.jitter * random();
  return Math.max(0, Math.min(opts.maxMs, Math.round(capped * factor)));
}
