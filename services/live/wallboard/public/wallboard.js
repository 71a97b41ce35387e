// VoicePulse wallboard (browser side). Reads one tenant's board stream (/wallboard/api/stream:
// a snapshot of every live call's history and today's alerts, then events and acknowledgements as
// they happen), shows each call at a glance, a KPI strip and the alert feed (all following the
// queue/agent filters), charts a clicked call's timeline with uPlot with, under it, which segments
// of a customer window drove its score (the window's explanation), and lets supervisors acknowledge
// alerts. Plain script (no bundler): the server serves this file as is.

const EMOTIONS = ['angry', 'disgust', 'fear', 'happy', 'neutral', 'sad'];
/** Ended calls stay on the board this long so supervisors see how they finished. */
const ENDED_LINGER_MS = 120_000;
/** Windows the sparkline shows, and how many make "recent" for the dominant emotion and the trend. */
const SPARK_WINDOWS = 60;
const RECENT_WINDOWS = 5;
/** A change of mean frustration beyond this between the last two RECENT_WINDOWS is a trend. */
const TREND_STEP = 0.05;
/** Colour bands of frustration, at the default alert thresholds (core/alerts/rules.ts). */
const WARNING_AT = 0.4;
const CRITICAL_AT = 0.7;
/** A stream silent this long (the server pings every 15 s) is taken as dead and reopened. */
const STALL_MS = 45_000;
const RECONNECT_MAX_MS = 10_000;
const HOUR_MS = 3_600_000;

const $ = (id) => document.getElementById(id);
const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(`--${name}`).trim();

const state = {
  tenant: '',
  token: '',
  /** @type {Map<string, Call>} */
  calls: new Map(),
  /** Today's alerts by id, each with `ack`. */
  alerts: new Map(),
  /** Calls that ended in the last hour: { queue, agentId, endedAtMs, frustrationSum, windows }. */
  ended: [],
  grafanaCallUrl: null,
  /** Server clock minus this browser's, from the snapshot and pings. */
  clockOffsetMs: 0,
  filters: { queue: '', agent: '' },
  selectedCallId: null,
  /** The window (end, ms into the call) whose explanation shows: hovered on a chart, else picked, else the latest. */
  explain: { hoverT: null, pickedT: null, shown: null },
  renderQueued: false,
  plots: [],
  prefs: { sound: false, desktop: false },
};

/**
 * @typedef {{ callId: string, agentId: string | null, queue: string | null,
 *   customerId: string | null, startedAtMs: number,
 *   endedAtMs: number | null, durationMs: number | null, interrupted: boolean, droppedWindows: number,
 *   windows: { customer: Series, agent: Series }, element: HTMLElement | null }} Call
 * @typedef {{ t: number[], f: number[], v: number[], p: number[][], x: (Explanation | null)[] }} Series
 * @typedef {{ emotion: string, segments: { startMs: number, endMs: number, weight: number }[] }} Explanation
 */

/** 'interrupted' when the call's pod died and the cluster ended it without the call's own summary. */
const stateOf = (call) => (call.endedAtMs === null ? 'live' : call.interrupted ? 'interrupted' : 'ended');
const serverNow = () => Date.now() + state.clockOffsetMs;
const emptySeries = () => ({ t: [], f: [], v: [], p: [], x: [] });

// ---- state from the stream -------------------------------------------------------------------

function callFromBoard(c) {
  const call = {
    callId: c.callId,
    agentId: c.agentId,
    queue: c.queue,
    customerId: c.customerId ?? null,
    startedAtMs: c.startedAtMs,
    endedAtMs: c.endedAtMs,
    durationMs: c.durationMs,
    interrupted: c.interrupted === true,
    droppedWindows: c.droppedWindows,
    windows: { customer: emptySeries(), agent: emptySeries() },
    element: state.calls.get(c.callId)?.element ?? null,
  };
  addWindows(call, c.windows);
  return call;
}

/** Adds a compact window list (history.ts CompactWindows), keeping each speaker's windows in order. */
function addWindows(call, w) {
  const explanations = explanationsOf(w);
  for (let i = 0; i < w.endMs.length; i++) {
    addWindow(
      call,
      w.speakers[i] === 'c' ? 'customer' : 'agent',
      w.endMs[i],
      w.frustration[i],
      w.valence[i],
      w.probs.slice(i * 6, i * 6 + 6),
      explanations[i],
    );
  }
}

/** Each compact window's explanation (history.ts CompactExplanations), null where it has none. */
function explanationsOf(w) {
  const x = w.explanations;
  if (!x) return w.endMs.map(() => null);
  let j = 0;
  return x.emotion.map((e, i) => {
    const segments = [];
    for (const end = j + x.segments[i]; j < end; j++)
      segments.push({ startMs: x.startMs[j], endMs: x.endMs[j], weight: x.weight[j] });
    return e < 0 ? null : { emotion: EMOTIONS[e], segments };
  });
}

