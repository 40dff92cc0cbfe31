/** The report's stylesheet: system fonts, one accent, and colours that print and read well. */
export const REPORT_CSS = `
:root { --fg: #111827; --muted: #6b7280; --line: #e5e7eb; --bg: #f6f7f9; --card: #ffffff; --accent: #0072B2;
  --good: #047857; --good-bg: #ecfdf5; --bad: #b91c1c; --bad-bg: #fef2f2; --warn: #92400e; --warn-bg: #fffbeb; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: var(--bg); color: var(--fg); font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1180px; margin: 0 auto; padding: 28px 24px 64px; }
h1 { font-size: 26px; margin: 0 0 4px; letter-spacing: -0.01em; }
h2 { font-size: 18px; margin: 36px 0 12px; padding-bottom: 6px; border-bottom: 1px solid var(--line); }
h3 { font-size: 15px; margin: 0 0 10px; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
.muted { color: var(--muted); }
header.top { display: flex; flex-wrap: wrap; align-items: baseline; gap: 12px 20px; }
header.top .subtitle { color: var(--muted); }
.status { font-weight: 600; padding: 4px 12px; border-radius: 999px; font-size: 14px; }
.status.pass { color: var(--good); background: var(--good-bg); }
.status.fail { color: var(--bad); background: var(--bad-bg); }
.tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(165px, 100%), 1fr)); gap: 12px; margin-top: 20px; }
.tile { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 14px 16px; }
.tile-value { font-size: 24px; font-weight: 650; font-variant-numeric: tabular-nums; }
.tile-label { color: var(--fg); font-size: 13px; }
.tile-note { color: var(--muted); font-size: 12px; }
.clock-note { display: block; color: var(--muted); font-size: 12px; font-weight: 400; }
.latency-unknown { color: var(--muted); font-style: italic; }
.tile.tone-bad .tile-value { color: var(--bad); }
.tile.tone-good .tile-value { color: var(--good); }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 16px 18px; margin-bottom: 16px; }
.card p.caption { margin: 8px 0 0; color: var(--muted); font-size: 13px; }
.grid-2 { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(420px, 100%), 1fr)); gap: 16px; }
table.data.compact { margin-top: 10px; max-width: 640px; }
.chart { width: 100%; min-height: 60px; }
.chart-empty { display: flex; align-items: center; justify-content: center; min-height: 120px; color: var(--muted); background: repeating-linear-gradient(45deg, #fafafa, #fafafa 8px, #f3f4f6 8px, #f3f4f6 16px); border-radius: 8px; padding: 16px; text-align: center; }
.uplot { font-family: inherit; }
.uplot .u-title { font-size: 14px; font-weight: 600; text-align: left; padding: 0 0 6px 4px; }
.uplot .u-legend { font-size: 12.5px; text-align: left; }
table.data { width: 100%; border-collapse: collapse; background: var(--card); font-variant-numeric: tabular-nums; }
table.data caption { text-align: left; font-weight: 600; padding: 0 0 8px; }
table.data th, table.data td { padding: 6px 10px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
table.data thead th { font-size: 12px; text-transform: uppercase; letter-spacing: 0.04em; color: var(--muted); font-weight: 600; }
table.data td.num { text-align: right; white-space: nowrap; }
table.data th[scope=row] { font-weight: 500; }
table.data th[scope=row] code { display: block; color: var(--muted); font-size: 11.5px; font-weight: 400; }
.two-col { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 16px; }
.table-wrap { overflow-x: auto; max-width: 100%; }
.grid-2 > *, .two-col > * { min-width: 0; }
@media (max-width: 900px) { .two-col { grid-template-columns: 1fr; } .grid-2 { grid-template-columns: 1fr; } }
.badge { display: inline-block; font-size: 12px; font-weight: 600; padding: 1px 8px; border-radius: 999px; text-transform: uppercase; letter-spacing: 0.03em; }
.badge-pass { color: var(--good); background: var(--good-bg); }
.badge-fail, .badge-problem { color: var(--bad); background: var(--bad-bg); }
.badge-warning { color: var(--warn); background: var(--warn-bg); }
.badge-info { color: var(--accent); background: #eff6ff; }
tr.fail td { background: #fff7f7; }
.finding { background: var(--card); border: 1px solid var(--line); border-left: 4px solid var(--accent); border-radius: 8px; padding: 12px 16px; margin-bottom: 12px; }
.finding.sev-problem { border-left-color: var(--bad); }
.finding.sev-warning { border-left-color: #d97706; }
.finding p { margin: 6px 0 0; }
.finding .label { display: inline-block; min-width: 72px; color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: 0.04em; }
.warnings { margin-top: 16px; background: var(--warn-bg); color: var(--warn); border: 1px solid #fde68a; border-radius: 8px; padding: 4px 14px; }
.reason-bars .bar-row { display: grid; grid-template-columns: minmax(150px, 38%) 1fr 64px; align-items: center; gap: 10px; margin: 6px 0; font-size: 13px; }
.reason-bars .bar-track { background: #f3f4f6; border-radius: 4px; height: 14px; overflow: hidden; }
.reason-bars .bar { display: block; height: 100%; border-radius: 4px; }
.reason-bars .bar-value { text-align: right; font-variant-numeric: tabular-nums; }
.side { font-size: 11px; color: var(--muted); }
.side-bg-target { background: #D55E00; }
.side-bg-harness { background: #CC79A7; }
.side-bg-plan { background: #9ca3af; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 18px; margin: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
pre.plan { background: #0f172a; color: #e2e8f0; border-radius: 8px; padding: 14px 16px; overflow: auto; max-height: 420px; }
footer { margin-top: 40px; color: var(--muted); font-size: 12.5px; }
`;
