/**
 * Gathers text deltas and writes them in batches: the first at once, then at most one write per
 * `intervalMs`, or sooner once `maxChars` are waiting. A Redis write per token would cost more than the token.
 */
export class DeltaBatcher {
  private pending = '';
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private failure: unknown;
  /** True once any text has been written: a failover after this point must tell the consumer to reset. */
  sent = false;

  constructor(
    private readonly write: (text: string) => Promise<unknown>,
    private readonly intervalMs: number,
    private readonly maxChars: number,
  ) {}

  push(text: string): void {
    if (this.failure) throw this.failure;
    this.pending += text;
    // The first delta goes at once: time to first token is what a reader feels; batching starts after.
    if (!this.sent || this.pending.length >= this.maxChars || this.intervalMs === 0) this.flushNow();
    else this.timer ??= setTimeout(() => this.flushNow(), this.intervalMs);
  }

  /** Writes whatever is waiting and resolves when every write so far has landed. */
  async flush(): Promise<void> {
    this.flushNow();
    await this.writing;
    if (this.failure) throw this.failure;
  }

  /** Drops what is waiting (the attempt failed; its text will not be used). */
  discard(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = '';
  }

  private flushNow(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.pending) return;
    const text = this.pending;
    this.pending = '';
    this.sent = true;
    this.writing = this.writing
      .then(() => this.write(text))
      .then(
        () => undefined,
        (error: unknown) => {
          this.failure = error;
        },
      );
  }
}
