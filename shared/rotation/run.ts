/**
 * What every step of one rotation run shares: the gateway, the dependencies, the options, the lock's
 * `lost` signal, and the tokens seen so far (to scrub from every reason, log field and error).
 * Holds tokens: never log it.
 */
import type { GatewayConfig } from "../config/types.js";
import { errorText, LockHeldError } from "../errors.js";
import { redactText } from "../token/redact.js";
import type { DeploymentOutcome, KeyType, RotateOptions, RotationDeps, RotationLogger } from "./types.js";

const silent: RotationLogger = { info() {}, warn() {}, error() {} };

/** One run's shared context. */
export class RotationRun {
  readonly log: RotationLogger;
  /** Every token seen in this run. */
  readonly #secrets = new Set<string>();
  /** The issuer's answers, by token: each token is identified at most once per run. */
  readonly #identified = new Map<string, Promise<KeyType | undefined>>();
  /**
   * Fires when the run must stop before its next write and stop waiting: the lock was lost while
   * held, or the caller interrupted the run (`interruptSignal`, e.g. Ctrl-C).
   */
  lost?: AbortSignal;

  constructor(
    readonly gateway: GatewayConfig,
    readonly deps: RotationDeps,
    readonly options: RotateOptions,
  ) {
    this.log = deps.log ?? silent;
    this.lost = options.interruptSignal;
  }

  /** Holds the lock from now on: its loss stops the run too. */
  holdLock(lost: AbortSignal | undefined): void {
    const signals = [this.options.interruptSignal, lost].filter((s): s is AbortSignal => s !== undefined);
    this.lost = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
  }

  /** Why the run stopped, for reasons: `the run was interrupted` or `the rotation lock was lost`. */
  stoppedBecause(): string {
    return this.options.interruptSignal?.aborted ? "the run was interrupted" : "the rotation lock was lost";
  }

  now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  /** Revocation asked for by the option, else by the configuration. */
  get revoking(): boolean {
    return this.options.revokeOldKey ?? this.gateway.revokeOldKey;
  }

  /** For steps before anything changed: the caller's signal and the lock's, whichever fires first. */
  get signal(): AbortSignal | undefined {
    const signals = [this.options.abortSignal, this.lost].filter((s): s is AbortSignal => s !== undefined);
    return signals.length > 1 ? AbortSignal.any(signals) : signals[0];
  }

  /** Remembers a token, so it is scrubbed from everything this run reports. */
  remember(token: string | undefined): void {
    if (token) this.#secrets.add(token);
  }

  /** The key that signed a token (ARM "List Keys"), asked once per token and run. */
  identifyKey(token: string): Promise<KeyType | undefined> {
    let key = this.#identified.get(token);
    if (!key) {
      key = this.deps.issuer.identifyKey(this.gateway.apim, token, { abortSignal: this.signal });
      this.#identified.set(token, key);
    }
    return key;
  }

  lockLost(): boolean {
    return this.lost?.aborted === true;
  }

  /** Throws the loss's reason when the lock was lost: checked right before each write. */
  throwIfLockLost(): void {
    if (this.lost?.aborted) throw this.lossError();
  }

  /** The lock's loss as an error (its reason: LockHeldError or PermissionDeniedError). */
  lossError(): Error {
    const reason: unknown = this.lost?.reason;
    return reason instanceof Error
      ? reason
      : new LockHeldError(`${this.stoppedBecause()}: ${String(reason)}`);
  }

  /** A deployment the run stopped at because the lock was lost. */
  lockLostDeployment(target: string, when: string): DeploymentOutcome {
    const loss = this.lossError();
    return {
      target,
      status: "failed",
      reason: `${this.stoppedBecause()} ${when}: ${this.describe(loss)}`,
      errorName: loss.name,
    };
  }

  /**
   * A `kubectl.kubernetes.io/restartedAt` value for one restart, picked once so that a retried
   * patch writes the same value and rolls nothing twice; strictly after `after` when given (a
   * rollback must change the value, or its patch would roll nothing).
   */
  restartStamp(after?: string): string {
    const now = this.now().getTime();
    const floor = after ? new Date(after).getTime() + 1000 : now;
    return new Date(Math.max(now, floor)).toISOString();
  }

  /** An error as one line, without any token. */
  describe(error: unknown): string {
    return this.scrub(errorText(error));
  }

  scrub(text: string): string {
    return redactText(text, this.#secrets);
  }

  /**
   * A fresh error with its message and its causes' (a few deep) scrubbed: same `.name`,
   * `permission` and `statusCode`, a one-line stack and nothing else (a response body may hold a token).
   */
  scrubError(error: unknown, depth = 0): Error {
    if (!(error instanceof Error)) return new Error(this.scrub(String(error)));
    const cause =
      error.cause !== undefined && depth < 3 ? this.scrubError(error.cause, depth + 1) : undefined;
    const fresh = new Error(this.scrub(error.message), cause ? { cause } : undefined);
    fresh.name = error.name;
    fresh.stack = `${fresh.name}: ${fresh.message}`;
    const { permission, statusCode } = error as { permission?: unknown; statusCode?: unknown };
    return Object.assign(
      fresh,
      permission === undefined ? {} : { permission },
      statusCode === undefined ? {} : { statusCode },
    );
  }
}

/** The `.name` of anything thrown. */
export function nameOf(error: unknown): string {
  return error instanceof Error ? error.name : "Error";
}

export function isNamed(error: unknown, name: string): boolean {
  return error instanceof Error && error.name === name;
}
