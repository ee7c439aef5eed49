/** A Lambda-style Cause ({errorType, errorMessage, trace}) as its message; any other cause as it is. */
export function messageOf(cause: string | undefined): string {
  try {
    const parsed = JSON.parse(cause ?? '') as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') return parsed.errorMessage;
  } catch {
    // a cause the state machine wrote itself
  }
  return cause ?? 'no cause given';
}
