// VoicePulse wallboard (browser side): watches one tenant's events over /watch, keeps each live
// call's latest per-speaker scores, highlights alerts, and charts a clicked call's timeline with
// uPlot. Plain script (no bundler): the server serves this file as is.

const EMOTIONS = ['angry', 'disgust', 'fear', 'happy', 'neutral', 'sad'];
const SPEAKERS = ['customer', 'agent'];
/** Ended calls stay on the board this long so supervisors see how they finished. */
const ENDED_LINGER_MS = 60_000;
const MAX_ALERTS = 50;
const RECONNECT_MAX_MS = 10_000;

const $ = (id) => document.getElementById(id);

/** tenant and token from the URL (then from this tab's storage); the token leaves the address bar. */
function credentials() {
  const params = new URLSearchParams(location.search);
  const tenant = params.get('tenant') || sessionStorage.getItem('voicepulse.tenant') || '';
  const token = params.get('token') || sessionStorage.getItem('voicepulse.token') || '';
  if (params.has('token')) {
    params.delete('token');
    const query = params.toString();
    history.replaceState(null, '', `${location.pathname}${query ? `?${query}` : ''}`);
  }
  if (tenant) sessionStorage.setItem('voicepulse.tenant', tenant);
  if (token) sessionStorage.setItem('voicepulse.token', token);
  return { tenant, token };
}

/** @type {Map<string, Call>} */
const calls = new Map();
const alerts = [];
const filters = { queue: '', agent: '' };
let selectedCallId = null;
let timelinePlot = null;
let renderQueued = false;

/**
 * @typedef {{ callId: string, queue: string, agentId: string, lastEventAt: number, endedAt: number | null,
 *   latest: Record<string, any>, history: Array<{ t: number, speaker: string, frustration: number, valence: number }>,
 *   alerts: any[], element: HTMLElement | null }} Call
 */
function callFor(event) {
  let call = calls.get(event.callId);
  if (!call) {
    call = {
      callId: event.callId,
      queue: event.queue ?? '',
      agentId: event.agentId ?? '',
      lastEventAt: Date.now(),
      endedAt: null,
      latest: {},
      history: [],
      alerts: [],
      element: null,
    };
    calls.set(event.callId, call);
  }
  call.lastEventAt = Date.now();
  return call;
}

function onEvent(event) {
  if (!event || typeof event !== 'object' || typeof event.callId !== 'string') return;
  const call = callFor(event);
  if (event.type === 'score') {
    call.latest[event.speaker] = event;
    call.history.push({
      t: event.windowEndMs / 1000,
      speaker: event.speaker,
      frustration: event.frustration,
      valence: event.valence,
    });
  } else if (event.type === 'alert') {
    call.alerts.push(event);
    alerts.unshift(event);
    alerts.length = Math.min(alerts.length, MAX_ALERTS);
  } else if (event.type === 'call_summary') {
    call.endedAt = Date.now();
  }
  scheduleRender();
}

function scheduleRender() {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    render();
  });
}

function visible(call) {
  return (
    (!filters.queue || call.queue === filters.queue) && (!filters.agent || call.agentId === filters.agent)
  );
}

function bar(kind, label, value) {
  const row = document.createElement('div');
  row.className = `bar ${kind}`;
  row.dataset.kind = kind;
  const name = document.createElement('span');
  name.className = 'label';
  name.textContent = label;
  const track = document.createElement('span');
  track.className = 'track';
  const fill = document.createElement('span');
  fill.className = `fill ${kind}`;
  fill.style.width = `${Math.round(value * 100)}%`;
  track.append(fill);
  const number = document.createElement('span');
  number.className = 'value';
  number.textContent = value.toFixed(2);
  row.append(name, track, number);
  return row;
}

