/**
 * The service's book of agent reports (pull mode), kept in one blob so that every instance and every
 * run sees the newest accepted report per pulled deployment. Writes are conditional on the ETag read,
 * so two instances never lose each other's update: the loser reads again and merges.
 * `@azure/storage-blob` loads on first use.
 */
import type { ContainerClient } from "@azure/storage-blob";
import type { StorageConnection } from "../config/appSettings.js";
import { ReportBook } from "../agent/reports.js";
import type { AgentReport } from "../agent/report.js";
import { restErrorInfo } from "../azure/restError.js";

/** The service's blob container (the book, the locks of all-pulled gateways). */
export type ServiceContainer = ContainerClient;

/** The container and blob that hold the book. */
export const reportBookLocation = { container: "gateway-guard", blob: "reports.json" } as const;

/** A book as read, with what a conditional write needs. */
export interface LoadedReportBook {
  book: ReportBook;
  /** The blob's ETag when read; undefined when there was no blob yet. */
  etag?: string;
}

/** Where the book is kept. */
export interface ReportBookStore {
  load(): Promise<LoadedReportBook>;
  /**
   * Writes the book if the blob is still as loaded.
   * @returns false when another instance wrote it meanwhile (load, merge and save again)
   */
  save(loaded: LoadedReportBook): Promise<boolean>;
}

/** The book in a blob of the service's storage account. */
export class BlobReportBookStore implements ReportBookStore {
  readonly #container: () => Promise<ContainerClient>;
  #client: Promise<ContainerClient> | undefined;

  /** @param container - the container's client, made on first use */
  constructor(container: () => Promise<ContainerClient>) {
    this.#container = container;
  }

  async load(): Promise<LoadedReportBook> {
    const blob = (await this.#connect()).getBlockBlobClient(reportBookLocation.blob);
    try {
      const response = await blob.downloadToBuffer();
      const properties = await blob.getProperties();
      return { book: bookFromJson(response.toString("utf8")), etag: properties.etag };
    } catch (error) {
      if (restErrorInfo(error).statusCode === 404) return { book: new ReportBook() };
      throw error;
    }
  }

  async save({ book, etag }: LoadedReportBook): Promise<boolean> {
    const container = await this.#connect();
    const text = JSON.stringify({ v: 1, reports: book.all() });
    const conditions = etag ? { ifMatch: etag } : { ifNoneMatch: "*" };
    try {
      await container.getBlockBlobClient(reportBookLocation.blob).upload(text, Buffer.byteLength(text), {
        conditions,
        blobHTTPHeaders: { blobContentType: "application/json" },
      });
      return true;
    } catch (error) {
      const status = restErrorInfo(error).statusCode;
      if (status === 412 || status === 409) return false;
      throw error;
    }
  }

  #connect(): Promise<ContainerClient> {
    this.#client ??= this.#container().catch((error: unknown) => {
      this.#client = undefined;
      throw error;
    });
    return this.#client;
  }
}

/**
 * The book's container in the configured storage: identity-based in Azure (its blob endpoint beside
 * the queue endpoint), a connection string for Azurite. Created when missing (Azurite; in Azure the
 * template creates it).
 */
export async function createReportBookContainer(storage: StorageConnection): Promise<ContainerClient> {
  const { BlobServiceClient, ContainerClient } = await import("@azure/storage-blob");
  let container: ContainerClient;
  if (storage.kind === "connectionString") {
    container = BlobServiceClient.fromConnectionString(storage.connectionString).getContainerClient(
      reportBookLocation.container,
    );
    await container.createIfNotExists();
    return container;
  }
  const { createCredential } = await import("../azure/credential.js");
  const url = `${blobServiceUri(storage.queueServiceUri)}/${reportBookLocation.container}`;
  return new ContainerClient(url, createCredential({ managedIdentityClientId: storage.clientId }));
}

/** `https://<account>.queue.<suffix>` → `https://<account>.blob.<suffix>` */
export function blobServiceUri(queueServiceUri: string): string {
  const url = new URL(queueServiceUri);
  url.hostname = url.hostname.replace(/^([^.]+)\.queue\./, "$1.blob.");
  return url.toString().replace(/\/+$/, "");
}

function bookFromJson(text: string): ReportBook {
  const book = new ReportBook();
  const parsed = JSON.parse(text) as { reports?: AgentReport[] };
  for (const report of parsed.reports ?? []) book.record(report);
  return book;
}