function addWindow(call, speaker, t, f, v, p, x) {
  const s = call.windows[speaker];
  if (s.t.length > 0 && t <= s.t[s.t.length - 1]) return; // already have it (snapshot and stream overlap)
  s.t.push(t);
  s.f.push(f);
  s.v.push(v);
  s.p.push(p);
  s.x.push(x ?? null);
}

function applySnapshot(snapshot) {
  state.clockOffsetMs = snapshot.nowMs - Date.now();
  state.grafanaCallUrl = snapshot.grafanaCallUrl;
  const calls = new Map();
  for (const c of snapshot.calls) calls.set(c.callId, callFromBoard(c));
  state.calls = calls;
  state.alerts = new Map(snapshot.alerts.map((a) => [a.eventId, a]));
  state.ended = snapshot.ended;
  scheduleRender();
}

function callFor(event) {
  let call = state.calls.get(event.callId);
  if (!call) {
    call = {
      callId: event.callId,
      agentId: event.agentId,
      queue: event.queue,
      customerId: null,
      startedAtMs: event.producedAtMs - (event.type === 'score' ? event.windowEndMs : (event.atMs ?? 0)),
      endedAtMs: null,
      durationMs: null,
      interrupted: false,
      droppedWindows: 0,
      windows: { customer: emptySeries(), agent: emptySeries() },
      element: null,
    };
    state.calls.set(event.callId, call);
  }
  call.customerId ??= event.customerId ?? null;
  return call;
}

function onMessage(m) {
  if (m.type === 'snapshot') return applySnapshot(m);
  if (m.type === 'ping') {
    state.clockOffsetMs = m.nowMs - Date.now();
    return;
  }
  if (m.type === 'ack') {
    const alert = state.alerts.get(m.alertId);
    if (alert) alert.ack = m.ack;
  } else if (m.type === 'score') {
    const p = EMOTIONS.map((e) => m.probs[e]);
    addWindow(callFor(m), m.speaker, m.windowEndMs, m.frustration, m.valence, p, m.explanation);
  } else if (m.type === 'alert') {
    callFor(m);
    if (!state.alerts.has(m.eventId)) {
      state.alerts.set(m.eventId, { ...m, ack: null });
      if (m.severity === 'critical') notifyCritical(m);
    }
  } else if (m.type === 'call_summary') {
    const call = callFor(m);
    call.endedAtMs = m.endedAtMs;
    call.durationMs = m.durationMs;
    call.interrupted = m.interrupted === true;
    call.startedAtMs = m.startedAtMs;
    const c = m.customer.emotion;
    state.ended.push({
      callId: m.callId,
      agentId: m.agentId,
      queue: m.queue,
      endedAtMs: m.endedAtMs,
      frustrationSum: c ? c.meanFrustration * c.scoredWindows : 0,
      windows: c ? c.scoredWindows : 0,
    });
  }
  scheduleRender();
}

// ---- what the board shows --------------------------------------------------------------------

const matches = (item) =>
  (!state.filters.queue || item.queue === state.filters.queue) &&
  (!state.filters.agent || item.agentId === state.filters.agent);

function isShown(call) {
  const ended = call.endedAtMs !== null && serverNow() - call.endedAtMs > ENDED_LINGER_MS;
  return !ended && matches(call);
}

const alertsOf = (callId) => [...state.alerts.values()].filter((a) => a.callId === callId);

/** 'critical' | 'warning' | 'acked' | '' from a call's alerts. */
function alertLevel(callId) {
  const alerts = alertsOf(callId);
  const open = alerts.filter((a) => !a.ack);
  if (open.some((a) => a.severity === 'critical')) return 'critical';
  if (open.length > 0) return 'warning';
  return alerts.length > 0 ? 'acked' : '';
}

const latest = (series) => (series.f.length ? series.f[series.f.length - 1] : null);
const mean = (xs) => xs.reduce((s, x) => s + x, 0) / xs.length;

function dominant(series) {
  const recent = series.p.slice(-RECENT_WINDOWS);
  if (recent.length === 0) return null;
  const avg = EMOTIONS.map((_, k) => mean(recent.map((p) => p[k])));
  const k = avg.indexOf(Math.max(...avg));
  return { emotion: EMOTIONS[k], p: avg[k] };
}