function renderSpeaker(element, speaker, score) {
  const who = document.createElement('span');
  who.className = 'who';
  who.textContent = speaker;
  if (!score) {
    const note = document.createElement('span');
    note.className = 'not-scored';
    note.textContent = speaker === 'agent' ? 'not scored (tenant policy)' : 'waiting for speech…';
    element.replaceChildren(who, note);
    return;
  }
  element.replaceChildren(
    who,
    bar('frustration', 'frustration', score.frustration),
    ...EMOTIONS.map((e) => bar(e, e, score.probs[e])),
  );
}

function renderCall(call) {
  if (!call.element) {
    const fragment = $('call-template').content.cloneNode(true);
    call.element = fragment.querySelector('.call');
    call.element.dataset.callId = call.callId;
    // The whole card opens the timeline; its call-id button makes that reachable by keyboard.
    call.element.addEventListener('click', () => openTimeline(call.callId));
  }
  const el = call.element;
  el.querySelector('.call-id').textContent = call.callId;
  el.querySelector('.call-meta').textContent = [call.queue, call.agentId].filter(Boolean).join(' · ');
  const lastT = call.history.length ? call.history[call.history.length - 1].t : 0;
  el.querySelector('.call-state').textContent = call.endedAt ? 'ended' : `live ${Math.floor(lastT)} s`;
  const worst = call.alerts.some((a) => a.severity === 'critical')
    ? 'critical'
    : call.alerts.length
      ? 'warning'
      : '';
  el.classList.toggle('alert-warning', worst === 'warning');
  el.classList.toggle('alert-critical', worst === 'critical');
  el.classList.toggle('ended', call.endedAt !== null);
  el.classList.toggle('selected', call.callId === selectedCallId);
  for (const speaker of SPEAKERS) {
    renderSpeaker(el.querySelector(`[data-speaker="${speaker}"]`), speaker, call.latest[speaker]);
  }
  return el;
}

function renderFilterOptions(select, values, current) {
  const wanted = ['', ...[...values].sort()];
  const have = [...select.options].map((o) => o.value);
  if (wanted.join('\n') === have.join('\n')) return;
  select.replaceChildren(
    ...wanted.map((v) => {
      const option = document.createElement('option');
      option.value = v;
      option.textContent = v || 'all';
      option.selected = v === current;
      return option;
    }),
  );
}

function alertItem(alert) {
  const li = document.createElement('li');
  li.className = alert.severity;
  li.dataset.callId = alert.callId;
  const at = (alert.atMs / 1000).toFixed(0);
  li.textContent = `${alert.severity.toUpperCase()} · ${alert.callId} · ${at} s · ${alert.message}`;
  li.addEventListener('click', () => openTimeline(alert.callId));
  return li;
}

function render() {
  const now = Date.now();
  for (const [id, call] of calls) {
    if (call.endedAt && now - call.endedAt > ENDED_LINGER_MS && id !== selectedCallId) calls.delete(id);
  }
  const all = [...calls.values()];
  renderFilterOptions($('queue-filter'), new Set(all.map((c) => c.queue).filter(Boolean)), filters.queue);
  renderFilterOptions($('agent-filter'), new Set(all.map((c) => c.agentId).filter(Boolean)), filters.agent);
  const shown = all.filter(visible).sort((a, b) => {
    const fa = a.latest.customer?.frustration ?? 0;
    const fb = b.latest.customer?.frustration ?? 0;
    return Number(a.endedAt !== null) - Number(b.endedAt !== null) || fb - fa;
  });
  const cards = shown.map(renderCall);
  const empty = $('no-calls');
  empty.hidden = cards.length > 0;
  $('calls').replaceChildren(empty, ...cards);
  const live = all.filter((c) => c.endedAt === null).length;
  $('counts').textContent =
    `${live} live call${live === 1 ? '' : 's'} · ${alerts.length} alert${alerts.length === 1 ? '' : 's'}`;
  $('alerts').replaceChildren(...alerts.filter((a) => visible(calls.get(a.callId) ?? a)).map(alertItem));
  if (selectedCallId) renderTimeline();
}

