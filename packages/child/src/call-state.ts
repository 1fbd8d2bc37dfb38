/**
 * Per-call state on the worker: the context handed to the handler. The AbortController and the
 * deadline timer are created only if the handler actually reads `signal`, so plain handlers pay
 * nothing for cancellation support.
 */
import { MultifrostError, type CallMessage } from '@multifrost/protocol';
import type { CallContext } from './call-context.js';

export class CallState implements CallContext {
  readonly id: string;
  readonly functionName: string;
  readonly namespace: string;
  readonly clientName: string | undefined;
  readonly deadline: number | undefined;
  private controller: AbortController | undefined;
  private abortReason: unknown;
  private timer: NodeJS.Timeout | undefined;
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
    if (this.timer) clearTimeout(this.timer);
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
    else {
      this.timer = setTimeout(fire, wait);
      this.timer.unref();
    }
  }
}