/** 'rising' | 'falling' | 'steady' from the last RECENT_WINDOWS against the ones before. */
function trend(series) {
  const f = series.f;
  if (f.length < 2 * RECENT_WINDOWS) return 'steady';
  const d = mean(f.slice(-RECENT_WINDOWS)) - mean(f.slice(-2 * RECENT_WINDOWS, -RECENT_WINDOWS));
  return d > TREND_STEP ? 'rising' : d < -TREND_STEP ? 'falling' : 'steady';
}
const ARROWS = { rising: '↑', falling: '↓', steady: '→' };

const level = (f) => (f >= CRITICAL_AT ? 'critical' : f >= WARNING_AT ? 'warning' : 'calm');

function mmss(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  const hh = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  return hh > 0 ? `${hh}:${mm}:${ss}` : `${mm}:${ss}`;
}

function durationOf(call) {
  if (call.durationMs !== null) return call.durationMs;
  return (call.endedAtMs ?? serverNow()) - call.startedAtMs;
}

const clockTime = (ms) => new Date(ms - state.clockOffsetMs).toLocaleTimeString([], { hour12: false });

function grafanaLink(call) {
  if (!state.grafanaCallUrl) return null;
  const to = call.endedAtMs === null ? 'now' : String(call.endedAtMs + 60_000);
  return `${state.grafanaCallUrl.replace('__CALL_ID__', encodeURIComponent(call.callId))}&from=${call.startedAtMs - 60_000}&to=${to}`;
}

function renderSpark(svg, series) {
  const f = series.f.slice(-SPARK_WINDOWS);
  const points = f.map(
    (v, i) => `${((i / Math.max(1, SPARK_WINDOWS - 1)) * 120).toFixed(1)},${(30 - v * 30).toFixed(1)}`,
  );
  const line = svg.querySelector('polyline');
  line.setAttribute('points', points.join(' '));
  svg.dataset.level = f.length ? level(f[f.length - 1]) : 'calm';
}

function renderCall(call) {
  if (!call.element) {
    const el = $('call-template').content.firstElementChild.cloneNode(true);
    el.dataset.callId = call.callId;
    // The whole card opens the timeline; its call-id button makes that reachable by keyboard.
    el.addEventListener('click', () => openTimeline(call.callId));
    el.querySelector('.grafana').addEventListener('click', (e) => e.stopPropagation());
    call.element = el;
  }
  const el = call.element;
  // The caller names the call at a glance; the call id stays in the tooltip and the timeline.
  const id = el.querySelector('.call-id');
  id.textContent = call.customerId ?? call.callId;
  id.title = call.customerId ? `call ${call.callId} · open timeline` : 'Open timeline';
  el.querySelector('.agent').textContent = call.agentId ?? 'no agent';
  el.querySelector('.queue').textContent = call.queue ?? 'no queue';
  el.querySelector('.duration').textContent = mmss(durationOf(call));
  el.querySelector('.call-state').textContent = stateOf(call);
  const customer = call.windows.customer;
  const top = dominant(customer);
  const dom = el.querySelector('.dominant');
  dom.textContent = top ? top.emotion : 'waiting for speech…';
  dom.dataset.emotion = top ? top.emotion : '';
  dom.title = top
    ? `most likely emotion of the customer over the last ${RECENT_WINDOWS} s: ${top.emotion} ${top.p.toFixed(2)}`
    : '';
  renderSpark(el.querySelector('.spark'), customer);
  const t = trend(customer);
  const arrow = el.querySelector('.trend');
  arrow.textContent = customer.f.length ? ARROWS[t] : '';
  arrow.dataset.trend = t;
  arrow.title = `customer frustration ${t}`;
  const f = latest(customer);
  const fr = el.querySelector('.frustration');
  fr.textContent = f === null ? '' : f.toFixed(2);
  fr.dataset.level = f === null ? 'calm' : level(f);
  const agent = dominant(call.windows.agent);
  el.querySelector('.agent-row').textContent = agent
    ? `agent: ${agent.emotion}, frustration ${latest(call.windows.agent).toFixed(2)}`
    : 'agent: not scored (tenant policy)';
  const link = el.querySelector('.grafana');
  const href = grafanaLink(call);
  link.hidden = !href;
  if (href) link.href = href;
  const alertState = alertLevel(call.callId);
  for (const l of ['warning', 'critical', 'acked']) el.classList.toggle(`alert-${l}`, alertState === l);
  el.classList.toggle('ended', call.endedAtMs !== null);
  el.classList.toggle('interrupted', call.interrupted);
  el.classList.toggle('selected', call.callId === state.selectedCallId);
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
  li.classList.toggle('acked', Boolean(alert.ack));
  li.dataset.callId = alert.callId;
  li.dataset.alertId = alert.eventId;
  const head = document.createElement('div');
  head.className = 'alert-head';
  head.textContent = `${clockTime(alert.producedAtMs)} · ${alert.severity.toUpperCase()} · ${alert.callId} · ${mmss(alert.atMs)} into the call`;
  const message = document.createElement('div');
  message.className = 'alert-message';
  message.textContent = alert.message;
  const ack = document.createElement('div');
  ack.className = 'ack';
  if (alert.ack) {
    ack.textContent = `✓ acknowledged by ${alert.ack.by} at ${clockTime(alert.ack.atMs)}`;
  } else {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'ack-button';
    button.textContent = 'Acknowledge';
    button.addEventListener('click', (e) => {
      e.stopPropagation();
      acknowledge(alert.eventId);
    });
    ack.append(button);
  }
  li.append(head, message, ack);
  li.addEventListener('click', () => openTimeline(alert.callId));
  return li;
}

