/** The fleet page's stylesheet: inline, no fonts or images from elsewhere; a table at desktop width, cards on a phone. */

/** Bar colour per urgency (also what the browser test expects). */
export const urgencyColours = {
  fresh: "#2e7d32",
  expiring: "#d97706",
  critical: "#dc2626",
  expired: "#7f1d1d",
  unknown: "#9ca3af",
} as const;

export const fleetStyle = `
:root { --ink: #1f2933; --muted: #616e7c; --line: #e4e7eb; --panel: #f5f7fa; --accent: #0b5cad;
  --fresh: ${urgencyColours.fresh}; --expiring: ${urgencyColours.expiring}; --critical: ${urgencyColours.critical};
  --expired: ${urgencyColours.expired}; --unknown: ${urgencyColours.unknown}; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { max-width: 1240px; margin: 0 auto; padding: 24px 20px 48px; }
header { display: flex; flex-wrap: wrap; align-items: baseline; justify-content: space-between; gap: 4px 16px; border-bottom: 1px solid var(--line); padding-bottom: 12px; }
h1 { font-size: 22px; margin: 0; font-weight: 650; }
h2 { font-size: 16px; margin: 32px 0 10px; }
h3 { font-size: 15px; margin: 0 0 4px; overflow-wrap: anywhere; }
a { color: var(--accent); }
code { font: 12.5px ui-monospace, "Cascadia Code", Menlo, Consolas, monospace; overflow-wrap: anywhere; }
pre { background: var(--panel); padding: 8px 10px; border-radius: 6px; overflow-x: auto; margin: 6px 0; }
.muted { color: var(--muted); }
.small { font-size: 12.5px; }
.counts { display: flex; flex-wrap: wrap; gap: 8px; margin: 16px 0 8px; padding: 0; list-style: none; }
.counts li { display: flex; align-items: center; gap: 6px; padding: 4px 10px; border: 1px solid var(--line); border-radius: 999px; background: #fff; }
.counts .dot { width: 10px; height: 10px; border-radius: 50%; display: inline-block; }
table.fleet { width: 100%; border-collapse: collapse; table-layout: fixed; }
.fleet th { text-align: left; font-size: 12px; font-weight: 600; color: var(--muted); text-transform: uppercase; letter-spacing: .03em; padding: 8px 10px; border-bottom: 2px solid var(--line); }
.fleet td { padding: 10px; border-bottom: 1px solid var(--line); vertical-align: top; overflow-wrap: anywhere; }
.fleet tr.row > td:first-child { border-left: 4px solid var(--band); }
.fleet col.c-target { width: 26%; } .fleet col.c-days { width: 16%; } .fleet col.c-key { width: 9%; }
.fleet col.c-sync { width: 8%; } .fleet col.c-pods { width: 12%; } .fleet col.c-last { width: 18%; } .fleet col.c-drift { width: 11%; }
.gw { font-weight: 600; }
.bar { height: 8px; border-radius: 4px; background: var(--line); overflow: hidden; margin: 4px 0 3px; }
.bar .fill { display: block; height: 100%; border-radius: 4px; background: var(--band); }
.u-fresh { --band: var(--fresh); } .u-expiring { --band: var(--expiring); } .u-critical { --band: var(--critical); }
.u-expired { --band: var(--expired); } .u-unknown { --band: var(--unknown); }
.days { font-variant-numeric: tabular-nums; font-weight: 600; }
.u-expired .days, .u-critical .days { color: var(--critical); }
.badge { display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 12px; font-weight: 600; white-space: nowrap; }
.t-ok { background: #e6f4ea; color: #1e6b2e; } .t-warn { background: #fdf0dc; color: #8a4b00; }
.t-bad { background: #fde8e8; color: #a61b1b; } .t-muted { background: var(--panel); color: var(--muted); }
.no { color: var(--critical); font-weight: 600; } .yes { color: var(--fresh); font-weight: 600; }
.gateways { display: grid; grid-template-columns: repeat(auto-fill, minmax(340px, 1fr)); gap: 12px; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; background: #fff; min-width: 0; }
.card dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 10px; margin: 6px 0 0; }
.card dt { color: var(--muted); } .card dd { margin: 0; overflow-wrap: anywhere; }
.detail { border: 1px solid var(--line); border-left: 4px solid var(--band); border-radius: 8px; padding: 12px 14px; margin: 0 0 12px; }
.detail:target { box-shadow: 0 0 0 3px #0b5cad33; }
.findings { list-style: none; margin: 8px 0 0; padding: 0; }
.findings li { padding: 8px 0; border-top: 1px solid var(--line); }
.sev { display: inline-block; min-width: 58px; font-size: 11px; font-weight: 700; text-transform: uppercase; }
.sev-error { color: var(--critical); } .sev-warning { color: var(--expiring); } .sev-info { color: var(--accent); }
footer { margin-top: 32px; color: var(--muted); font-size: 12.5px; }
@media (max-width: 760px) {
  .gateways { grid-template-columns: minmax(0, 1fr); }
  main { padding: 16px 12px 32px; }
  table.fleet, .fleet tbody, .fleet tr, .fleet td { display: block; width: 100%; }
  .fleet thead, .fleet colgroup { display: none; }
  .fleet tr.row { border: 1px solid var(--line); border-left: 4px solid var(--band); border-radius: 8px; margin: 0 0 12px; padding: 6px 12px; }
  .fleet tr.row > td:first-child { border-left: 0; }
  .fleet td { border: 0; padding: 5px 0; display: grid; grid-template-columns: 132px minmax(0, 1fr); gap: 8px; }
  .fleet td::before { content: attr(data-label); color: var(--muted); font-size: 12px; }
  .fleet td.target { display: block; border-bottom: 1px solid var(--line); padding-bottom: 8px; margin-bottom: 4px; }
  .fleet td.target::before { content: none; }
}
`;
