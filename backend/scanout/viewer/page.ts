// The viewer page: one canvas per screen with its status line, fed over the viewer's WebSocket (the binary tile
// format of wire.ts, the JSON status messages). Kept as strings in the build so that dist/ needs no asset copy;
// the inline script and style are allowed by their hashes in the page's Content-Security-Policy, nothing else is.
import { createHash } from 'node:crypto';

const STYLE = `
body { margin: 0; padding: 12px; background: #1b1b1b; color: #ddd; font: 13px/1.4 system-ui, sans-serif; }
h1 { font-size: 15px; margin: 0 0 8px; }
#connection { color: #9c9; margin-left: 8px; font-weight: normal; }
figure { margin: 0 0 16px; }
figcaption { margin-bottom: 4px; font-variant-numeric: tabular-nums; }
canvas { display: block; max-width: 100%; height: auto; background: #000; image-rendering: pixelated; }
figure.off canvas { opacity: 0.35; }
`;

// Mirrors wire.ts: header u8 kind, u8 0, u16 screen, u16 width, u16 height, u32 tiles; tile u16 x, y, w, h + RGBA.
const SCRIPT = `
'use strict';
const token = new URLSearchParams(location.search).get('token') || '';
const screensEl = document.getElementById('screens');
const connectionEl = document.getElementById('connection');
const emptyEl = document.getElementById('empty');
const screens = new Map();
const viewer = { screens, frames: 0, frameBytes: 0 };
window.pvdisplayViewer = viewer;

function screen(id) {
  let s = screens.get(id);
  if (s) return s;
  const fig = document.createElement('figure');
  const caption = document.createElement('figcaption');
  const canvas = document.createElement('canvas');
  canvas.width = 1;
  canvas.height = 1;
  canvas.dataset.screen = String(id);
  canvas.dataset.frames = '0';
  fig.append(caption, canvas);
  screensEl.append(fig);
  s = { fig, caption, canvas, ctx: canvas.getContext('2d'), frames: 0 };
  screens.set(id, s);
  return s;
}

function applyFrame(buf) {
  const dv = new DataView(buf);
  if (buf.byteLength < 12 || dv.getUint8(0) !== 1) return;
  const s = screen(dv.getUint16(2, true));
  const width = dv.getUint16(4, true);
  const height = dv.getUint16(6, true);
  if (s.canvas.width !== width || s.canvas.height !== height) {
    s.canvas.width = width;
    s.canvas.height = height;
  }
  const count = dv.getUint32(8, true);
  let off = 12;
  for (let i = 0; i < count; i++) {
    const x = dv.getUint16(off, true);
    const y = dv.getUint16(off + 2, true);
    const w = dv.getUint16(off + 4, true);
    const h = dv.getUint16(off + 6, true);
    off += 8;
    s.ctx.putImageData(new ImageData(new Uint8ClampedArray(buf, off, w * h * 4), w, h), x, y);
    off += w * h * 4;
  }
  s.frames++;
  s.canvas.dataset.frames = String(s.frames);
  viewer.frames++;
  viewer.frameBytes += buf.byteLength;
}

function applyStatus(msg) {
  const live = new Set();
  for (const sc of msg.screens) {
    live.add(sc.id);
    const s = screen(sc.id);
    const c = sc.connector;
    s.canvas.dataset.domid = String(sc.domid);
    s.canvas.dataset.connector = String(c.index);
    s.fig.classList.toggle('off', !c.enabled || !c.connected);
    s.caption.textContent = [
      'domain ' + sc.domid + ' connector ' + c.index,
      c.connected ? 'connected' : 'disconnected',
      (c.mode || 'off') + ' @ ' + c.refreshHz + ' Hz',
      c.fps + ' fps',
      'flips ' + c.flips,
      'frame-done timeouts ' + (c.frameDoneTimeouts === null ? 'not reported yet' : c.frameDoneTimeouts),
      'link-status ' + (c.linkStatus === null ? 'not reported yet' : c.linkStatus),
      'frontend ' + sc.frontendState,
      'backend ' + sc.backendState + (sc.stalled ? ' (stalled)' : ''),
    ].join(' · ');
  }
  for (const [id, s] of screens) {
    if (live.has(id)) continue;
    s.fig.remove();
    screens.delete(id);
  }
  emptyEl.hidden = screens.size > 0;
}

function connect() {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const ws = new WebSocket(scheme + '://' + location.host + '/ws?token=' + encodeURIComponent(token));
  ws.binaryType = 'arraybuffer';
  ws.onopen = () => (connectionEl.textContent = 'live');
  ws.onmessage = (e) => {
    if (typeof e.data !== 'string') return applyFrame(e.data);
    const msg = JSON.parse(e.data);
    if (msg.type === 'status') applyStatus(msg);
    else if (msg.type === 'error') console.warn(msg.error.message);
  };
  ws.onclose = () => {
    connectionEl.textContent = 'disconnected, retrying';
    setTimeout(connect, 1000);
  };
}
connect();
`;

const hash = (text: string): string => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>pvdisplay viewer</title>
<style>${STYLE}</style>
</head>
<body>
<h1>pvdisplay<span id="connection">connecting</span></h1>
<p id="empty">No frontend is connected: waiting for one (start <code>pvdisplay frontend</code> on this runtime dir).</p>
<div id="screens"></div>
<script>${SCRIPT}</script>
</body>
</html>
`;

export const PAGE_CSP = `default-src 'none'; script-src ${hash(SCRIPT)}; style-src ${hash(STYLE)}; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;
