// The dashboard on a real pipeline (tests/integration/59_broadcaster_dashboard.sh
// starts it): DASH_URL the page, RPC_URL anvil, WRITER2_PID a writer this
// script kills, BC_PID the broadcaster, which it restarts (same command
// line) to drop the page's connection; SHOT_DIR where the screenshots go.
import { spawn } from 'node:child_process';
import net from 'node:net';
import { readFileSync, writeFileSync, openSync } from 'node:fs';
import path from 'node:path';
import { assert, fail, rpc, sleep, waitFor } from './lib.mjs';
import { openPage } from './chromium.mjs';

const URL_ = process.env.DASH_URL, RPC = process.env.RPC_URL, SHOTS = process.env.SHOT_DIR;
const writer2 = Number(process.env.WRITER2_PID), bcPid = Number(process.env.BC_PID);
assert(URL_ && RPC && writer2 && bcPid && SHOTS, 'DASH_URL, RPC_URL, WRITER2_PID, BC_PID, SHOT_DIR');

async function status() {
	return (await fetch(`${URL_}v1/status`)).json();
}
const stageState = (name) => `(function () { var c = document.querySelector('.stage[data-stage="${name}"]'); return c && c.getAttribute('data-state'); })()`;
const points = (id) => `Number(document.getElementById('${id}').getAttribute('data-points'))`;

// The endpoint itself first: every stage seen, the writers' watermarks.
const st0 = await waitFor(async () => {
	const s = await status();
	const names = s.stages.map((x) => x.name + (x.id ? ' ' + x.id : ''));
	return ['fetcher', 'verifier', 'writer writer1', 'writer writer2', 'broadcaster']
		.every((n) => names.includes(n)) && s.stages.every((x) => x.state === 'ok') && s.lag_blocks !== null && s;
}, 'every stage ok in /v1/status', 30000);
const head = Number(BigInt(await rpc(RPC, 'eth_blockNumber')));
assert(st0.head_source === 'node' && Math.abs(st0.head - head) <= 3, `status head ${st0.head} near the node's ${head}`);
assert(st0.watermark <= head && head - st0.watermark <= 5, `watermark ${st0.watermark} near the node's head ${head}`);

// The page goes through a TCP proxy that the test can cut: a dropped
// connection while the broadcaster keeps running, resumed with since.
const upstream = new URL(URL_);
const sockets = new Set();
let refusing = false;
const proxy = net.createServer((c) => {
	if (refusing) { c.destroy(); return; }
	const u = net.connect(Number(upstream.port), upstream.hostname);
	sockets.add(c); sockets.add(u);
	c.pipe(u); u.pipe(c);
	const end = () => { c.destroy(); u.destroy(); sockets.delete(c); sockets.delete(u); };
	c.on('error', end); u.on('error', end); c.on('close', end); u.on('close', end);
});
await new Promise((res) => proxy.listen(0, '127.0.0.1', res));
const PAGE = `http://127.0.0.1:${proxy.address().port}/`;
const page = await openPage(PAGE, { width: 1280, height: 1000 });
const { evaluate, send } = page;
await waitFor(async () => /^connected/.test(await evaluate("document.getElementById('status').textContent") || ''),
	'the page to connect', 30000);
for (const id of ['p-lag', 'p-delivery', 'p-rate', 'p-txs'])
	await waitFor(async () => await evaluate(points(id)) >= 3, `data points on plot ${id}`, 30000);
for (const n of ['fetcher', 'verifier', 'writer writer1', 'writer writer2', 'broadcaster'])
	await waitFor(async () => await evaluate(stageState(n)) === 'ok', `stage ${n} ok on the page`, 15000);

// A block with transactions: its transactions and logs on a click.
const h = await waitFor(() => evaluate(`(function () {
	var rows = document.querySelectorAll('#blocks tr.block');
	for (var i = 1; i < rows.length; i++)
		if (Number(rows[i].children[2].textContent) > 0) return Number(rows[i].getAttribute('data-height'));
	return 0; })()`), 'a block with transactions in the table', 30000);
