import { dashboardScript } from './dashboard-script.js';

const style = `
:root { font-family: system-ui, sans-serif; color: #1c2430; background: #f6f7f9; }
body { margin: 0 auto; padding: 1rem 1.5rem; max-width: 1200px; }
header { display: flex; align-items: baseline; gap: 1rem; }
h1 { font-size: 1.4rem; margin: 0; } h2 { font-size: 1rem; margin: 1.4rem 0 .4rem; }
nav a { margin-right: .8rem; } .muted { color: #6b7686; font-size: .85rem; }
table { border-collapse: collapse; width: 100%; background: #fff; box-shadow: 0 1px 2px #0001; }
th, td { padding: .35rem .6rem; border-bottom: 1px solid #e6e8ec; text-align: left; font-size: .9rem; }
th { background: #eef0f3; font-weight: 600; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
.id { font-family: ui-monospace, monospace; }
.breaker, .status { padding: .05rem .45rem; border-radius: .6rem; font-size: .8rem; font-weight: 600; }
.breaker.closed, .status.completed { background: #dcf5e3; color: #17693a; }
.breaker.open, .status.failed, .status.cancelled { background: #fde0e0; color: #a11c1c; }
.breaker.half-open, .status.running, .status.queued { background: #fff1cc; color: #8a5a00; }
.timeline rect.closed { fill: #3aa863; } .timeline rect.open { fill: #d43c3c; } .timeline rect.half-open { fill: #e5a50a; }
.steps { margin: 0; padding-left: 1rem; font-size: .82rem; } .steps li { list-style: decimal; }
.hop { font-size: .85rem; } .hop.failed { color: #a11c1c; }
ul { margin: 0; padding-left: 1.1rem; } .columns { display: grid; grid-template-columns: 2fr 1fr; gap: 1.2rem; }
`;

/** The dashboard: a shell drawn by the server, filled and kept live by its script. */
export function dashboardPage(prefix: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Atlas</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>${style}</style></head>
<body>
<header><h1>Atlas</h1><span class="muted">prefix ${escapeHtml(prefix)}</span><span id="updated" class="muted">loading…</span>
<nav><a href="queues">Bull Board</a><a href="metrics">metrics</a><a href="openapi.json">API</a></nav></header>
<h2>Queues and breakers by instance</h2>
<table><thead><tr><th>instance</th><th>type</th><th>breaker</th><th>breaker, last 2 min</th><th>workers</th><th>waiting</th><th>active</th><th>delayed</th><th>rate</th><th>done</th><th>errors</th></tr></thead>
<tbody id="instances"></tbody></table>
<ul id="warnings" class="muted"></ul>
<div class="columns">
<section><h2>Recent requests</h2>
<table><thead><tr><th>id</th><th>status</th><th>hops</th><th>latency</th><th>created</th></tr></thead><tbody id="requests"></tbody></table></section>
<section><h2>Breaker transitions</h2><ul id="transitions"></ul></section>
</div>
<h2>Ingestion batches</h2>
<table><thead><tr><th>batch</th><th>collection</th><th>state</th><th>progress</th><th>summary</th></tr></thead><tbody id="batches"></tbody></table>
<h2>Workflow runs</h2>
<table><thead><tr><th>run</th><th>workflow</th><th>status</th><th>tokens</th><th>cost</th><th>created</th><th>steps: node, provider/model, tokens, cost, ms</th></tr></thead><tbody id="runs"></tbody></table>
<script>${dashboardScript}</script>
</body></html>`;
}

export function loginPage(next: string, failed: boolean): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Atlas: sign in</title><style>${style}
form { background: #fff; padding: 1.2rem; max-width: 26rem; box-shadow: 0 1px 2px #0001; }
input[type=password] { width: 100%; padding: .4rem; margin: .5rem 0; box-sizing: border-box; }</style></head>
<body><h1>Atlas</h1>
<form method="post" action="login">
<label for="token">Server token</label>
<input id="token" name="token" type="password" autocomplete="current-password" autofocus required>
<input type="hidden" name="next" value="${escapeHtml(next)}">
${failed ? '<p class="breaker open">That token is not valid.</p>' : ''}
<button type="submit">Sign in</button>
<p class="muted">Kept in an HttpOnly cookie for this browser only.</p>
</form></body></html>`;
}

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}