/** Series for uPlot: one x axis (call time, s) and both speakers' frustration plus customer valence. */
function timelineData(call) {
  const times = [...new Set(call.history.map((h) => h.t))].sort((a, b) => a - b);
  const index = new Map(times.map((t, i) => [t, i]));
  const customer = times.map(() => null);
  const agent = times.map(() => null);
  const valence = times.map(() => null);
  for (const h of call.history) {
    const i = index.get(h.t);
    if (h.speaker === 'customer') {
      customer[i] = h.frustration;
      valence[i] = h.valence;
    } else {
      agent[i] = h.frustration;
    }
  }
  return [times, customer, agent, valence];
}

function openTimeline(callId) {
  selectedCallId = callId;
  $('timeline').hidden = false;
  $('timeline-call').textContent = callId;
  timelinePlot?.destroy();
  timelinePlot = null;
  scheduleRender();
}

function closeTimeline() {
  selectedCallId = null;
  $('timeline').hidden = true;
  timelinePlot?.destroy();
  timelinePlot = null;
  scheduleRender();
}

function renderTimeline() {
  const call = calls.get(selectedCallId);
  if (!call) return;
  const data = timelineData(call);
  const container = $('timeline-chart');
  if (!timelinePlot) {
    const width = Math.max(320, container.clientWidth || window.innerWidth - 64);
    timelinePlot = new uPlot(
      {
        width,
        height: 240,
        scales: { x: { time: false }, y: { range: [-1, 1] } },
        axes: [
          { label: 'call time (s)', stroke: '#8b95a3', grid: { stroke: '#2c333d' } },
          { stroke: '#8b95a3', grid: { stroke: '#2c333d' } },
        ],
        series: [
          { label: 't (s)' },
          { label: 'customer frustration', stroke: '#ef4f4f', width: 2, spanGaps: true },
          { label: 'agent frustration', stroke: '#f2b134', width: 2, spanGaps: true },
          { label: 'customer valence', stroke: '#4a90e2', width: 1, dash: [4, 4], spanGaps: true },
        ],
      },
      data,
      container,
    );
  } else {
    timelinePlot.setData(data);
  }
  $('timeline-alerts').replaceChildren(...call.alerts.map(alertItem));
}

function setStatus(state, text) {
  const status = $('status');
  status.dataset.state = state;
  status.textContent = text;
}

function connect(tenant, token, attempt = 0) {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const query = new URLSearchParams({ tenant, token });
  const ws = new WebSocket(`${scheme}://${location.host}/watch?${query}`);
  ws.addEventListener('open', () => {
    attempt = 0;
    setStatus('open', 'live');
  });
  ws.addEventListener('message', (message) => {
    try {
      onEvent(JSON.parse(message.data));
    } catch {
      // A message that is not JSON is not an event; the gateway sends none, so ignore it.
    }
  });
  ws.addEventListener('close', (e) => {
    if (e.code === 1008 || e.reason === 'bad-watch-target') {
      setStatus('error', `refused: ${e.reason || e.code}`);
      return;
    }
    const delay = Math.min(RECONNECT_MAX_MS, 500 * 2 ** attempt);
    setStatus('closed', `disconnected; retrying in ${Math.round(delay / 1000)} s`);
    setTimeout(() => connect(tenant, token, attempt + 1), delay);
  });
}

function start() {
  const { tenant, token } = credentials();
  $('queue-filter').addEventListener('change', (e) => {
    filters.queue = e.target.value;
    scheduleRender();
  });
  $('agent-filter').addEventListener('change', (e) => {
    filters.agent = e.target.value;
    scheduleRender();
  });
  $('timeline-close').addEventListener('click', closeTimeline);
  // Call durations and ended calls' expiry move with the clock, not only with events.
  setInterval(scheduleRender, 1000);
  if (!tenant || !token) {
    setStatus('closed', 'not connected');
    const form = $('login');
    form.hidden = false;
    $('login-tenant').value = tenant;
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const params = new URLSearchParams({ tenant: $('login-tenant').value, token: $('login-token').value });
      location.search = `?${params}`;
    });
    return;
  }
  $('tenant').textContent = tenant;
  connect(tenant, token);
}

start();
