// A preview of a generated dashboard without Grafana: every ClickHouse panel's SQL, rendered as
// Grafana would send it (macros.ts), runs on a real server; time series are drawn with uPlot and
// the rest shown as tables, on the dashboard's grid. For README screenshots and for checking a
// dashboard against live data where no Grafana runs (CI, this repo's machines).
//   node bin/run-ts.js dashboards/preview.ts --clickhouse http://127.0.0.1:8123 --database voicepulse \
//     --tenant demo --dashboard live-operations.json --out artifacts/live-operations.png [--hours 6]
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { chromium } from 'playwright-core';
import { serviceEndpoint } from '../../test/testing/services.ts';
import { DASHBOARDS } from '../index.ts';
import { ALL, type QueryContext, renderPanelSql } from '../macros.ts';
import { clickhouseTargets } from '../targets.ts';

export interface PanelResult {
  title: string;
  type: string;
  gridPos: { x: number; y: number; w: number; h: number };
  columns: { name: string; type: string }[];
  rows: Record<string, unknown>[];
  /** Fixed colours of fields by name (the panel's overrides, e.g. the emotion palette). */
  colors: Record<string, string>;
  error?: string;
}

/** The fixed colour each field of a panel is given by a byName override. */
export function panelColors(panel: unknown): Record<string, string> {
  const overrides =
    (
      panel as {
        fieldConfig?: {
          overrides?: {
            matcher?: { id?: string; options?: unknown };
            properties?: { id?: string; value?: { mode?: string; fixedColor?: string } }[];
          }[];
        };
      }
    ).fieldConfig?.overrides ?? [];
  const out: Record<string, string> = {};
  for (const o of overrides) {
    const color = o.properties?.find((p) => p.id === 'color' && p.value?.mode === 'fixed')?.value?.fixedColor;
    if (o.matcher?.id === 'byName' && typeof o.matcher.options === 'string' && color)
      out[o.matcher.options] = color;
  }
  return out;
}

/** Runs each ClickHouse panel of `dashboard` (first target) and returns what it would show. */
export async function queryPanels(
  dashboard: Dashboard,
  url: string,
  database: string,
  ctx: QueryContext,
): Promise<PanelResult[]> {
  const targets = new Map(clickhouseTargets(dashboard).map((t) => [t.title, t.sql]));
  const out: PanelResult[] = [];
  for (const panel of dashboard.panels ?? []) {
    const p = panel as { title?: string; type?: string; gridPos?: PanelResult['gridPos'] };
    const sql = targets.get(p.title ?? '');
    const base = {
      title: p.title ?? '',
      type: p.type ?? 'table',
      gridPos: p.gridPos ?? { x: 0, y: 0, w: 24, h: 8 },
      colors: panelColors(panel),
    };
    if (sql === undefined) {
      out.push({
        ...base,
        columns: [],
        rows: [],
        error: 'not a ClickHouse panel (Prometheus: needs Grafana)',
      });
      continue;
    }
    const res = await fetch(`${url}/?database=${encodeURIComponent(database)}`, {
      method: 'POST',
      body: `${renderPanelSql(sql, ctx)}\nFORMAT JSON`,
    });
    const text = await res.text();
    if (!res.ok) {
      out.push({ ...base, columns: [], rows: [], error: text.slice(0, 300) });
      continue;
    }
    const json = JSON.parse(text) as { meta: PanelResult['columns']; data: PanelResult['rows'] };
    out.push({ ...base, columns: json.meta, rows: json.data });
  }
  return out;
}

const escapeHtml = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

