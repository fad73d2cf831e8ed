/** Approval dialogs one at a time, in order; a dialog that cannot be shown or is dismissed denies. */
import type { ApprovalAnswerKind, ApprovalRequestMessage } from '../guard/bridge/protocol';
import type { Asker } from './approval-text';

export interface QueuedApproval {
  readonly key: string;
  readonly request: ApprovalRequestMessage;
  /** Which guard asks (a terminal's is named in the dialog). */
  readonly asker?: Asker;
  readonly answer: (answer: ApprovalAnswerKind) => void;
}

/** Shows one approval and resolves with the answer (`deny` for a dismissal). */
export type ShowApproval = (request: ApprovalRequestMessage, position: number, total: number, asker?: Asker) => Promise<ApprovalAnswerKind>;

/**
 * Approvals from every guard of the window, shown one at a time in arrival order. A request
 * withdrawn by its guard (timeout, cancelled call) before its turn is never shown.
 */
export class ApprovalQueue {
  private readonly waiting: QueuedApproval[] = [];
  private showing: QueuedApproval | undefined;
  private shown = 0;

  constructor(private readonly show: ShowApproval) {}

  get size(): number {
    return this.waiting.length + (this.showing ? 1 : 0);
  }

  enqueue(item: QueuedApproval): void {
    this.waiting.push(item);
    void this.pump();
  }

  withdraw(key: string): void {
    const i = this.waiting.findIndex((w) => w.key === key);
    if (i !== -1) this.waiting.splice(i, 1);
  }

  /** Drops everything from one guard (it disconnected: it has denied them itself). */
  withdrawWhere(predicate: (item: QueuedApproval) => boolean): void {
    for (let i = this.waiting.length - 1; i >= 0; i--) if (predicate(this.waiting[i]!)) this.waiting.splice(i, 1);
  }

  private async pump(): Promise<void> {
    if (this.showing) return;
    const next = this.waiting.shift();
    if (!next) {
      this.shown = 0;
      return;
    }
    this.showing = next;
    this.shown++;
    const total = this.shown + this.waiting.length;
    let answer: ApprovalAnswerKind;
    try {
      answer = await this.show(next.request, this.shown, total, next.asker);
    } catch {
      answer = 'deny';
    }
    this.showing = undefined;
    try {
      next.answer(answer);
    } catch {
      // One guard's broken connection must not stop the others' approvals.
    }
    await this.pump();
  }
}
