/**
 * The operations events: what the Functions app logs for people and alert rules to act on. One
 * registry, shared by the code that logs them and the test that checks infra's alert queries
 * against them (every name a query uses is logged here; every final failure has an alert).
 *
 * Each rotation message ends in exactly one final event. An event's level is part of its meaning,
 * so it is logged through {@link logEvent}, which takes the level from here.
 */
import type { RotationLogger } from "../rotation/types.js";

/** The level an event is logged at. */
export type EventLevel = "info" | "warn" | "error";

/** One event in the registry. */
export interface OperationsEvent {
  level: EventLevel;
  /** Ends a rotation message: nothing more happens to that message. */
  final: boolean;
  /** An alert rule in infra/ fires on it. */
  alerted: boolean;
  /** What it means, for the runbook. */
  meaning: string;
}

/** Every operations event, by name. */
export const operationsEvents = {
  "rotation.scheduled": {
    level: "info",
    final: false,
    alerted: false,
    meaning: "the timer ran: one message per configured gateway (the dead man's switch's list of gateways)",
  },
  "rotation.retry": {
    level: "warn",
    final: false,
    alerted: false,
    meaning: "an attempt failed for a reason that may pass (throttling, 5xx, a held lock); the queue retries",
  },
  "rotation.completed": {
    level: "info",
    final: true,
    alerted: false,
    meaning: "the gateway is fresh, rotated or delivered: every deployment runs Key Vault's token",
  },
  "rotation.rolled-back": {
    level: "error",
    final: true,
    alerted: true,
    meaning: "a rollout failed and its deployment got its previous (still valid) token back; not retried",
  },
  "rotation.failed": {
    level: "error",
    final: true,
    alerted: true,
    meaning:
      "the rotation did not finish (a restarted deployment failed, or every retry was used up), or revocation was asked and not done",
  },
  "rotation.rejected": {
    level: "error",
    final: true,
    alerted: true,
    meaning:
      "retrying cannot help: a malformed message, an unknown gateway, a missing permission, a pre-flight refusal",
  },
  "rotation.locked": {
    level: "warn",
    final: true,
    alerted: false,
    meaning:
      "another live rotation of the gateway held the lock through every retry; that run reports its own outcome",
  },
  "rotation.poisoned": {
    level: "error",
    final: true,
    alerted: true,
    meaning:
      "the host gave up on the message without the worker ending it (crashes or timeouts on every attempt)",
  },
  "config.invalid": {
    level: "error",
    final: false,
    alerted: true,
    meaning: "an app setting or the gateway configuration does not load; the event names the setting",
  },
  "agent.report-ignored": {
    level: "warn",
    final: false,
    alerted: false,
    meaning:
      "an agent's report was not trusted (wrong cluster or deployment, stale, from the future, an unknown Key Vault version, malformed) and was deleted; the reason, never the content",
  },
  "agent.reports-unread": {
    level: "warn",
    final: false,
    alerted: false,
    meaning:
      "a pulled cluster's report queue or the book of reports could not be read; the next timer run tries again",
  },
  "agent.silent": {
    level: "error",
    final: false,
    alerted: true,
    meaning:
      "a pulled deployment's agent sent no report of Key Vault's current version for two of its intervals: revocation waits and the cluster may run an old token",
  },
} as const satisfies Record<string, OperationsEvent>;

/** The name of an operations event. */
export type OperationsEventName = keyof typeof operationsEvents;

/** The events that end a rotation message. */
export type FinalEventName = {
  [K in OperationsEventName]: (typeof operationsEvents)[K]["final"] extends true ? K : never;
}[OperationsEventName];

const eventNames = Object.keys(operationsEvents) as OperationsEventName[];

/** The events that end a rotation message, each message with exactly one. */
export const finalEventNames = eventNames.filter(
  (name): name is FinalEventName => operationsEvents[name].final,
);

/** The events an alert rule in infra/ fires on. */
export const alertedEventNames = eventNames.filter((name) => operationsEvents[name].alerted);

/** The metrics the app writes (from the rotation engine, as `metric <name> {json}` lines); the dead man's switch reads `token.days_left`. */
export const operationsMetrics = {
  "token.days_left": "days until the token every deployment of a gateway runs expires; the dead man's switch",
  "rotation.outcome": "1 per rotation run, by gateway and status",
} as const;

/**
 * Logs an operations event at its registered level.
 * @param log - the event logger.
 * @param name - the event.
 * @param fields - its fields (never a token).
 */
export function logEvent(
  log: RotationLogger,
  name: OperationsEventName,
  fields: Record<string, unknown>,
): void {
  log[operationsEvents[name].level](name, fields);
}

/**
 * A logger for the rotation engine inside the worker: final events are the worker's to log (one
 * per message), so any the engine logs itself are left out.
 * @param log - the worker's logger.
 * @returns the same logger without final events.
 */
export function withoutFinalEvents(log: RotationLogger): RotationLogger {
  const isFinal = (event: string): boolean => (finalEventNames as readonly string[]).includes(event);
  return {
    ...log,
    info: (event, fields) => (isFinal(event) ? undefined : log.info(event, fields)),
    warn: (event, fields) => (isFinal(event) ? undefined : log.warn(event, fields)),
    error: (event, fields) => (isFinal(event) ? undefined : log.error(event, fields)),
  };
}