await evaluate(`document.querySelector('#blocks tr.block[data-height="${h}"]').click()`);
const nodeBlock = await rpc(RPC, 'eth_getBlockByNumber', ['0x' + h.toString(16), true]);
const receipts = await rpc(RPC, 'eth_getBlockReceipts', ['0x' + h.toString(16)]);
const nlogs = receipts.reduce((n, r) => n + r.logs.length, 0);
let shown = null, lastDetail = null;
for (const end = Date.now() + 15000; !shown && Date.now() < end; await sleep(100)) {
	const d = lastDetail = await evaluate(`(function () { return { title: document.getElementById('detail-title').textContent,
		hidden: document.getElementById('detail').hidden,
		txs: Array.from(document.querySelectorAll('#detail-txs tr.tx td:first-child .h')).map(function (b) { return b.getAttribute('data-full'); }),
		logs: document.querySelectorAll('#detail-logs tr.log').length,
		short: (document.querySelector('#detail-txs tr.tx .h') || {}).textContent }; })()`);
	if (d && d.logs === nlogs && d.txs.length === nodeBlock.transactions.length) shown = d;
}
if (!shown) fail(`block ${h}: want ${nodeBlock.transactions.length} transactions and ${nlogs} logs in the detail, it shows ${JSON.stringify(lastDetail)}`);
assert(shown.title === `block ${h}`, `detail title ${shown.title}`);
for (const t of nodeBlock.transactions)
	assert(shown.txs.includes(t.hash), `transaction ${t.hash} in the detail`);
assert(shown.short.length < 20 && shown.short.includes('\u2026'), `hashes shortened: ${shown.short}`);

// DASH_WARMUP seconds more of data on the plots (for a screenshot to show).
await sleep(Number(process.env.DASH_WARMUP || 0) * 1000);

// A writer killed: the warning state within a few seconds.
process.kill(writer2, 'SIGKILL');
const killedAt = Date.now();
await waitFor(async () => await evaluate(stageState('writer writer2')) === 'stalled',
	'writer2 to turn stalled on the page', 40000);
const took = Date.now() - killedAt;
// stalled after stall_after_ms (3 s) of silence, plus the page's poll:
// generous, for a loaded machine (11.7 s was seen with the suite run
// three times at once beside a CPU hog)
assert(took < 30000, `writer2 stalled after ${took} ms`);
assert(await evaluate(stageState('writer writer1')) === 'ok', 'writer1 stays ok');
const colour = await evaluate(`getComputedStyle(document.querySelector('.stage[data-stage="writer writer2"]')).borderLeftColor`);
assert(colour === 'rgb(240, 72, 62)', `the stalled card is red: ${colour}`);
console.log(`# writer2 killed: stalled on the page after ${took} ms`);

// A reorg: on the timeline and in the list, as the node did it.
const before = await evaluate("Number(document.getElementById('reorg-count').textContent)");
await rpc(RPC, 'anvil_reorg', [2, []]);
await waitFor(async () => await evaluate("Number(document.getElementById('reorg-count').textContent)") > before &&
	await evaluate(points('p-reorgs')) > 0 &&
	await evaluate("document.querySelectorAll('#reorgs tr.reorg').length") > 0, 'the reorg on the timeline', 30000);
const rs = (await status()).reorgs.recent[0];
assert(rs.depth >= 1 && rs.ancestor && rs.ancestor.hash, `reorg in /v1/status: ${JSON.stringify(rs)}`);
const anc = await rpc(RPC, 'eth_getBlockByNumber', ['0x' + rs.ancestor.number.toString(16), false]);
assert(anc.hash === rs.ancestor.hash, `the ancestor ${rs.ancestor.number} is the node's block`);
const row = await evaluate("document.querySelector('#reorgs tr.reorg').textContent");
assert(row.includes(String(rs.ancestor.number)), `the reorg row names the ancestor: ${row}`);
await sleep(1500); // one more plot frame

async function shot(file) {
	const m = await send('Page.captureScreenshot', { format: 'png' });
	assert(m.result && m.result.data, 'a screenshot');
	writeFileSync(path.join(SHOTS, file), Buffer.from(m.result.data, 'base64'));
	console.log(`# screenshot ${path.join(SHOTS, file)}`);
}
await shot('dashboard.png');
await evaluate("document.getElementById('detail').scrollIntoView()");
await shot('dashboard-detail.png');
await evaluate('window.scrollTo(0, 0)');

