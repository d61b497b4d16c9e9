// The blockpipe dashboard: the channel stream (/v1/stream: newBlocks,
// newTxs, newLogs, reorgs) and the broadcaster's /v1/status, polled every
// second. Plain JavaScript, no library: the plots are drawn on canvases
// here. Data from the network goes into the page with textContent only.
(function () {
"use strict";
var WINDOW_MS = 5 * 60 * 1000, KEEP_BLOCKS = 100;
var $ = function (id) { return document.getElementById(id); };
var blocks = new Map(); // height -> {b, txs, logs, at}
var series = { lag: [], delivery: [], rate: [], txs: [] };
var arrivals = [];      // receive times of newBlocks, for the rate
var last = null, count = 0, selected = null, connected = false;
var statusOk = false, lastStatus = null, reorgTimes = [];

function el(tag, text, cls) {
  var e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}
function short(h) {
  return typeof h === "string" && h.length > 14 ? h.slice(0, 8) + "\u2026" + h.slice(-4) : String(h);
}
// A shortened hash that copies the whole one when clicked.
function hashEl(h) {
  var b = el("button", short(h), "h");
  b.type = "button";
  b.title = h + " (click to copy)";
  b.setAttribute("data-full", h);
  b.addEventListener("click", function (ev) {
    ev.stopPropagation();
    copy(h, b);
  });
  return b;
}
function copy(text, b) {
  var done = function () { b.classList.add("copied"); setTimeout(function () { b.classList.remove("copied"); }, 800); };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(done, function () { fallbackCopy(text); done(); });
  } else { fallbackCopy(text); done(); }
}
function fallbackCopy(text) {
  var t = el("textarea");
  t.value = text;
  document.body.appendChild(t);
  t.select();
  try { document.execCommand("copy"); } catch (e) { /* nothing to do */ }
  document.body.removeChild(t);
}
function td(tr, content, cls) {
  var c = el("td", null, cls);
  if (content instanceof Node) c.appendChild(content); else c.textContent = String(content);
  tr.appendChild(c);
  return c;
}
function ago(ms) {
  if (ms === null || ms === undefined) return "never";
  if (ms < 1000) return "now";
  if (ms < 60000) return (ms / 1000).toFixed(ms < 10000 ? 1 : 0) + " s ago";
  if (ms < 3600000) return Math.round(ms / 60000) + " min ago";
  return Math.round(ms / 3600000) + " h ago";
}
function clock(ms) { return new Date(ms).toTimeString().slice(0, 8); }
function push(s, t, v) {
  s.push({ t: t, v: v });
  while (s.length && s[0].t < t - WINDOW_MS) s.shift();
}

// ---- plots ---------------------------------------------------------------
function plot(canvas, data, opt) {
  var dpr = window.devicePixelRatio || 1, w = canvas.clientWidth, h = canvas.clientHeight;
  if (!w || !h) return;
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
  }
  var g = canvas.getContext("2d");
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, w, h);
  canvas.setAttribute("data-points", String(data.length));
  var L = 40, R = 6, T = 6, B = 16, pw = w - L - R, ph = h - T - B;
  var now = Date.now(), span = spanOf(data, now);
  var x0 = opt.bars ? 0 : now - span, x1 = opt.bars ? data.length : now;
  var max = opt.min || 1;
  data.forEach(function (p) { if (p.v > max) max = p.v; });
  max = nice(max);
  g.font = "10px system-ui, sans-serif";
  g.fillStyle = "#8692a0";
  g.strokeStyle = "#273039";
  g.lineWidth = 1;
  for (var i = 0; i <= 2; i++) {
    var y = T + ph - ph * i / 2;
    g.beginPath(); g.moveTo(L, Math.round(y) + 0.5); g.lineTo(L + pw, Math.round(y) + 0.5); g.stroke();
    g.fillText(fmt(max * i / 2, opt.unit), 2, y + 3);
  }
  if (!opt.bars) {
    g.fillText(spanLabel(span), L, h - 3);
    g.fillText("now", L + pw - 18, h - 3);
  } else if (data.length) {
    g.fillText(String(data[0].label), L, h - 3);
    var lt = String(data[data.length - 1].label);
    g.fillText(lt, L + pw - g.measureText(lt).width, h - 3);
  }
  if (!data.length) {
    g.fillText("no data yet", L + pw / 2 - 25, T + ph / 2);
    return;
  }
  var X = function (x) { return L + pw * (x - x0) / ((x1 - x0) || 1); };
  var Y = function (v) { return T + ph - ph * Math.min(v, max) / max; };
  if (opt.bars) {
    var bw = Math.max(1, pw / data.length - 1);
    g.fillStyle = opt.color;
    data.forEach(function (p, k) { g.fillRect(X(k), Y(p.v), bw, T + ph - Y(p.v)); });
    return;
  }
  g.strokeStyle = opt.color;
  g.lineWidth = 1.5;
  g.beginPath();
  data.forEach(function (p, k) {
    if (k) g.lineTo(X(p.t), Y(p.v)); else g.moveTo(X(p.t), Y(p.v));
  });
  g.stroke();
  if (opt.warn !== undefined && opt.warn <= max) {
    g.strokeStyle = "rgba(240,160,32,.5)";
    g.setLineDash([4, 3]);
    g.beginPath(); g.moveTo(L, Y(opt.warn)); g.lineTo(L + pw, Y(opt.warn)); g.stroke();
    g.setLineDash([]);
  }
}
// The x axis: the data's age, at least a minute, at most the window.
function spanOf(data, now) {
  var t = data.length ? now - data[0].t : 0;
  return Math.max(60000, Math.min(WINDOW_MS, Math.ceil(t / 60000) * 60000));
}
function spanLabel(ms) { return "-" + Math.round(ms / 60000) + " min"; }
function nice(v) {
  var p = Math.pow(10, Math.floor(Math.log10(v))), m = v / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}