function startOfToday() {
  const d = new Date();
  d.setHours(0, 0, 0, 0);
  return d.getTime() + state.clockOffsetMs;
}

function renderKpis(shown) {
  const live = shown.filter((c) => c.endedAtMs === null);
  const values = live.map((c) => latest(c.windows.customer)).filter((f) => f !== null);
  const inAlert = live.filter((c) => ['warning', 'critical'].includes(alertLevel(c.callId))).length;
  const set = (kpi, text, title = '') => {
    const el = document.querySelector(`.kpi[data-kpi="${kpi}"] .kpi-value`);
    el.textContent = text;
    el.parentElement.title = title;
  };
  set('live', String(live.length));
  set('in-alert', String(inAlert), 'live calls with an alert nobody has acknowledged');
  document.querySelector('.kpi[data-kpi="in-alert"]').classList.toggle('hot', inAlert > 0);
  const now = values.length ? mean(values) : null;
  set('mean', now === null ? '–' : now.toFixed(2), 'mean of the live calls’ current customer frustration');
  set('peak', values.length ? Math.max(...values).toFixed(2) : '–', 'highest current customer frustration');
  const hourAgo = serverNow() - HOUR_MS;
  const ended = state.ended.filter((c) => c.endedAtMs >= hourAgo && c.windows > 0 && matches(c));
  const windows = ended.reduce((s, c) => s + c.windows, 0);
  const baseline = windows ? ended.reduce((s, c) => s + c.frustrationSum, 0) / windows : null;
  const change = now !== null && baseline !== null ? now - baseline : null;
  set(
    'change',
    change === null
      ? '–'
      : `${change >= 0 ? '+' : '−'}${Math.abs(change).toFixed(2)} ${change > TREND_STEP ? '↑' : change < -TREND_STEP ? '↓' : '→'}`,
    baseline === null
      ? 'no scored call ended in the last hour'
      : `mean now against ${baseline.toFixed(2)}, the mean customer frustration of the ${ended.length} call(s) that ended in the last hour`,
  );
}

function render() {
  const all = [...state.calls.values()];
  renderFilterOptions(
    $('queue-filter'),
    new Set(all.map((c) => c.queue).filter(Boolean)),
    state.filters.queue,
  );
  renderFilterOptions(
    $('agent-filter'),
    new Set(all.map((c) => c.agentId).filter(Boolean)),
    state.filters.agent,
  );
  const rank = { critical: 0, warning: 1, acked: 2, '': 2 };
  const shown = all.filter(isShown).sort((a, b) => {
    const ended = Number(a.endedAtMs !== null) - Number(b.endedAtMs !== null);
    return (
      ended ||
      rank[alertLevel(a.callId)] - rank[alertLevel(b.callId)] ||
      (latest(b.windows.customer) ?? 0) - (latest(a.windows.customer) ?? 0)
    );
  });
  const empty = $('no-calls');
  empty.hidden = shown.length > 0;
  $('calls').replaceChildren(empty, ...shown.map(renderCall));
  renderKpis(shown);
  const today = startOfToday();
  const alerts = [...state.alerts.values()].filter((a) => a.producedAtMs >= today && matches(a)).reverse();
  $('alert-count').textContent =
    `(${alerts.length}${alerts.some((a) => !a.ack) ? `, ${alerts.filter((a) => !a.ack).length} open` : ''})`;
  $('alerts').replaceChildren(...alerts.map(alertItem));
  // A timeline stays open only while its call passes the filters.
  const selected = state.calls.get(state.selectedCallId);
  if (state.selectedCallId && selected && !matches(selected)) closeTimeline();
  else if (state.selectedCallId) renderTimeline();
  $('clock').textContent = new Date().toLocaleTimeString([], {
    hour12: false,
    hour: '2-digit',
    minute: '2-digit',
  });
}

