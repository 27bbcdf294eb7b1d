// The Floe console: everything it shows comes from this node's HTTP door, the JSON admin API
// (/api/v1) and /metrics, polled; nothing is loaded from anywhere else.
import { Chart, formatBytes, formatMs, parseMetrics, produceCounters, produceRates } from './charts.js';

const METRICS_EVERY_MS = 1000;
const STATE_EVERY_MS = 3000;
/** Topics and groups described at most (each is one request a refresh). */
const MAX_DESCRIBED = 100;

const $ = (selector) => document.querySelector(selector);

// --- sign-in ---------------------------------------------------------------------------------
// When the API answers 401 the console asks for a user and password (Basic) or a token (Bearer)
// and keeps the Authorization value in sessionStorage (this tab only, gone when it closes).

const AUTH_KEY = 'floe-authorization';
const login = $('#login');

function authorization() {
  return sessionStorage.getItem(AUTH_KEY);
}

function basic(user, password) {
  const bytes = new TextEncoder().encode(`${user}:${password}`);
  return `Basic ${btoa(String.fromCharCode(...bytes))}`;
}

/** Opens the form; `message` replaces the one shown (undefined keeps an open form's). */
function showLogin(message) {
  if (message !== undefined || !login.open) $('#login-error').textContent = message ?? '';
  $('#sign-out').hidden = authorization() === null;
  if (!login.open) login.showModal();
}

login.querySelector('form').addEventListener('submit', (e) => {
  e.preventDefault();
  const f = e.target.elements;
  const value = f.token.value.trim() !== '' ? `Bearer ${f.token.value.trim()}` : basic(f.username.value, f.password.value);
  sessionStorage.setItem(AUTH_KEY, value);
  f.password.value = '';
  f.token.value = '';
  login.close();
  $('#sign-out').hidden = false;
  refreshState();
});

$('#sign-out').addEventListener('click', () => {
  sessionStorage.removeItem(AUTH_KEY);
  $('#sign-out').hidden = true;
  showLogin('signed out');
});
$('#sign-out').hidden = authorization() === null;

async function getJson(path) {
  const headers = { accept: 'application/json', 'x-requested-with': 'floe-console' };
  const auth = authorization();
  if (auth) headers.authorization = auth;
  const r = await fetch(path, { headers });
  const body = await r.json();
  if (r.status === 401) {
    // An answer to credentials replaced meanwhile is stale. Refused credentials are forgotten, so
    // that polling does not send them again (each refusal waits longer at the node).
    if (auth === authorization()) {
      if (auth) sessionStorage.removeItem(AUTH_KEY);
      showLogin(auth ? body.error : undefined);
    }
    throw new Error('sign in to see this');
  }
  if (!r.ok) throw new Error(body.error ?? `${path}: ${r.status}`);
  return body;
}

function td(text, className) {
  const cell = document.createElement('td');
  cell.textContent = text === null || text === undefined ? '—' : String(text);
  if (className) cell.className = className;
  return cell;
}

function tr(cells, data = {}) {
  const row = document.createElement('tr');
  row.append(...cells);
  Object.assign(row.dataset, data);
  return row;
}

/** Replaces the rows of `table`'s body; one italic row saying `empty` when there are none. */
function fill(table, rows, empty) {
  const body = table.tBodies[0];
  if (rows.length === 0) {
    const cell = td(empty, 'empty');
    cell.colSpan = table.tHead.rows[0].cells.length;
    rows = [tr([cell])];
  }
  body.replaceChildren(...rows);
}

function setStatus(ok, text) {
  const s = $('#status');
  s.className = `status ${ok ? 'ok' : 'bad'}`;
  s.textContent = text;
}

// --- cluster, topics, groups ---------------------------------------------------------------

async function refreshCluster() {
  const { clusterId, nodes } = await getJson('/api/v1/cluster');
  $('#cluster-id').textContent = `cluster ${clusterId}`;
  fill($('#nodes'), nodes.map((n) => tr([td(n.nodeId, 'name'), td(n.host), td(n.port), td(n.rack)])), 'no live nodes');
}

async function refreshTopics() {
  const list = await getJson('/api/v1/topics');
  const topics = await Promise.all(list.slice(0, MAX_DESCRIBED).map((t) => getJson(`/api/v1/topics/${encodeURIComponent(t.name)}`).catch(() => null)));
  const rows = [];
  for (const t of topics) {
    if (!t) continue;
    t.partitionOffsets.forEach((p, i) => {
      const data = { topic: t.name, partition: String(p.partition) };
      rows.push(
        tr(
          [
            td(i === 0 ? t.name : '', 'name'),
            td(p.partition),
            td(p.logStartOffset, 'num'),
            td(p.highWatermark, 'num'),
            td(p.highWatermark - p.logStartOffset, 'num'),
          ],
          data,
        ),
      );
      if (i === 0) rows[rows.length - 1].className = 'first';
    });
  }
  fill($('#topics'), rows, 'no topics');
  updateTopicChoice(list.map((t) => t.name));
}

