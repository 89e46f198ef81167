/**
 * Sending a view's edit to the kernel and learning when the kernel has handled it, so a message the kernel
 * set for an older value is not shown against the newer text meanwhile.
 */
import type { DOMWidgetView, ICallbacks } from '@jupyter-widgets/base';

type IOPubMessage = Parameters<NonNullable<ICallbacks['iopub']>[string]>[0];

/** Counts a view's edits and tells whether the kernel has answered the latest one. */
export class EditTracker {
  private sent = 0;
  private answered = 0;

  /** True while an edit is on its way to (or queued in) the kernel. */
  get pending(): boolean {
    return this.answered < this.sent;
  }

  /**
   * Pushes the model's changed traits to the kernel. `onAnswered` runs once the kernel has processed this
   * edit (its observers ran and any trait they set has arrived), unless a later edit superseded it.
   */
  save(view: DOMWidgetView, onAnswered: () => void): void {
    const edit = ++this.sent;
    const callbacks = view.callbacks();
    const iopub = callbacks.iopub ?? {};
    view.model.save_changes({
      ...callbacks,
      iopub: {
        ...iopub,
        status: (msg: IOPubMessage) => {
          iopub.status?.(msg);
          const state = (msg.content as { execution_state?: string }).execution_state;
          if (state === 'idle' && edit === this.sent) {
            this.answered = edit;
            onAnswered();
          }
        }
      }
    });
  }
}

let lastId = 0;

/** An id unique in the page: several views of one widget may be on screen at once. */
export function uniqueId(prefix: string): string {
  lastId += 1;
  return `${prefix}-${lastId}`;
}