/** A self-contained page (uPlot inlined) laying the panels out on Grafana's 24-column grid. */
/** `timeRange`: the dashboard's time range (epoch ms), the x axis of every time series, as in Grafana. */
export function previewHtml(
  title: string,
  panels: PanelResult[],
  uplotJs: string,
  uplotCss: string,
  timeRange?: { fromMs: number; toMs: number },
): string {
  const cells = panels.map((p, i) => {
    const style = `grid-column:${p.gridPos.x + 1}/span ${p.gridPos.w};grid-row:${p.gridPos.y + 1}/span ${p.gridPos.h}`;
    return `<section style="${style}"><h2>${escapeHtml(p.title)}</h2><div id="p${i}" class="body"></div></section>`;
  });
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>${uplotCss}
body{margin:0;background:#111217;color:#ccccdc;font:13px system-ui,sans-serif}
h1{font-size:16px;margin:10px 12px}h2{font-size:13px;margin:0 0 6px}
main{display:grid;grid-template-columns:repeat(24,1fr);grid-auto-rows:30px;gap:8px;padding:0 12px 12px}
section{background:#181b1f;border:1px solid #2a2d33;border-radius:3px;padding:8px;overflow:hidden;display:flex;flex-direction:column}
.body{flex:1;min-height:0}
table{border-collapse:collapse;width:100%;font-size:12px}td,th{border-bottom:1px solid #2a2d33;padding:3px 6px;text-align:left}
.stat{font-size:30px;font-weight:600;color:#73bf69}.stat small{font-size:12px;color:#8e8e8e;margin-left:6px}.error{color:#f2495c}
</style></head><body><h1>${escapeHtml(title)} <small>(preview from ClickHouse data, dashboards/testing/preview.ts)</small></h1>
<main>${cells.join('')}</main><script>${uplotJs}</script><script>
const panels=${JSON.stringify(panels).replace(/</g, '\\u003c')};
const range=${JSON.stringify(timeRange ? [timeRange.fromMs / 1000, timeRange.toMs / 1000] : null)};
const colors=['#73bf69','#f2cc0c','#5794f2','#ff9830','#f2495c','#b877d9','#8ab8ff'];
// The rows' times are UTC: label ticks HH:MM in UTC, with the date where it changes (uPlot's default
// labels follow the tick spacing and show bare ':00'/':30' for a few minutes of data); ticks on whole minutes.
const MINUTE_STEPS=[60,120,300,600,900,1800,3600,7200,10800,21600,43200,86400,604800];
function timeLabels(u,splits){let day='';return splits.map(t=>{const s=new Date(t*1000).toISOString();const d=s.slice(0,10);const hm=s.slice(11,16);if(d===day)return hm;day=d;return hm+'\\n'+d;});}
panels.forEach((p,i)=>{const el=document.getElementById('p'+i);
 if(p.error){el.innerHTML='<div class="error"></div>';el.firstChild.textContent=p.error;return;}
 const names=p.columns.map(c=>c.name);
 if(p.type==='timeseries'&&names[0]==='time'){
  const labelCol=p.columns.find((c,j)=>j>0&&/String|Enum/.test(c.type));const valueCols=names.filter((n,j)=>j>0&&(!labelCol||n!==labelCol.name));
  const times=[...new Set(p.rows.map(r=>Date.parse(r.time.replace(' ','T')+'Z')/1000))].sort((a,b)=>a-b);const idx=new Map(times.map((t,j)=>[t,j]));
  const series={};p.rows.forEach(r=>{const t=idx.get(Date.parse(r.time.replace(' ','T')+'Z')/1000);valueCols.forEach(v=>{const key=labelCol?r[labelCol.name]+(valueCols.length>1?' '+v:''):v;(series[key]??=times.map(()=>null))[t]=Number(r[v]);});});
  const keys=Object.keys(series);
  new uPlot({width:el.clientWidth,height:Math.max(80,el.clientHeight-40),legend:{show:true},scales:{x:range?{time:true,range:()=>range}:{time:true}},axes:[{stroke:'#8e8e8e',grid:{stroke:'#2a2d33'},space:70,incrs:MINUTE_STEPS,values:timeLabels},{stroke:'#8e8e8e',grid:{stroke:'#2a2d33'}}],series:[{value:(u,t)=>t==null?'--':new Date(t*1000).toISOString().slice(0,16).replace('T',' ')},...keys.map((k,j)=>({label:k,stroke:p.colors[k]??colors[j%colors.length],width:2,spanGaps:true}))]},[times,...keys.map(k=>series[k])],el);
  return;}
 if(p.type==='stat'&&p.rows.length===1){el.innerHTML=names.map(n=>'<span class="stat">'+Number(p.rows[0][n]).toFixed(Number.isInteger(Number(p.rows[0][n]))?0:2)+'<small>'+n+'</small></span>').join(' ');return;}
 const fmt=v=>typeof v==='number'&&!Number.isInteger(v)?v.toFixed(3):String(v);
 el.innerHTML='<table><tr>'+names.map(n=>'<th></th>').join('')+'</tr>'+p.rows.map(r=>'<tr>'+names.map(()=>'<td></td>').join('')+'</tr>').join('')+'</table>';
 const cells=el.querySelectorAll('th,td');let k=0;names.forEach(n=>{cells[k++].textContent=n;});p.rows.forEach(r=>names.forEach(n=>{cells[k++].textContent=fmt(r[n]);}));
});</script></body></html>`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      clickhouse: { type: 'string', default: 'http://127.0.0.1:8123' },
      database: { type: 'string', default: 'voicepulse' },
      tenant: { type: 'string', default: 'demo' },
      dashboard: { type: 'string', default: 'live-operations.json' },
      hours: { type: 'string', default: '6' },
      out: { type: 'string', default: 'artifacts/dashboard.png' },
    },
  });
  const build = DASHBOARDS[values.dashboard];
  if (!build)
    throw new Error(`unknown dashboard ${values.dashboard}; one of ${Object.keys(DASHBOARDS).join(', ')}`);
  const dashboard = build();
  const toMs = Date.now();
  const ctx: QueryContext = {
    fromMs: toMs - Number(values.hours) * 3_600_000,
    toMs,
    intervalMs: 60_000,
    variables: { tenant: values.tenant, queue: [ALL], agent: [ALL], call_id: '' },
  };
  const panels = await queryPanels(dashboard, values.clickhouse, values.database, ctx);
  const uplotDir = join(dirname(createRequire(import.meta.url).resolve('uplot')));
  const html = previewHtml(
    dashboard.title ?? values.dashboard,
    panels,
    readFileSync(join(uplotDir, 'uPlot.iife.min.js'), 'utf8'),
    readFileSync(join(uplotDir, 'uPlot.min.css'), 'utf8'),
    ctx,
  );
  const { executablePath, args } = serviceEndpoint('chromium');
  const browser = await chromium.launch({ executablePath, args: [...args] });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.setContent(html);
    await page.screenshot({ path: values.out, fullPage: true });
  } finally {
    await browser.close();
  }
  process.stdout.write(`${values.out}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) await main();
