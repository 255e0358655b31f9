/**
 * A Storage queue that only takes messages ("Put Message"), over HTTPS with a bearer token: what an
 * agent's identity may do on its report queue. Azurite serves queues over plain HTTP here, where the
 * SDK refuses bearer tokens, so a process that signs in as the agent does (`DefaultAzureCredential`)
 * sends its reports to this instead.
 */
import { randomUUID } from "node:crypto";
import { makeTestCertificate } from "../standins/certs.js";
import { bearerToken, startServer } from "../standins/http.js";

export interface ReportQueueStandin {
  /** `https://127.0.0.1:<port>/devstoreaccount1/<queue>` */
  url: string;
  /** The message texts received, in order (base64 of the report's JSON). */
  messages: string[];
  close(): Promise<void>;
}

/** Starts the queue `name`; anything but a POST of a message with a bearer token is refused. */
export async function startReportQueueStandin(name: string): Promise<ReportQueueStandin> {
  const { key, cert } = await makeTestCertificate();
  const messages: string[] = [];
  const path = `/devstoreaccount1/${name}/messages`;
  const server = await startServer(
    (request) => {
      if (!bearerToken(request.headers)) return { status: 401, body: "" };
      if (request.method !== "POST" || request.path !== path) return { status: 403, body: "" };
      const text = /<MessageText>([^<]*)<\/MessageText>/.exec(request.body)?.[1];
      if (text === undefined) return { status: 400, body: "" };
      messages.push(text);
      const now = new Date();
      const later = new Date(now.getTime() + 7 * 86_400_000);
      return {
        status: 201,
        headers: { "content-type": "application/xml" },
        body:
          `<?xml version="1.0" encoding="utf-8"?><QueueMessagesList><QueueMessage>` +
          `<MessageId>${randomUUID()}</MessageId><InsertionTime>${now.toUTCString()}</InsertionTime>` +
          `<ExpirationTime>${later.toUTCString()}</ExpirationTime><PopReceipt>receipt</PopReceipt>` +
          `<TimeNextVisible>${now.toUTCString()}</TimeNextVisible></QueueMessage></QueueMessagesList>`,
      };
    },
    { tls: { key, cert } },
  );
  return { url: `${server.url}/devstoreaccount1/${name}`, messages, close: () => server.close() };
}