function scheduleRender() {
  if (state.renderQueued) return;
  state.renderQueued = true;
  requestAnimationFrame(() => {
    state.renderQueued = false;
    render();
  });
}

// ---- timeline --------------------------------------------------------------------------------

/** One x axis (call time, s) for both speakers; a speaker's missing windows are gaps. */
function aligned(call) {
  const times = [...new Set([...call.windows.customer.t, ...call.windows.agent.t])].sort((a, b) => a - b);
  const index = new Map(times.map((t, i) => [t, i]));
  const column = (series, pick) => {
    const out = times.map(() => null);
    for (let i = 0; i < series.t.length; i++) out[index.get(series.t[i])] = pick(series, i);
    return out;
  };
  return { x: times.map((t) => t / 1000), column };
}

function timelineData(call) {
  const { x, column } = aligned(call);
  const c = call.windows.customer;
  const a = call.windows.agent;
  return {
    lines: [x, column(c, (s, i) => s.f[i]), column(a, (s, i) => s.f[i]), column(c, (s, i) => s.v[i])],
    emotions: [x, ...EMOTIONS.map((_, k) => column(c, (s, i) => s.p[i][k]))],
  };
}

function plot(container, series, yRange, data) {
  const width = Math.max(320, container.clientWidth || (window.innerWidth - 64) / 2);
  const axis = { stroke: css('muted'), grid: { stroke: css('line') } };
  return new uPlot(
    {
      width,
      height: 200,
      scales: { x: { time: false }, y: { range: yRange } },
      axes: [{ ...axis, label: 'call time (s)' }, axis],
      series: [{ label: 't (s)' }, ...series.map((s) => ({ width: 2, spanGaps: true, ...s }))],
      hooks: { setCursor: [hoverWindow] },
    },
    data,
    container,
  );
}

function openTimeline(callId) {
  state.selectedCallId = callId;
  state.explain = { hoverT: null, pickedT: null, shown: null };
  $('timeline').hidden = false;
  $('timeline-call').textContent = callId;
  $('timeline-note').hidden = true;
  destroyPlots();
  scheduleRender();
  // The board holds a call's recent windows; the whole call so far comes from the live history.
  const query = new URLSearchParams({ tenant: state.tenant });
  fetch(`api/calls/${encodeURIComponent(callId)}?${query}`, {
    headers: { authorization: `Bearer ${state.token}` },
  })
    .then(async (res) => {
      if (state.selectedCallId !== callId) return;
      if (res.status === 404) {
        if (!state.calls.has(callId))
          showTimelineNote('This call is no longer in the live history (kept 10 minutes after it ends).');
        return;
      }
      if (!res.ok) return;
      const full = callFromBoard(await res.json());
      const known = state.calls.get(callId);
      if (known) {
        for (const speaker of ['customer', 'agent']) {
          const s = known.windows[speaker];
          for (let i = 0; i < s.t.length; i++)
            addWindow(full, speaker, s.t[i], s.f[i], s.v[i], s.p[i], s.x[i]);
        }
        Object.assign(known, { windows: full.windows, droppedWindows: full.droppedWindows });
      } else state.calls.set(callId, full);
      destroyPlots();
      scheduleRender();
    })
    .catch(() => {});
}

function showTimelineNote(text) {
  $('timeline-note').textContent = text;
  $('timeline-note').hidden = false;
}

function destroyPlots() {
  for (const p of state.plots) p.destroy();
  state.plots = [];
}

function closeTimeline() {
  state.selectedCallId = null;
  $('timeline').hidden = true;
  destroyPlots();
  scheduleRender();
}

function renderTimeline() {
  const call = state.calls.get(state.selectedCallId);
  const alerts = alertsOf(state.selectedCallId).reverse();
  $('timeline-alerts').replaceChildren(...alerts.map(alertItem));
  if (!call) return;
  $('timeline-meta').textContent =
    `${call.agentId ?? 'no agent'} · ${call.queue ?? 'no queue'} · ${mmss(durationOf(call))} ${stateOf(call)}`;
  const href = grafanaLink(call);
  $('timeline-grafana').hidden = !href;
  if (href) $('timeline-grafana').href = href;
  if (call.droppedWindows > 0)
    showTimelineNote(`The first ${call.droppedWindows} windows of this long call are no longer kept.`);
  const data = timelineData(call);
  if (state.plots.length === 0) {
    state.plots = [
      plot(
        $('timeline-chart'),
        [
          { label: 'customer frustration', stroke: css('critical') },
          { label: 'agent frustration', stroke: css('warning') },
          { label: 'customer valence', stroke: css('sad'), width: 1, dash: [4, 4] },
        ],
        [-1, 1],
        data.lines,
      ),
      plot(
        $('timeline-emotions'),
        EMOTIONS.map((e) => ({ label: e, stroke: css(e) })),
        [0, 1],
        data.emotions,
      ),
    ];
  } else {
    state.plots[0].setData(data.lines);
    state.plots[1].setData(data.emotions);
  }
  renderExplanation(call);
}