function fmt(v, unit) {
  var s = v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(0) : v.toFixed(1);
  return unit ? s + unit : s;
}
// Reorgs on a 5-minute line: one mark each, its height the depth.
function timeline(canvas, reorgs) {
  var dpr = window.devicePixelRatio || 1, w = canvas.clientWidth, h = canvas.clientHeight;
  if (!w || !h) return;
  canvas.width = Math.round(w * dpr);
  canvas.height = Math.round(h * dpr);
  var g = canvas.getContext("2d"), now = Date.now(), shown = 0;
  var span = spanOf(series.delivery, now);
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.fillStyle = "#8692a0";
  g.font = "10px system-ui, sans-serif";
  g.strokeStyle = "#273039";
  g.beginPath(); g.moveTo(0, h - 14.5); g.lineTo(w, h - 14.5); g.stroke();
  g.fillText(spanLabel(span), 0, h - 2);
  g.fillText("now", w - 18, h - 2);
  reorgs.forEach(function (r) {
    if (r.seen < now - span) return;
    var x = Math.max(8, Math.min(w - 8, w * (r.seen - now + span) / span)), d = Math.min(r.depth, 6);
    g.fillStyle = r.deep ? "#f0483e" : "#f0a020";
    g.fillRect(x - 3, h - 15 - 5 * d, 6, 5 * d);
    g.fillText(String(r.depth), x - 3, h - 18 - 5 * d);
    shown++;
  });
  canvas.setAttribute("data-points", String(shown));
}
function draw() {
  var lagWarn = 5;
  plot($("p-lag"), series.lag, { color: "#4aa3ff", min: 2, warn: lagWarn });
  plot($("p-delivery"), series.delivery, { color: "#b07cff", min: 1, unit: "s" });
  plot($("p-rate"), series.rate, { color: "#2fbf71", min: 1 });
  plot($("p-txs"), series.txs, { color: "#e0b84a", min: 2, bars: true });
  timeline($("p-reorgs"), lastStatus ? lastStatus.reorgs.recent : []);
}

