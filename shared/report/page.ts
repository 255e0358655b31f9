/**
 * The fleet page: one self-contained HTML document (inline CSS, no scripts, nothing fetched from
 * elsewhere; a Content-Security-Policy says so) from a {@link FleetView}. Every string is escaped.
 */
import { escapeXml as h, htmlPageStart, plural } from "../drift/format/common.js";
import { formatDays } from "../token/days.js";
import {
  barFullInDays,
  criticalBelowInDays,
  type FleetGatewayView,
  type FleetRow,
  type FleetView,
  type Urgency,
} from "./model.js";
import { fleetStyle } from "./style.js";

export interface FleetPageOptions {
  /** Shown in the footer. */
  toolVersion?: string;
}

const urgencyLabels: Record<Urgency, string> = {
  expired: "expired",
  critical: `under ${criticalBelowInDays} days`,
  expiring: "under renew-before",
  fresh: "fresh",
  unknown: "unknown",
};

/**
 * Renders the fleet page.
 * @param view - the rows, worst first, and the gateways.
 * @param options - the tool's version for the footer.
 * @returns the HTML text, ending with a newline.
 */
export function renderFleetPage(view: FleetView, options: FleetPageOptions = {}): string {
  const now = view.generatedAt;
  const deployments = view.rows.length;
  const parts = [
    ...htmlPageStart("gateway-guard fleet", fleetStyle),
    `<main>`,
    `<header><h1>Gateway fleet</h1><span class="muted small">${plural(view.gateways.length, "gateway")}, ${plural(deployments, "deployment")} · read ${h(stamp(now))}</span></header>`,
    counts(view),
    `<table class="fleet">`,
    `<colgroup><col class="c-target"><col class="c-days"><col class="c-key"><col class="c-sync"><col class="c-pods"><col class="c-last"><col class="c-drift"></colgroup>`,
    `<thead><tr><th>Gateway / deployment</th><th>Token days left</th><th>Key</th><th>In sync</th><th>Pods on current token</th><th>Last rotation</th><th>Drift</th></tr></thead>`,
    `<tbody>`,
    ...view.rows.map((row) => rowHtml(row, now)),
    `</tbody>`,
    `</table>`,
    `<h2>Gateways</h2>`,
    `<div class="gateways">`,
    ...view.gateways.map((gateway) => gatewayCard(gateway, now)),
    `</div>`,
    `<h2>Details</h2>`,
    ...view.rows.map(detailHtml),
    `<footer>gateway-guard${options.toolVersion ? ` ${h(options.toolVersion)}` : ""} · bars: green over renew-before, amber under it, red under ${criticalBelowInDays} days, dark red expired; a full bar is ${barFullInDays} days. Tokens are compared by hash and never shown.</footer>`,
    `</main>`,
    `</body>`,
    `</html>`,
  ];
  return `${parts.join("\n")}\n`;
}

function counts(view: FleetView): string {
  const order: Urgency[] = ["expired", "critical", "expiring", "unknown", "fresh"];
  const items = order
    .filter((u) => view.counts[u] > 0 || u !== "unknown")
    .map(
      (u) =>
        `<li class="u-${u}"><span class="dot" style="background: var(--band)"></span><strong>${view.counts[u]}</strong> ${urgencyLabels[u]}</li>`,
    );
  return `<ul class="counts">${items.join("")}</ul>`;
}

function rowHtml(row: FleetRow, now: Date): string {
  const cell = (label: string, content: string) => `<td data-label="${label}"><div>${content}</div></td>`;
  const cells = [
    `<td class="target" data-label="Deployment"><div class="gw">${h(row.gateway)}</div><code class="muted">${h(row.target)}</code>${row.errors.length ? `<div class="small"><a class="no" href="#${row.id}">could not be read</a></div>` : ""}</td>`,
    cell("Token days left", daysCell(row)),
    cell("Key", h(row.keyType)),
    cell("In sync", syncCell(row.inSync)),
    cell("Pods on current token", podsCell(row)),
    cell("Last rotation", lastRotationCell(row, now)),
    cell("Drift", driftCell(row)),
  ];
  return `<tr class="row u-${row.urgency}" data-gateway="${h(row.gateway)}" data-urgency="${row.urgency}" data-days-left="${row.daysLeft ?? ""}" data-renew-before="${row.renewBeforeInDays}">${cells.join("")}</tr>`;
}

function daysCell(row: FleetRow): string {
  const bar = `<div class="bar" title="${h(urgencyLabels[row.urgency])}"><span class="fill" style="width: ${row.barPercent}%"></span></div>`;
  let text: string;
  if (row.daysLeft === undefined) text = "unknown";
  else if (row.daysLeft <= 0) text = `expired ${formatDays(-row.daysLeft)} ago`;
  else text = formatDays(row.daysLeft);
  const band =
    row.urgency === "expiring"
      ? `renewal due (under ${row.renewBeforeInDays} days)`
      : row.urgency === "critical"
        ? urgencyLabels.critical
        : "";
  return `${bar}<span class="days">${h(text)}</span>${band ? `<div class="muted small">${h(band)}</div>` : ""}`;
}

