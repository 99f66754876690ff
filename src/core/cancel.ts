// Cancellation, one way everywhere in the engine: an AbortSignal goes in, a CancelledError (name 'AbortError', like
// the DOM's) comes out; isCancel tells a cancel from a failure (it also knows a DOM AbortError from elsewhere).

export class CancelledError extends Error {
  constructor(message = 'cancelled') {
    super(message);
    this.name = 'AbortError';
  }
}

export function isCancel(e: unknown): boolean {
  return e instanceof CancelledError || (e instanceof Error && e.name === 'AbortError');
}

export function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new CancelledError();
}
