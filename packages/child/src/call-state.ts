/**
 * Per-call state on the worker: the context handed to the handler. The AbortController and the
 * deadline timer are created only if the handler actually reads `signal`, so plain handlers pay
 * nothing for cancellation support.
 */
import { MultifrostError, type CallMessage } from '@multifrost/protocol';
import { safeTimeout, type SafeTimer } from '@multifrost/protocol/internal';
import type { CallContext } from './call-context.js';

export class CallState implements CallContext {
  readonly id: string;
  readonly functionName: string;
  readonly namespace: string;
  readonly clientName: string | undefined;
  readonly deadline: number | undefined;
  private controller: AbortController | undefined;
  private abortReason: unknown;
  /** Safe for any deadline: one 25 days away must not become a 1 ms timer (TimeoutOverflowWarning). */
  private timer: SafeTimer | undefined;
  private done = false;

  constructor(msg: CallMessage) {
    this.id = msg.id;
    this.functionName = msg.function;
    this.namespace = msg.namespace;
    this.clientName = msg.client_name;
    const d = msg.metadata?.deadline;
    this.deadline = typeof d === 'number' && Number.isFinite(d) ? d * 1000 : undefined;
  }

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.abortReason !== undefined) this.controller.abort(this.abortReason);
      else if (this.deadline !== undefined && !this.done) this.armDeadline(this.deadline);
    }
    return this.controller.signal;
  }

  get aborted(): boolean {
    return this.abortReason !== undefined;
  }

  abort(reason: unknown): void {
    if (this.abortReason !== undefined) return;
    this.abortReason = reason;
    this.controller?.abort(reason);
  }

  dispose(): void {
    this.done = true;
    this.timer?.cancel();
  }

  private armDeadline(deadlineMs: number): void {
    const fire = () =>
      this.abort(
        new MultifrostError('TIMEOUT', `Call ${this.id} to ${this.functionName}() passed its deadline`, {
          details: { deadline: deadlineMs },
        }),
      );
    const wait = deadlineMs - Date.now();
    if (wait <= 0) fire();
    else this.timer = safeTimeout(fire, wait);
  }
}