function syncCell(inSync: boolean | null): string {
  if (inSync === null) return `<span class="muted" title="unknown">?</span>`;
  return inSync ? `<span class="yes">yes</span>` : `<span class="no">NO</span>`;
}

function podsCell(row: FleetRow): string {
  const { pods } = row;
  if (pods.error) return `<span class="muted">?</span>`;
  if (pods.onCurrentToken === undefined) return `<span class="muted">?</span> / ${pods.ready}`;
  const behind = pods.onCurrentToken < pods.ready;
  return `<span class="${behind ? "no" : ""}">${pods.onCurrentToken}</span> / ${pods.ready}`;
}

function lastRotationCell(row: FleetRow, now: Date): string {
  const when = row.lastRotation
    ? `<div title="${h(row.lastRotation.toISOString())}">${h(ago(row.lastRotation, now))}</div>`
    : `<div class="muted">not recorded</div>`;
  return `${when}<span class="badge t-${row.outcome.tone}">${h(row.outcome.label)}</span>`;
}

function driftCell(row: FleetRow): string {
  if (!row.failing) return `<a href="#${row.id}" class="muted">not checked</a>`;
  if (row.failing.length === 0) return `<a href="#${row.id}">none failing</a>`;
  const tone =
    row.worstSeverity === "error" ? "t-bad" : row.worstSeverity === "warning" ? "t-warn" : "t-muted";
  return `<a href="#${row.id}" class="badge ${tone}">${row.failing.length} failing</a>`;
}

function gatewayCard(gateway: FleetGatewayView, now: Date): string {
  const { vault } = gateway;
  let token: string;
  if (vault.error) token = `cannot be read: ${h(vault.error)}`;
  else if (!vault.exists) token = "none yet (the first rotation creates it)";
  else {
    const expires = vault.expiresInDays === undefined ? "expiry unknown" : daysPhrase(vault.expiresInDays);
    token = `${h(vault.keyType ?? "unknown")} key, ${h(expires)}${vault.createdOn ? `, written ${h(ago(vault.createdOn, now))}` : ""}`;
  }
  const links = gateway.deployments
    .map((d) => `<a href="#${d.id}"><code>${h(d.target)}</code></a>`)
    .join("<br>");
  return [
    `<div class="card" id="gateway-${h(gateway.name)}" data-gateway="${h(gateway.name)}">`,
    `<h3>${h(gateway.name)}</h3>`,
    `<dl>`,
    `<dt>APIM</dt><dd><code>${h(gateway.apim)}</code></dd>`,
    `<dt>Key Vault</dt><dd><code>${h(vault.secretName)}</code>: ${token}</dd>`,
    `<dt>Rotation now</dt><dd>${gateway.decision ? `<strong>${h(gateway.decision)}</strong>: ${h(gateway.reason ?? "")}` : `<span class="muted">unknown (part of the state could not be read)</span>`}</dd>`,
    `<dt>Deployments</dt><dd>${links}</dd>`,
    `</dl>`,
    `</div>`,
  ].join("");
}

function detailHtml(row: FleetRow): string {
  const notes = [
    ...row.errors.map((e) => `<li>Could not read: ${h(e)}</li>`),
    ...(row.pods.note ? [`<li>Pods: ${h(row.pods.note)}</li>`] : []),
    ...(row.pods.stale.length
      ? [`<li>Pods started before the rotation: ${h(row.pods.stale.join(", "))}</li>`]
      : []),
  ];
  const findings = row.failing
    ? row.failing.length
      ? `<ul class="findings">${row.failing.map(findingHtml).join("")}</ul>`
      : `<p class="muted small">No drift rule fails.</p>`
    : `<p class="muted small">The drift check did not run: the deployment could not be read.</p>`;
  return [
    `<section class="detail u-${row.urgency}" id="${row.id}">`,
    `<h3>${h(row.gateway)} · <code>${h(row.target)}</code></h3>`,
    `<p class="small"><span class="badge t-${row.outcome.tone}">${h(row.outcome.label)}</span> ${h(row.outcome.detail)}</p>`,
    notes.length ? `<ul class="small">${notes.join("")}</ul>` : "",
    findings,
    `</section>`,
  ].join("");
}

function findingHtml(finding: NonNullable<FleetRow["failing"]>[number]): string {
  return [
    `<li><span class="sev sev-${h(finding.severity)}">${h(finding.severity)}</span><code>${h(finding.rule)}</code> ${h(finding.message)}`,
    `<div class="muted small">expected ${h(finding.expected)}; found ${h(finding.actual)}</div>`,
    finding.remediation
      ? `<details class="small"><summary>How to fix</summary><pre><code>${h(finding.remediation)}</code></pre></details>`
      : "",
    `</li>`,
  ].join("");
}

function daysPhrase(days: number): string {
  return days <= 0 ? `expired ${formatDays(-days)} ago` : `expires in ${formatDays(days)}`;
}

function ago(date: Date, now: Date): string {
  const hours = (now.getTime() - date.getTime()) / 3_600_000;
  if (hours < 0) return stamp(date);
  if (hours < 1) return "less than an hour ago";
  if (hours < 48) return `${Math.floor(hours)} hours ago`;
  return `${formatDays(hours / 24)} ago`;
}

function stamp(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}
