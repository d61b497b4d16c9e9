// The live page in headless Chromium (Debian's chromium, driven over the
// DevTools protocol with the `ws` package: no puppeteer): it connects, and
// shows a block fed after the page loaded, and a reorg.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { startBroadcaster, FakeChain, assert, fail, waitFor } from './lib.mjs';

const CHROMIUM = process.env.CHROMIUM || 'chromium';
const b = await startBroadcaster([], { log: process.env.BC_LOG });
const chain = new FakeChain();
b.send(chain.heartbeat());
b.send(chain.next());

const profile = mkdtempSync(path.join(os.tmpdir(), 'bc-chromium-'));
const chrome = spawn(CHROMIUM, [
	'--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
	'--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage',
	`--user-data-dir=${profile}`, '--remote-debugging-port=0', `${b.http}/`,
], { stdio: ['ignore', 'ignore', 'pipe'] });
let chromeErr = '';
chrome.stderr.on('data', (d) => { chromeErr += d; });
let chromeExited = false;
chrome.on('exit', () => { chromeExited = true; });
process.on('exit', () => {
	if (!chromeExited) chrome.kill('SIGKILL');
	try { rmSync(profile, { recursive: true, force: true }); } catch { /* chromium still writing */ }
});

const portFile = path.join(profile, 'DevToolsActivePort');
await waitFor(() => existsSync(portFile) && readFileSync(portFile, 'utf8').includes('\n') || chromeExited,
	'chromium to start', 30000);
if (chromeExited) fail(`chromium exited: ${chromeErr.slice(-2000)}`);
const devPort = Number(readFileSync(portFile, 'utf8').split('\n')[0]);
const page = await waitFor(async () => {
	const list = await (await fetch(`http://127.0.0.1:${devPort}/json/list`)).json();
	return list.find((t) => t.type === 'page' && t.url.startsWith(b.http));
}, 'the page target', 30000);

const cdp = new WebSocket(page.webSocketDebuggerUrl);
await new Promise((res, rej) => { cdp.on('open', res); cdp.on('error', rej); });
let id = 0;
const pending = new Map();
cdp.on('message', (d) => {
	const m = JSON.parse(d);
	if (m.id && pending.has(m.id)) { pending.get(m.id)(m); pending.delete(m.id); }
});
function evaluate(expr) {
	return new Promise((res) => {
		const i = ++id;
		pending.set(i, (m) => res(m.result?.result?.value));
		cdp.send(JSON.stringify({ id: i, method: 'Runtime.evaluate', params: { expression: expr, returnByValue: true } }));
	});
}

await waitFor(async () => /^connected/.test(await evaluate("document.getElementById('status').textContent") || ''),
	'the page to connect', 30000);
// Fed after the page loaded and subscribed.
const m = chain.next();
b.send(m);
const row = await waitFor(() => evaluate(
	`(function () { var r = document.querySelector('tr.block[data-height="${m.number}"]'); return r && r.textContent; })()`),
	`block ${m.number} on the page`, 30000);
assert(row.includes(m.hash), `the row shows ${row}`);
const r = chain.reorg(1);
for (const x of r.msgs) b.send(x);
await waitFor(() => evaluate("document.querySelectorAll('tr.reorg').length"), 'the reorg on the page', 30000);
const text = await evaluate('document.body.innerText');
assert(text.includes('reorg') && text.includes(r.newBlocks[0].hash), 'the new branch on the page');
cdp.close();
chrome.kill('SIGTERM');
await waitFor(() => chromeExited, 'chromium to exit', 15000);
await b.stop();
console.log(`ok: the live page in headless Chromium shows block ${m.number} and the reorg`);
process.exit(0);
