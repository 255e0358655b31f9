/**
 * The rotation queue's message: versioned JSON, one gateway per message. The timer, the webhook
 * and manual calls write it; the worker reads it. A message that does not parse is permanent
 * (retrying cannot fix it): {@link decodeRotationMessage} throws an InputError.
 */
import { z } from "zod";
import { InputError } from "../errors.js";

/** Why a rotation was asked for. */
export type RotationReason = "schedule" | "webhook" | "manual";

/** Version 1 of the message. */
export interface RotationMessage {
  v: 1;
  /** The gateway's configured name. */
  gateway: string;
  reason: RotationReason;
  /** Rotate even when the token is fresh. */
  force: boolean;
  /** Correlates the request, the worker's events and the poison event. */
  requestId: string;
}

const messageSchema = z.strictObject({
  v: z.literal(1),
  gateway: z.string().min(1),
  reason: z.enum(["schedule", "webhook", "manual"]),
  force: z.boolean(),
  requestId: z.string().min(1).max(200),
});

/**
 * Serialises a message as the JSON text that goes on the queue (before the transport's base64).
 * @param message - the message.
 * @returns JSON text.
 */
export function encodeRotationMessage(message: RotationMessage): string {
  return JSON.stringify(messageSchema.parse(message));
}

/**
 * Reads a message as the queue trigger hands it over: the host gives JSON messages as an object,
 * other content as a string (base64 already removed by the host).
 * @param raw - the trigger payload.
 * @returns the validated message.
 * @throws InputError saying what was expected.
 */
export function decodeRotationMessage(raw: unknown): RotationMessage {
  let value = raw;
  if (typeof raw === "string") {
    try {
      value = JSON.parse(raw);
    } catch {
      throw new InputError(
        `rotation message: expected JSON {"v":1,"gateway":...,"reason":...,"force":...,"requestId":...}, got text that is not JSON`,
      );
    }
  }
  const result = messageSchema.safeParse(value);
  if (!result.success) {
    const problems = result.error.issues
      .map((issue) => `${issue.path.length ? issue.path.join(".") : "(message)"}: ${issue.message}`)
      .join("; ");
    throw new InputError(
      `rotation message: expected {"v":1,"gateway":string,"reason":"schedule"|"webhook"|"manual","force":boolean,"requestId":string}; ${problems}`,
    );
  }
  return result.data;
}

/**
 * Reads as much of a message as can be trusted, for logging a message that may be malformed.
 * @param raw - the trigger payload.
 * @returns the gateway and request id when present.
 */
export function peekRotationMessage(raw: unknown): { gateway?: string; requestId?: string } {
  let value = raw;
  if (typeof raw === "string") {
    try {
      value = JSON.parse(raw);
    } catch {
      return {};
    }
  }
  if (typeof value !== "object" || value === null) return {};
  const record = value as Record<string, unknown>;
  return {
    gateway: typeof record.gateway === "string" ? record.gateway.slice(0, 200) : undefined,
    requestId: typeof record.requestId === "string" ? record.requestId.slice(0, 200) : undefined,
  };
}