// ---- stages (from /v1/status) --------------------------------------------
function stageCard(s, now) {
  var c = el("div", null, "stage " + s.state), top = el("div", null, "top");
  var name = s.name === "writer" && s.id ? "writer " + s.id : s.name;
  c.setAttribute("data-stage", name);
  if (s.name === "writer" && s.id && /writer/i.test(s.id)) name = s.id;
  c.setAttribute("data-state", s.state);
  top.appendChild(el("span", name, "name"));
  top.appendChild(el("span", s.state, "pill " + s.state));
  c.appendChild(top);
  c.appendChild(el("div", s.position === null ? "\u2013" : s.position, "pos"));
  var age = s.seen === null ? null : s.age_ms + Math.max(0, now - lastStatusAt);
  var what = s.name === "verifier" ? "heartbeat " : s.name === "writer" ? "committed " :
             s.name === "fetcher" ? "fetched " : "input ";
  c.appendChild(el("div", what + ago(age), "sub"));
  var sub = s.name === "writer" ? "watermark " + (s.watermark === null ? "?" : s.watermark) + ", " + s.blocks + " blocks" :
            s.name === "broadcaster" ? s.clients + " clients" :
            s.interval_ms ? "every " + (s.interval_ms / 1000).toFixed(1) + " s" : "";
  if (sub) c.appendChild(el("div", sub, "sub"));
  return c;
}
var lastStatusAt = 0;
function showStages(st) {
  var box = $("stages"), now = Date.now();
  box.textContent = "";
  if (!st) {
    ["fetcher", "verifier", "writer", "broadcaster"].forEach(function (n) {
      box.appendChild(stageCard({ name: n, state: n === "broadcaster" ? "down" : "unknown",
        position: null, seen: null }, now));
    });
    return;
  }
  // fetcher, verifier, the writers by id, broadcaster: the data's path
  var rank = { fetcher: 0, verifier: 1, writer: 2, broadcaster: 3 };
  st.stages.slice().sort(function (a, b) {
    return rank[a.name] - rank[b.name] || String(a.id || "").localeCompare(String(b.id || ""));
  }).forEach(function (s) { box.appendChild(stageCard(s, now)); });
}
function showReorgs(st) {
  var tb = $("reorgs");
  tb.textContent = "";
  $("reorg-count").textContent = String(st.reorgs.total);
  st.reorgs.recent.slice(0, 10).forEach(function (r) {
    var tr = el("tr", null, "reorg");
    td(tr, clock(r.seen));
    td(tr, r.depth + (r.deep ? " (deep)" : ""), "num");
    var a = el("span");
    if (r.ancestor) { a.appendChild(document.createTextNode(r.ancestor.number + " ")); if (r.ancestor.hash) a.appendChild(hashEl(r.ancestor.hash)); } else a.textContent = "below 0";
    td(tr, a);
    var t = el("span");
    if (r.new_tip) { t.appendChild(document.createTextNode(r.new_tip.number + " ")); if (r.new_tip.hash) t.appendChild(hashEl(r.new_tip.hash)); }
    td(tr, t);
    tb.appendChild(tr);
  });
  if (!st.reorgs.recent.length) { var e = el("tr"); td(e, "none seen", "muted"); tb.appendChild(e); }
  var gb = $("gaps");
  gb.textContent = "";
  $("gap-count").textContent = st.gaps.total + (st.gaps.lost ? " (" + st.gaps.lost + " messages lost)" : "");
  st.gaps.recent.slice(0, 10).forEach(function (g) {
    var tr = el("tr", null, "gap");
    td(tr, clock(g.seen)); td(tr, g.source); td(tr, g.topic); td(tr, g.lost, "num");
    gb.appendChild(tr);
  });
  if (!st.gaps.recent.length) { var n = el("tr"); td(n, "none seen", "muted"); gb.appendChild(n); }
}
function pollStatus() {
  fetch("/v1/status", { cache: "no-store" }).then(function (r) {
    if (!r.ok) throw new Error("HTTP " + r.status);
    return r.json();
  }).then(function (st) {
    statusOk = true;
    lastStatus = st;
    lastStatusAt = Date.now();
    if (st.chain_id !== null) $("chain").textContent = "chain " + st.chain_id;
    if (st.lag_blocks !== null) {
      push(series.lag, Date.now(), Math.max(0, st.lag_blocks));
      $("v-lag").textContent = st.lag_blocks + " blocks";
    }
    showStages(st);
    showReorgs(st);
    banner();
  }, function () {
    statusOk = false;
    showStages(null);
    banner();
  });
}

