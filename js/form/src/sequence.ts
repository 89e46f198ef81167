/**
 * The edit/answer sequence between the browser and the kernel, explicit instead of guessed from the kernel's
 * idle status: every edit the browser sends carries a number; the kernel applies edits in order and, with the
 * messages it computed for an edit, sets `answered` to that edit's number. A kernel message about a field is
 * current only once the kernel has answered the field's last edit; until then the browser's own check speaks.
 */
export class EditSequence {
  private sent = 0;
  private answered = 0;
  private readonly lastEdit = new Map<string, number>();

  /**
   * Numbers this view's edits on from what the kernel has answered already: a view drawn again (a reloaded page,
   * the form shown twice) must not number from 1, which the kernel's `answered` is past — those edits would never
   * look answered, and Import would wait for ever.
   */
  start(answered: number): void {
    if (this.sent === 0 && Number.isFinite(answered) && answered > 0) {
      this.sent = this.answered = Math.floor(answered);
    }
  }

  /** Numbers a new edit of `key` (the one to send). */
  next(key: string): number {
    this.sent += 1;
    this.lastEdit.set(key, this.sent);
    return this.sent;
  }

  /** The kernel has answered every edit up to `seq` (it only grows; an older answer is ignored). */
  answer(seq: number): void {
    if (Number.isFinite(seq) && seq > this.answered) {
      this.answered = Math.min(seq, this.sent);
    }
  }

  /** True while an edit of `key` has not been answered: the kernel's word on it is for an older value. */
  pending(key: string): boolean {
    return (this.lastEdit.get(key) ?? 0) > this.answered;
  }

  /** True while any edit is unanswered (Import waits: the kernel has not checked what is on screen). */
  get busy(): boolean {
    return this.answered < this.sent;
  }

  /** The kernel's form is gone (a restart, a closed comm): nothing will be answered any more. */
  reset(): void {
    this.sent = 0;
    this.answered = 0;
    this.lastEdit.clear();
  }
}