// ---- explanations: which segments of a customer window drove its score -----------------------

const seconds = (ms) => (ms / 1000).toFixed(1);

/** uPlot's cursor hook: the hovered window's explanation shows while the cursor is on a chart. */
function hoverWindow(u) {
  const idx = u.cursor.idx;
  const t = idx === null || idx === undefined ? null : Math.round(u.data[0][idx] * 1000);
  if (t === state.explain.hoverT) return;
  state.explain.hoverT = t;
  const call = state.calls.get(state.selectedCallId);
  if (call) renderExplanation(call);
}

/** Index of the customer window the strip explains: hovered, else picked, else the latest explained. */
function explainedIndex(series) {
  const t = state.explain.hoverT ?? state.explain.pickedT;
  if (t !== null) return series.t.indexOf(t);
  for (let i = series.x.length - 1; i >= 0; i--) if (series.x[i]) return i;
  return -1;
}

/** The explained customer window before (step -1) or after (+1) index i, or -1. */
function explainedNear(series, i, step) {
  for (let k = i + step; k >= 0 && k < series.x.length; k += step) if (series.x[k]) return k;
  return -1;
}

/** Steps the picked window to the previous or next explained one; past the last, back to following the latest. */
function stepExplanation(step) {
  const call = state.calls.get(state.selectedCallId);
  if (!call) return;
  const s = call.windows.customer;
  const i = explainedIndex(s);
  const k = explainedNear(s, i < 0 ? s.x.length : i, step);
  // The latest explained window, or none past it: follow the latest again.
  if (k >= 0) state.explain.pickedT = explainedNear(s, k, 1) >= 0 ? s.t[k] : null;
  else if (step > 0) state.explain.pickedT = null;
  renderExplanation(call);
}

function segmentText(segment, emotion) {
  const w = segment.weight;
  return `${seconds(segment.startMs)}–${seconds(segment.endMs)} s: ${w >= 0 ? '+' : '−'}${Math.abs(w).toFixed(3)} ${w >= 0 ? 'toward' : 'away from'} ${emotion}`;
}

/**
 * One cell per segment of the explained window, as wide as the segment: filled with the emotion's
 * colour where it supports the emotion, hollow grey where it speaks against it, more opaque the
 * larger its weight against the window's largest.
 */
function renderExplanation(call) {
  const s = call.windows.customer;
  const box = $('explain');
  box.hidden = !s.x.some(Boolean);
  if (box.hidden) return;
  const i = explainedIndex(s);
  const x = i >= 0 ? s.x[i] : null;
  $('explain-earlier').disabled = explainedNear(s, i < 0 ? s.x.length : i, -1) < 0;
  $('explain-later').disabled = state.explain.pickedT === null;
  if (state.explain.shown === x && x !== null) return; // unchanged: keep the cells (and an open tooltip)
  state.explain.shown = x;
  const strip = $('explain-strip');
  if (!x) {
    $('explain-caption').textContent =
      i >= 0 ? `no explanation for the window ending at ${seconds(s.t[i])} s` : 'no customer window here';
    strip.removeAttribute('aria-label');
    strip.replaceChildren();
    return;
  }
  const from = seconds(x.segments[0].startMs);
  const to = seconds(x.segments[x.segments.length - 1].endMs);
  $('explain-caption').textContent = `what drove ${x.emotion}, ${from}–${to} s`;
  strip.dataset.emotion = x.emotion;
  strip.style.setProperty('--explained', `var(--${x.emotion})`);
  strip.setAttribute(
    'aria-label',
    `segments of the window ${from}–${to} s and how much each moved ${x.emotion}`,
  );
  const largest = Math.max(...x.segments.map((g) => Math.abs(g.weight))) || 1;
  strip.replaceChildren(
    ...x.segments.map((g) => {
      const li = document.createElement('li');
      li.className = 'segment';
      li.dataset.sign = g.weight >= 0 ? 'support' : 'oppose';
      li.title = segmentText(g, x.emotion);
      li.setAttribute('aria-label', li.title);
      li.style.flexGrow = String(Math.max(1, g.endMs - g.startMs));
      li.style.opacity = String(0.15 + (0.85 * Math.abs(g.weight)) / largest);
      return li;
    }),
  );
}

// ---- alert handling --------------------------------------------------------------------------

