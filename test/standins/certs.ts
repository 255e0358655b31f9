/**
 * A throw-away certificate authority and a server certificate for `localhost` / `127.0.0.1` and the
 * Key Vault stand-in's name ({@link standinVaultHost}), made with
 * `openssl` at test time (no private key is ever committed; the key files are deleted once read).
 *
 * How clients trust it: `NODE_EXTRA_CA_CERTS` is read only when Node starts, so it cannot help the
 * process that runs the tests. The Azure SDK clients instead take `tlsOptions: { ca }` in their
 * options bag (`@azure/core-rest-pipeline` adds a TLS policy and builds an `https.Agent` with it), so
 * production code only passes its `clientOptions` through. See {@link testClientTlsOptions}.
 * Child processes (the CLI in the demo, kubectl) can use `caPath` via `NODE_EXTRA_CA_CERTS` or a
 * kubeconfig's `certificate-authority`.
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** A server key and certificate, and the CA that signed the certificate. */
export interface TestCertificate {
  /** PEM private key of the server certificate (memory only). */
  key: string;
  /** PEM server certificate, SAN `DNS:localhost, DNS:gateway-guard.vault.localhost, IP:127.0.0.1`. */
  cert: string;
  /** PEM CA certificate that clients must trust. */
  ca: string;
  /**
   * Path of a file holding {@link TestCertificate.ca}: `<tmp>/gateway-guard-test-ca/ca-<pid>.pem`,
   * removed when the process exits normally, or by a later process once this one is gone.
   */
  caPath: string;
}

/**
 * The Key Vault stand-in's host name. A vault's host must end with `.<challenge resource host>` for
 * the SDK, so the stand-in is addressed by this name (resource `https://vault.localhost`). Named
 * explicitly in the certificate: no wildcard.
 */
export const standinVaultHost = "gateway-guard.vault.localhost";

let cached: Promise<TestCertificate> | undefined;

/**
 * Makes (once per process) a CA and a server certificate for localhost with `openssl`.
 * @returns the server key and certificate, the CA and the path of the CA file.
 */
export function makeTestCertificate(): Promise<TestCertificate> {
  cached ??= generate().catch((error: unknown) => {
    cached = undefined;
    throw error;
  });
  return cached;
}

/**
 * The TLS part of an Azure SDK client's options bag that makes it trust the stand-ins.
 * @returns `{ tlsOptions: { ca } }`, to spread into `ApiManagementClient` / `SecretClient` options.
 */
export async function testClientTlsOptions(): Promise<{ tlsOptions: { ca: string } }> {
  const { ca } = await makeTestCertificate();
  return { tlsOptions: { ca } };
}

async function generate(): Promise<TestCertificate> {
  const dir = mkdtempSync(join(tmpdir(), "gateway-guard-certs-"));
  try {
    return await generateIn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function generateIn(dir: string): Promise<TestCertificate> {
  const file = (name: string) => join(dir, name);
  const days = "7";

  await run("openssl", [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
    "-keyout", file("ca.key"), "-out", file("ca.pem"), "-days", days,
    "-subj", "/CN=gateway-guard test CA",
    "-addext", "basicConstraints=critical,CA:TRUE",
    "-addext", "keyUsage=critical,keyCertSign,cRLSign",
  ]); // prettier-ignore
  await run("openssl", [
    "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
    "-keyout", file("server.key"), "-out", file("server.csr"), "-subj", "/CN=localhost",
  ]); // prettier-ignore
  writeFileSync(
    file("server.ext"),
    [
      "basicConstraints=CA:FALSE",
      "keyUsage=critical,digitalSignature,keyEncipherment",
      "extendedKeyUsage=serverAuth",
      `subjectAltName=DNS:localhost,DNS:${standinVaultHost},IP:127.0.0.1`,
    ].join("\n"),
  );
  await run("openssl", [
    "x509", "-req", "-in", file("server.csr"), "-CA", file("ca.pem"), "-CAkey", file("ca.key"),
    "-CAcreateserial", "-out", file("server.pem"), "-days", days, "-extfile", file("server.ext"),
  ]); // prettier-ignore

  const key = readFileSync(file("server.key"), "utf8");
  const cert = readFileSync(file("server.pem"), "utf8");
  const ca = readFileSync(file("ca.pem"), "utf8");
  return { key, cert, ca, caPath: writeCaFile(ca) };
}

function writeCaFile(ca: string): string {
  const dir = join(tmpdir(), "gateway-guard-test-ca");
  mkdirSync(dir, { recursive: true });
  for (const name of readdirSync(dir)) {
    const pid = Number(/^ca-(\d+)\.pem$/.exec(name)?.[1]);
    if (pid && !isAlive(pid)) rmSync(join(dir, name), { force: true });
  }
  const caPath = join(dir, `ca-${process.pid}.pem`);
  writeFileSync(caPath, ca);
  process.once("exit", () => rmSync(caPath, { force: true }));
  return caPath;
}

/** Whether a process with this id runs (one of another user counts). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
