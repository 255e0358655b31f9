/**
 * What an agent reports after each pass, per deployment: versioned JSON on its cluster's own
 * Storage queue (base64, as the project's other queues). It never holds a token. The service reads
 * reports as untrusted input: {@link decodeAgentReport} bounds and validates every field.
 */
import { z } from "zod";
import { InputError } from "../errors.js";

/** What happened to a deployment in a pass. */
export type ReportOutcome = "in-sync" | "delivered" | "rolled-back" | "failed";

/** Version 1 of a report. */
export interface AgentReport {
  v: 1;
  gateway: string;
  /** The cluster the agent reports as; the service trusts only the queue's own cluster. */
  cluster: string;
  namespace: string;
  deployment: string;
  /**
   * The Key Vault version the pass worked with: the deployment's after `in-sync` and `delivered`, the
   * one that failed to roll out after `rolled-back`. Absent when Key Vault could not be read.
   */
  vaultVersion?: string;
  outcome: ReportOutcome;
  /** When the pass ended (ISO 8601, UTC). */
  at: string;
  /** Why, for `rolled-back` and `failed`: one line, at most 500 characters. */
  reason?: string;
}

/** The most a report may take on the queue (before base64); a larger message is refused unread. */
export const maxReportBytes = 4096;

/** The prefix of each cluster's report queue. */
export const reportQueuePrefix = "gateway-guard-reports-";

/** The report queue of a cluster: `gateway-guard-reports-<cluster>`. */
export function reportQueueName(cluster: string): string {
  return `${reportQueuePrefix}${cluster}`;
}

const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dnsSubdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

const reportSchema = z.strictObject({
  v: z.literal(1),
  gateway: z.string().max(63).regex(dnsLabel),
  cluster: z.string().max(41).regex(dnsLabel),
  namespace: z.string().max(63).regex(dnsLabel),
  deployment: z.string().max(253).regex(dnsSubdomain),
  vaultVersion: z
    .string()
    .regex(/^[0-9a-zA-Z]{1,64}$/)
    .optional(),
  outcome: z.enum(["in-sync", "delivered", "rolled-back", "failed"]),
  at: z.iso.datetime(),
  reason: z
    .string()
    .max(500)
    .regex(/^[^\p{Cc}]*$/u, "no control characters")
    .optional(),
});

/**
 * The report as the JSON text that goes on the queue (before base64), with the reason cut to one
 * line of 500 characters.
 * @throws Error when a field is out of bounds (a bug: the agent builds reports from its validated configuration)
 */
export function encodeAgentReport(report: AgentReport): string {
  const reason = report.reason?.replace(/\p{Cc}+/gu, " ").slice(0, 500);
  return JSON.stringify(reportSchema.parse({ ...report, ...(reason === undefined ? {} : { reason }) }));
}

/**
 * Reads a report from a queue message's text (base64 of the JSON).
 * @param text - the message text as received
 * @returns the validated report
 * @throws InputError saying what was wrong (size, encoding, JSON, which fields)
 */
export function decodeAgentReport(text: string): AgentReport {
  if (text.length > Math.ceil(maxReportBytes / 3) * 4) {
    throw new InputError(`report: larger than ${maxReportBytes} bytes`);
  }
  const json = Buffer.from(text, "base64").toString("utf8");
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new InputError("report: expected base64 of a JSON object, got something else");
  }
  const parsed = reportSchema.safeParse(value);
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((i) => i.path.join(".") || "(report)"))];
    throw new InputError(`report: invalid ${fields.slice(0, 10).join(", ")}`);
  }
  const at = new Date(parsed.data.at);
  return { ...parsed.data, at: at.toISOString() } as AgentReport;
}