// A phone's width: nothing wider than the screen but the scrolling tables.
await send('Emulation.setDeviceMetricsOverride', { width: 390, height: 844, deviceScaleFactor: 2, mobile: true });
await sleep(1500);
const wide = await evaluate('document.documentElement.scrollWidth');
assert(wide <= 390, `the page fits 390 px: ${wide}`);
await shot('dashboard-phone.png');
await send('Emulation.clearDeviceMetricsOverride');

// The connection drops (the proxy cuts it and refuses while blocks are
// mined) while the pipeline goes on: the page says so, and with since gets
// every block it missed, none left out.
const heights = "Array.from(document.querySelectorAll('#blocks tr.block')).map(function (r) { return Number(r.getAttribute('data-height')); })";
const cutAt = Math.max(...await evaluate(heights));
refusing = true;
for (const x of sockets) x.destroy();
await waitFor(async () => await evaluate("!document.getElementById('banner').hidden && document.getElementById('banner').textContent") || '',
	'the disconnected banner', 15000).then((t) => assert(/disconnected.*resume from block \d+/.test(t), `banner: ${t}`));
// blocks mined while it is cut off: two of them mined here, whatever the
// traffic managed meanwhile on a loaded machine
await rpc(RPC, 'anvil_mine', ['0x2']);
await sleep(1000);
const missed = Number(BigInt(await rpc(RPC, 'eth_blockNumber')));
assert(missed >= cutAt + 2, `blocks mined while the page was cut off (${cutAt} to ${missed})`);
refusing = false;
await waitFor(async () => Math.max(...await evaluate(heights)) >= missed && await evaluate("document.getElementById('banner').hidden"),
	`the page to resume up to ${missed}`, 30000);
const got = new Set(await evaluate(heights));
for (let x = cutAt - 3; x <= missed; x++)
	assert(got.has(x), `block ${x} on the page after the resume (cut at ${cutAt}, node at ${missed})`);
console.log(`# connection cut at ${cutAt}: resumed with every block up to ${missed}`);

// The connection drops: the broadcaster restarts with the same command
// line; the page says so, then resumes with since and gets new blocks.
const argv = readFileSync(`/proc/${bcPid}/cmdline`, 'utf8').split('\0').filter((x) => x !== '');
process.kill(bcPid, 'SIGKILL');
await waitFor(async () => await evaluate("!document.getElementById('banner').hidden && document.getElementById('banner').textContent") || '',
	'the disconnected banner', 15000).then((t) => assert(/disconnected.*resume from block \d+/.test(t), `banner: ${t}`));
await waitFor(async () => await evaluate(stageState('broadcaster')) === 'down', 'the broadcaster shown down', 15000);
const log = openSync(path.join(SHOTS, 'dashboard-broadcaster.log'), 'w');
const bc = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', log] });
process.on('exit', () => bc.kill('SIGKILL'));
const tipBefore = await evaluate("Number(document.querySelector('#blocks tr.block').getAttribute('data-height'))");
await waitFor(async () => await evaluate("document.getElementById('banner').hidden") &&
	/^connected/.test(await evaluate("document.getElementById('status').textContent")), 'the page to reconnect', 30000);
// New blocks mined here: the traffic may be waiting out receipts of
// transactions the reorg above took away (a loaded run saw none in 30 s).
await rpc(RPC, 'anvil_mine', ['0x2']);
await waitFor(async () => await evaluate("Number(document.querySelector('#blocks tr.block').getAttribute('data-height'))") > tipBefore,
	'new blocks after the reconnect', 30000);
assert(page.errors.length === 0, `no script error: ${page.errors.join('; ')}`);
await page.close();
bc.kill('SIGTERM');
proxy.close();
console.log(`ok: the dashboard on the pipeline: plots, stages, writer2 stalled in ${took} ms, reorg at ${rs.ancestor.number}, detail of block ${h}, phone width, a gapless resume, a broadcaster restart`);
process.exit(0);
