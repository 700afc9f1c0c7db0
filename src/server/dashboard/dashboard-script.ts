/**
 * The dashboard's script, run in the browser: polls /dashboard/data every second and redraws. Kept as
 * plain JavaScript in a string so the page needs no build step.
 */
export const dashboardScript = String.raw`
const windowMs = 2 * 60 * 1000;
let previous;
const escape = (value) => String(value ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
const ago = (at, now) => { const s = Math.max(0, Math.round((now - at) / 1000)); return s < 60 ? s + ' s ago' : Math.round(s / 60) + ' min ago'; };
const time = (at) => new Date(at).toLocaleTimeString();

function rates(data) {
  const now = data.at;
  const result = {};
  for (const instance of data.instances) {
    const before = previous?.instances.find((entry) => entry.instance === instance.instance);
    const seconds = previous ? (now - previous.at) / 1000 : 0;
    const done = instance.attempts.completed + instance.attempts.errors;
    result[instance.instance] = before && seconds > 0 ? Math.max(0, (done - before.attempts.completed - before.attempts.errors) / seconds) : 0;
  }
  return result;
}

function timeline(instance, data) {
  const start = data.at - windowMs;
  const own = data.transitions.filter((t) => t.instance === instance.instance);
  let state = 'closed';
  for (const t of own) if (t.at <= start) state = t.state;
  const segments = [];
  let from = start;
  for (const t of own) {
    if (t.at <= start) continue;
    segments.push({ from, to: t.at, state });
    from = t.at; state = t.state;
  }
  segments.push({ from, to: data.at, state: instance.breaker === 'closed' ? 'closed' : instance.breaker === 'open' ? 'open' : 'half-open' });
  const x = (at) => ((at - start) / windowMs) * 300;
  return '<svg class="timeline" width="300" height="14" viewBox="0 0 300 14" aria-label="breaker of ' + escape(instance.instance) + ' over 2 minutes">' +
    segments.map((s) => '<rect class="' + s.state + '" x="' + x(s.from).toFixed(1) + '" width="' + Math.max(1, x(s.to) - x(s.from)).toFixed(1) + '" y="0" height="14"><title>' + s.state + ' from ' + time(s.from) + '</title></rect>').join('') +
    '</svg>';
}

function render(data) {
  const rate = rates(data);
  previous = data;
  document.getElementById('updated').textContent = 'updated ' + time(data.at);
  document.getElementById('instances').innerHTML = data.instances.map((i) =>
    '<tr data-instance="' + escape(i.instance) + '"><td>' + escape(i.instance) + '</td><td>' + escape(i.type) + '</td>' +
    '<td><span class="breaker ' + escape(i.breaker) + '">' + escape(i.breaker) + '</span></td>' +
    '<td>' + timeline(i, data) + '</td>' +
    '<td class="n">' + i.liveWorkers + '</td><td class="n">' + i.waiting + '</td><td class="n">' + i.active + '</td><td class="n">' + i.delayed + '</td>' +
    '<td class="n">' + rate[i.instance].toFixed(1) + '/s</td><td class="n">' + i.attempts.completed + '</td><td class="n">' + i.attempts.errors + '</td></tr>').join('');
  document.getElementById('warnings').innerHTML = data.warnings.map((w) => '<li>' + escape(w) + '</li>').join('');
  document.getElementById('transitions').innerHTML = data.transitions.slice(-12).reverse().map((t) =>
    '<li><span class="breaker ' + escape(t.state) + '">' + escape(t.state) + '</span> ' + escape(t.instance) + ' <span class="muted">' + time(t.at) + '</span></li>').join('') || '<li class="muted">no transitions yet</li>';
  document.getElementById('requests').innerHTML = data.requests.map((r) =>
    '<tr><td class="id" title="' + escape(r.id) + '">' + escape(r.id.slice(0, 8)) + '</td><td><span class="status ' + escape(r.status) + '">' + escape(r.status) + '</span></td>' +
    '<td>' + (r.hops.length ? r.hops.map((h) => '<span class="hop' + (h.error ? ' failed' : '') + '" title="' + escape(h.error ? h.error.kind + ': ' + h.error.message : h.model) + '">' + escape(h.instance) + (h.error ? ' ✕ ' + escape(h.error.kind) : ' ✓') + '</span>').join(' → ') : '<span class="hop">' + escape(r.instance) + ' …</span>') + '</td>' +
    '<td class="n">' + (r.latencyMs === undefined ? '' : r.latencyMs + ' ms') + '</td><td class="muted">' + ago(r.createdAt, data.at) + '</td></tr>').join('') || '<tr><td colspan="5" class="muted">no requests yet</td></tr>';
  document.getElementById('batches').innerHTML = data.batches.map((b) =>
    '<tr><td class="id">' + escape(b.batchId.slice(0, 8)) + '</td><td>' + escape(b.collection) + '</td><td>' + escape(b.state) + '</td>' +
    '<td><progress max="' + b.total + '" value="' + b.done + '"></progress> ' + b.done + '/' + b.total + '</td>' +
    '<td>' + (b.summary ? 'added ' + b.summary.added + ', updated ' + b.summary.updated + ', skipped ' + b.summary.skipped + ', failed ' + b.summary.failed : '') + '</td></tr>').join('') || '<tr><td colspan="5" class="muted">no batches yet</td></tr>';
  document.getElementById('runs').innerHTML = (data.workflows || []).map((w) =>
    '<tr data-run="' + escape(w.id) + '"><td class="id" title="' + escape(w.id) + '">' + escape(w.id.slice(0, 8)) + '</td><td>' + escape(w.workflow) + '@' + escape(w.version) + '</td>' +
    '<td><span class="status ' + escape(w.status) + '">' + escape(w.status) + '</span>' + (w.status === 'running' || w.status === 'waiting' ? ' <span class="muted">at ' + escape(w.node) + '</span>' : '') + (w.error ? ' <span class="muted">' + escape(w.error) + '</span>' : '') + '</td>' +
    '<td class="n">' + w.usage.tokens + '</td><td class="n">$' + w.usage.costUsd.toFixed(4) + '</td><td class="muted">' + ago(w.createdAt, data.at) + '</td>' +
    '<td><ol class="steps">' + w.steps.map((s) => '<li class="step">' + escape(s.node) + (s.branch === undefined ? '' : '[' + s.branch + ']') + ' <span class="muted">' + escape(s.kind) + '</span>' +
      (s.provider ? ' ' + escape(s.provider) + (s.model ? '/' + escape(s.model) : '') : '') + ' · ' + s.tokens + ' tok · $' + s.costUsd.toFixed(4) + ' · ' + s.ms + ' ms</li>').join('') + '</ol></td></tr>').join('') || '<tr><td colspan="7" class="muted">no workflow runs yet</td></tr>';
}

async function refresh() {
  try {
    const response = await fetch('dashboard/data', { credentials: 'same-origin' });
    if (response.status === 401) { location.href = 'login?next=/'; return; }
    render(await response.json());
    document.body.dataset.live = 'yes';
  } catch (error) {
    document.getElementById('updated').textContent = 'disconnected: ' + error.message;
  }
}
refresh();
setInterval(refresh, 1000);
`;