async function acknowledge(alertId) {
  const by = $('supervisor').value.trim();
  if (!by) {
    notice('Enter your name under “you” to acknowledge alerts.', 'info');
    $('supervisor').focus();
    return;
  }
  const query = new URLSearchParams({ tenant: state.tenant });
  const res = await fetch(`api/alerts/${encodeURIComponent(alertId)}/ack?${query}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${state.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ by }),
  }).catch(() => null);
  if (!res?.ok) {
    const body = res ? await res.json().catch(() => ({})) : {};
    notice(`Could not acknowledge: ${body.error ?? 'the server did not answer'}`, 'error');
    return;
  }
  // Every board (this one too) learns of it from its stream; apply it now so the click answers at once.
  const { ack } = await res.json();
  const alert = state.alerts.get(alertId);
  if (alert) alert.ack = ack;
  scheduleRender();
}

let audio = null;
function beep() {
  audio ??= new AudioContext();
  const osc = audio.createOscillator();
  const gain = audio.createGain();
  osc.frequency.value = 880;
  gain.gain.value = 0.2;
  osc.connect(gain).connect(audio.destination);
  osc.start();
  osc.stop(audio.currentTime + 0.25);
}

/** Sound and desktop notification for a critical alert that arrives while the board is open. */
function notifyCritical(alert) {
  if (state.prefs.sound) beep();
  if (state.prefs.desktop && typeof Notification !== 'undefined' && Notification.permission === 'granted') {
    const n = new Notification(`Critical alert · ${alert.callId}`, {
      body: alert.message,
      tag: alert.eventId,
    });
    n.onclick = () => {
      window.focus();
      openTimeline(alert.callId);
    };
  }
}

function setupAlertControls() {
  const saved = JSON.parse(localStorage.getItem('voicepulse.prefs') ?? '{}');
  state.prefs = { sound: saved.sound === true, desktop: saved.desktop === true };
  const save = () => localStorage.setItem('voicepulse.prefs', JSON.stringify(state.prefs));
  $('sound-toggle').checked = state.prefs.sound;
  $('desktop-toggle').checked =
    state.prefs.desktop && typeof Notification !== 'undefined' && Notification.permission === 'granted';
  $('sound-toggle').addEventListener('change', (e) => {
    state.prefs.sound = e.target.checked;
    // Browsers start audio only after a user gesture: this click is one.
    if (state.prefs.sound) {
      audio ??= new AudioContext();
      audio.resume();
    }
    save();
  });
  $('desktop-toggle').addEventListener('change', async (e) => {
    if (!e.target.checked) {
      state.prefs.desktop = false;
      return save();
    }
    const permission =
      typeof Notification === 'undefined' ? 'denied' : await Notification.requestPermission();
    state.prefs.desktop = permission === 'granted';
    e.target.checked = state.prefs.desktop;
    if (!state.prefs.desktop)
      notice('This browser does not allow desktop notifications for this page.', 'error');
    save();
  });
  const name = $('supervisor');
  name.value = localStorage.getItem('voicepulse.supervisor') ?? '';
  name.addEventListener('change', () => localStorage.setItem('voicepulse.supervisor', name.value.trim()));
}

// ---- kiosk / TV mode -------------------------------------------------------------------------

function setKiosk(on) {
  document.documentElement.classList.toggle('kiosk', on);
  const params = new URLSearchParams(location.search);
  if (on) params.set('kiosk', '1');
  else params.delete('kiosk');
  const query = params.toString();
  history.replaceState(null, '', `${location.pathname}${query ? `?${query}` : ''}`);
  destroyPlots();
  scheduleRender();
}

// ---- connection ------------------------------------------------------------------------------

function setStatus(s, text) {
  $('status').dataset.state = s;
  $('status').textContent = text;
}

function notice(text, kind) {
  const el = $('notice');
  el.textContent = text;
  el.dataset.kind = kind;
  el.hidden = !text;
}

/** tenant and token from the URL (then from this tab's storage); the token leaves the address bar. */
function credentials() {
  const params = new URLSearchParams(location.search);
  const tenant = params.get('tenant') || sessionStorage.getItem('voicepulse.tenant') || '';
  const token = params.get('token') || sessionStorage.getItem('voicepulse.token') || '';
  if (params.has('token')) {
    if (params.get('token') !== sessionStorage.getItem('voicepulse.token'))
      sessionStorage.removeItem('voicepulse.tokenWorked');
    params.delete('token');
    const query = params.toString();
    history.replaceState(null, '', `${location.pathname}${query ? `?${query}` : ''}`);
  }
  if (tenant) sessionStorage.setItem('voicepulse.tenant', tenant);
  if (token) sessionStorage.setItem('voicepulse.token', token);
  return { tenant, token };
}

function showLogin(message) {
  setStatus('error', 'not connected');
  notice(message, 'error');
  $('login').hidden = false;
  $('login-tenant').value = state.tenant;
  $('login-token').value = '';
  $('login-token').focus();
}

/** A refusal the board cannot fix by retrying: say what is wrong and ask for what would fix it. */
function refused(status, body) {
  if (status === 401 && body.code === 'MISSING_TOKEN') {
    return showLogin(
      'This board needs the service token: npm start / voicepulse serve print it (or set VOICEPULSE_TOKEN).',
    );
  }
  if (status === 401) {
    const worked = sessionStorage.getItem('voicepulse.tokenWorked') === '1';
    sessionStorage.removeItem('voicepulse.token');
    sessionStorage.removeItem('voicepulse.tokenWorked');
    return showLogin(
      worked
        ? 'The token is no longer accepted: the server was restarted with a new token, or the token was changed. npm start prints a new one on every run; enter the current token.'
        : 'The token was not accepted. Check it (npm start and voicepulse serve print it) and enter it again.',
    );
  }
  if (status === 403)
    return showLogin(
      `This token may not watch tenant “${state.tenant}”. Enter your tenant, or a token for this one.`,
    );
  if (status === 400) return showLogin(`The server refused the request: ${body.error ?? status}.`);
  return false;
}

let attempt = 0;
function reconnectLater(reason) {
  const delay = Math.min(RECONNECT_MAX_MS, 500 * 2 ** attempt++);
  setStatus('closed', `${reason}; reconnecting in ${Math.ceil(delay / 1000)} s`);
  setTimeout(connect, delay);
}

async function connect() {
  setStatus('connecting', 'connecting…');
  const controller = new AbortController();
  let res;
  try {
    res = await fetch(`api/stream?${new URLSearchParams({ tenant: state.tenant })}`, {
      headers: { authorization: `Bearer ${state.token}` },
      cache: 'no-store',
      signal: controller.signal,
    });
  } catch {
    return reconnectLater('server unreachable');
  }
  if (!res.ok) {
    const body = await res.json().catch(() => ({}));
    if (refused(res.status, body) !== false) return;
    return reconnectLater(body.error ?? `server answered ${res.status}`);
  }
  attempt = 0;
  sessionStorage.setItem('voicepulse.tokenWorked', '1');
  notice('', 'info');
  setStatus('open', 'live');
  let stall = setTimeout(() => controller.abort(), STALL_MS);
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      clearTimeout(stall);
      stall = setTimeout(() => controller.abort(), STALL_MS);
      buffered += decoder.decode(value, { stream: true });
      let newline = buffered.indexOf('\n');
      while (newline >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        if (line) onMessage(JSON.parse(line));
        newline = buffered.indexOf('\n');
      }
    }
  } catch {
    // Aborted (stalled) or the connection broke: reconnect below.
  }
  clearTimeout(stall);
  reconnectLater('disconnected');
}

function start() {
  const { tenant, token } = credentials();
  state.tenant = tenant;
  state.token = token;
  $('tenant').textContent = tenant;
  $('queue-filter').addEventListener('change', (e) => {
    state.filters.queue = e.target.value;
    scheduleRender();
  });
  $('agent-filter').addEventListener('change', (e) => {
    state.filters.agent = e.target.value;
    scheduleRender();
  });
  $('timeline-close').addEventListener('click', closeTimeline);
  $('explain-earlier').addEventListener('click', () => stepExplanation(-1));
  $('explain-later').addEventListener('click', () => stepExplanation(1));
  $('kiosk-toggle').addEventListener('click', () => {
    setKiosk(true);
    document.documentElement.requestFullscreen?.().catch(() => {});
  });
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && document.documentElement.classList.contains('kiosk')) setKiosk(false);
  });
  if (new URLSearchParams(location.search).get('kiosk') === '1')
    document.documentElement.classList.add('kiosk');
  setupAlertControls();
  $('login').addEventListener('submit', (e) => {
    e.preventDefault();
    sessionStorage.removeItem('voicepulse.tokenWorked');
    const params = new URLSearchParams(location.search);
    params.set('tenant', $('login-tenant').value.trim());
    params.set('token', $('login-token').value.trim());
    location.search = `?${params}`;
  });
  // Durations, "today" and ended calls' expiry move with the clock, not only with events.
  setInterval(scheduleRender, 1000);
  if (!tenant || !token) {
    state.tenant = tenant || 'demo';
    return showLogin(
      token
        ? 'Which tenant should this board watch?'
        : 'This board needs the service token: npm start / voicepulse serve print it (or set VOICEPULSE_TOKEN).',
    );
  }
  connect();
}

start();