// ---- the stream ----------------------------------------------------------
function banner() {
  var b = $("banner"), msg = "";
  if (!connected) msg = "disconnected from the broadcaster: reconnecting" + (last !== null ? " (will resume from block " + (last + 1) + ")" : "") + "...";
  else if (!statusOk) msg = "the status endpoint does not answer";
  b.hidden = !msg;
  b.textContent = msg;
  var c = $("conn");
  c.textContent = connected ? "live" : "offline";
  c.className = "pill " + (connected ? "ok" : "down");
}
function blockRow(x) {
  var d = x.b, tr = el("tr", null, "block");
  tr.setAttribute("data-height", String(d.height));
  tr.setAttribute("data-hash", d.hash);
  td(tr, d.height, "num");
  td(tr, hashEl(d.hash));
  td(tr, d.tx_count, "num");
  td(tr, d.gas_used, "num wide");
  td(tr, ago(Date.now() - d.timestamp * 1000), "age");
  tr.addEventListener("click", function () { select(d.height); });
  if (selected === d.height) tr.classList.add("sel");
  return tr;
}
function showBlocks() {
  var tb = $("blocks");
  tb.textContent = "";
  Array.from(blocks.keys()).sort(function (a, b) { return b - a; }).forEach(function (h) {
    tb.appendChild(blockRow(blocks.get(h)));
  });
}
function select(h) {
  var x = blocks.get(h);
  selected = h;
  Array.prototype.forEach.call(document.querySelectorAll("#blocks tr"), function (tr) {
    tr.classList.toggle("sel", tr.getAttribute("data-height") === String(h));
  });
  if (!x) return;
  $("detail").hidden = false;
  $("detail-title").textContent = "block " + h;
  var kv = $("detail-head");
  kv.textContent = "";
  [["hash", hashEl(x.b.hash)], ["parent", hashEl(x.b.parent_hash)], ["miner", hashEl(x.b.miner)],
   ["time", new Date(x.b.timestamp * 1000).toISOString()], ["gas used", String(x.b.gas_used)]].forEach(function (p) {
    kv.appendChild(el("span", p[0]));
    var v = el("span");
    if (p[1] instanceof Node) v.appendChild(p[1]); else v.textContent = p[1];
    kv.appendChild(v);
  });
  var tb = $("detail-txs");
  tb.textContent = "";
  $("detail-ntx").textContent = String(x.txs.length);
  x.txs.forEach(function (t) {
    var tr = el("tr", null, "tx");
    td(tr, hashEl(t.hash)); td(tr, hashEl(t.from_addr));
    td(tr, t.to_addr ? hashEl(t.to_addr) : "contract creation");
    td(tr, t.value_wei, "num");
    tb.appendChild(tr);
  });
  var lb = $("detail-logs");
  lb.textContent = "";
  $("detail-nlogs").textContent = String(x.logs.length);
  x.logs.forEach(function (l) {
    var tr = el("tr", null, "log" + (l.removed ? " orphaned" : ""));
    td(tr, parseInt(l.logIndex, 16), "num");
    td(tr, hashEl(l.address));
    td(tr, l.topics && l.topics.length ? hashEl(l.topics[0]) : "\u2013");
    td(tr, l.topics ? l.topics.length : 0, "num");
    td(tr, l.data && l.data.length > 2 ? hashEl(l.data) : "0x");
    lb.appendChild(tr);
  });
}
function entry(h) {
  var x = blocks.get(h);
  if (!x) { x = { b: null, txs: [], logs: [] }; blocks.set(h, x); }
  return x;
}
function onBlock(d) {
  var now = Date.now(), x = entry(d.height);
  if (x.b && x.b.hash !== d.hash) { x.txs = []; x.logs = []; }
  x.b = d;
  last = d.height;
  count++;
  arrivals.push(now);
  push(series.delivery, now, Math.max(0, (now - d.timestamp * 1000) / 1000));
  $("v-delivery").textContent = ((now - d.timestamp * 1000) / 1000).toFixed(1) + " s";
  series.txs.push({ label: d.height, v: d.tx_count });
  while (series.txs.length > 60) series.txs.shift();
  $("v-txs").textContent = String(d.tx_count);
  Array.from(blocks.keys()).sort(function (a, b) { return a - b; }).slice(0, Math.max(0, blocks.size - KEEP_BLOCKS))
    .forEach(function (k) { blocks.delete(k); });
  $("status").textContent = "connected: " + count + " blocks, tip " + d.height;
}
function onMessage(m) {
  if (m.type === "newBlock") {
    onBlock(m.data);
    showBlocks();
    if (selected === m.data.height) select(selected);
  } else if (m.type === "newTxs") {
    entry(m.height).txs = m.data;
    if (selected === m.height) select(selected);
  } else if (m.type === "newLog") {
    var h = parseInt(m.data.blockNumber, 16), x = entry(h);
    if (m.data.removed) {
      x.logs.forEach(function (l) { if (l.logIndex === m.data.logIndex && l.blockHash === m.data.blockHash) l.removed = true; });
    } else {
      x.logs.push(m.data);
    }
    if (selected === h) select(h);
  } else if (m.type === "reorg") {
    var r = m.data;
    reorgTimes.push(Date.now());
    if (r.ancestor && last !== null && r.ancestor.number < last) last = r.ancestor.number;
    if (r.orphaned) r.orphaned.forEach(function (o) { var b = blocks.get(o.number); if (b && b.b && b.b.hash === o.hash) blocks.delete(o.number); });
    showBlocks();
    pollStatus();
  } else if (m.type === "gap") {
    $("status").textContent = "connected: the broadcaster lost " + m.data.lost + " messages";
  } else if (m.type === "error") {
    $("status").textContent = "connected: error " + m.error;
    if (last !== null) { last = null; ws.close(); }
  }
}
var ws = null;
function connect() {
  var proto = location.protocol === "https:" ? "wss://" : "ws://";
  ws = new WebSocket(proto + location.host + "/v1/stream");
  ws.onopen = function () {
    connected = true;
    var req = { action: "subscribe", channels: ["newBlocks", "newTxs", "newLogs", "reorgs"] };
    if (last !== null) req.since = last + 1;
    $("status").textContent = last !== null ? "connected: resuming from block " + (last + 1) : "connected";
    ws.send(JSON.stringify(req));
    banner();
  };
  ws.onmessage = function (e) {
    try { onMessage(JSON.parse(e.data)); } catch (err) { $("status").textContent = "connected: bad message: " + err.message; }
  };
  ws.onclose = function () {
    connected = false;
    $("status").textContent = "disconnected: reconnecting...";
    banner();
    setTimeout(connect, 1000);
  };
}
function tick() {
  var now = Date.now();
  while (arrivals.length && arrivals[0] < now - WINDOW_MS) arrivals.shift();
  var n = arrivals.filter(function (t) { return t >= now - 10000; }).length;
  if (count) {
    push(series.rate, now, n / 10);
    $("v-rate").textContent = (n / 10).toFixed(1) + " /s";
  }
  Array.prototype.forEach.call(document.querySelectorAll("#blocks td.age"), function (c) {
    var x = blocks.get(Number(c.parentNode.getAttribute("data-height")));
    if (x && x.b) c.textContent = ago(now - x.b.timestamp * 1000);
  });
  draw();
}
showStages(null);
connect();
pollStatus();
setInterval(pollStatus, 1000);
setInterval(tick, 1000);
window.addEventListener("resize", draw);
})();