async function refreshGroups() {
  const list = await getJson('/api/v1/groups');
  const groups = await Promise.all(list.slice(0, MAX_DESCRIBED).map((g) => getJson(`/api/v1/groups/${encodeURIComponent(g.groupId)}`).catch(() => null)));
  const rows = [];
  for (const g of groups) {
    if (!g) continue;
    const offsets = g.offsets.length > 0 ? g.offsets : [null];
    offsets.forEach((o, i) => {
      const head = i === 0 ? [td(g.groupId, 'name'), td(g.state), td(g.members.length)] : [td(''), td(''), td('')];
      const lagClass = o === null || o.lag === null ? 'num' : o.lag === 0 ? 'num zero' : 'num lag';
      const row = tr([...head, td(o?.topic), td(o?.partition), td(o?.committedOffset, 'num'), td(o?.highWatermark, 'num'), td(o?.lag, lagClass)], { group: g.groupId });
      if (i === 0) row.className = 'first';
      rows.push(row);
    });
  }
  fill($('#groups'), rows, 'no consumer groups');
}

let stateTimer;
async function refreshState() {
  clearTimeout(stateTimer);
  try {
    await Promise.all([refreshCluster(), refreshTopics(), refreshGroups()]);
    setStatus(true, `live · ${new Date().toLocaleTimeString()}`);
  } catch (err) {
    setStatus(false, `no answer: ${err.message}`);
  }
  clearTimeout(stateTimer);
  stateTimer = setTimeout(refreshState, STATE_EVERY_MS);
}

// --- charts ----------------------------------------------------------------------------------

const throughput = new Chart($('#throughput'), [{ name: 'produce', color: '#1f6feb' }], (v) => `${formatBytes(v)}/s`);
const latency = new Chart(
  $('#latency'),
  [
    { name: 'p50', color: '#1f6feb' },
    { name: 'p99', color: '#d9480f' },
  ],
  formatMs,
);
let previous = null; // { at, counters }

async function refreshMetrics() {
  try {
    const r = await fetch('/metrics');
    const counters = produceCounters(parseMetrics(await r.text()));
    const at = performance.now();
    if (previous) {
      const rates = produceRates(previous.counters, counters, (at - previous.at) / 1000);
      if (rates) {
        throughput.push([rates.bytesPerSecond]);
        latency.push([rates.p50Ms, rates.p99Ms]);
        $('#throughput-now').textContent = `${formatBytes(rates.bytesPerSecond)}/s`;
        $('#latency-now').textContent = rates.p99Ms === null ? 'idle' : `${formatMs(rates.p50Ms)} · ${formatMs(rates.p99Ms)}`;
      }
    }
    previous = { at, counters };
  } catch {
    // The status line reports an unreachable node; the charts just pause.
  }
  setTimeout(refreshMetrics, METRICS_EVERY_MS);
}

// --- record browser --------------------------------------------------------------------------

const browse = $('#browse');
let nextOffset = null;

function updateTopicChoice(names) {
  const select = browse.elements.topic;
  const current = select.value;
  const have = [...select.options].map((o) => o.value);
  if (have.join('\n') === names.join('\n')) return;
  select.replaceChildren(...names.map((n) => new Option(n, n, false, n === current)));
}

function bytesCell(text, encoding) {
  return td(text, encoding === 'base64' ? 'b64' : '');
}

async function readRecords(offset) {
  const f = browse.elements;
  const query = new URLSearchParams({ limit: f.limit.value || '20' });
  if (offset !== '') query.set('offset', offset);
  const info = $('#browse-info');
  try {
    const page = await getJson(`/api/v1/topics/${encodeURIComponent(f.topic.value)}/partitions/${f.partition.value}/records?${query}`);
    const rows = page.records.map((r) =>
      tr(
        [
          td(r.offset, 'num'),
          td(new Date(r.timestamp).toISOString()),
          bytesCell(r.key, r.keyEncoding),
          bytesCell(r.value, r.valueEncoding),
          td(r.headers.map((h) => `${h.key}=${h.value ?? 'null'}`).join(', ')),
        ],
        { offset: String(r.offset) },
      ),
    );
    fill($('#records'), rows, 'no records here');
    const shown = page.records.length > 0 ? `offsets ${page.records[0].offset}–${page.records[page.records.length - 1].offset}` : 'nothing';
    info.textContent = `${shown} of [${page.logStartOffset}, ${page.highWatermark})`;
    nextOffset = page.nextOffset;
    $('#next-page').disabled = page.nextOffset >= page.highWatermark;
  } catch (err) {
    info.textContent = err.message;
    fill($('#records'), [], 'no records');
  }
}

browse.addEventListener('submit', (e) => {
  e.preventDefault();
  readRecords(browse.elements.offset.value);
});
$('#next-page').addEventListener('click', () => {
  browse.elements.offset.value = String(nextOffset);
  readRecords(String(nextOffset));
});

refreshState();
refreshMetrics();
