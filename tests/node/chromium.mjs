// Headless Chromium (Debian's chromium) driven over the DevTools protocol
// with the `ws` package, no puppeteer: openPage(url) starts it on url and
// resolves to { evaluate(expr), send(method, params), close() }.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { fail, waitFor } from './lib.mjs';

const CHROMIUM = process.env.CHROMIUM || 'chromium';

export async function openPage(url, { width = 1280, height = 900 } = {}) {
	const profile = mkdtempSync(path.join(os.tmpdir(), 'bc-chromium-'));
	const chrome = spawn(CHROMIUM, [
		'--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
		'--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage',
		'--hide-scrollbars', `--window-size=${width},${height}`,
		`--user-data-dir=${profile}`, '--remote-debugging-port=0', url,
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
	const target = await waitFor(async () => {
		const list = await (await fetch(`http://127.0.0.1:${devPort}/json/list`)).json();
		return list.find((t) => t.type === 'page' && t.url.startsWith(url));
	}, 'the page target', 30000);
	const cdp = new WebSocket(target.webSocketDebuggerUrl);
	await new Promise((res, rej) => { cdp.on('open', res); cdp.on('error', rej); });
	let id = 0;
	const pending = new Map();
	const errors = [];
	cdp.on('message', (d) => {
		const m = JSON.parse(d);
		if (m.id && pending.has(m.id)) { pending.get(m.id)(m); pending.delete(m.id); }
		if (m.method === 'Runtime.exceptionThrown') errors.push(m.params.exceptionDetails.exception?.description || m.params.exceptionDetails.text);
	});
	function send(method, params = {}) {
		return new Promise((res) => {
			const i = ++id;
			pending.set(i, (m) => res(m));
			cdp.send(JSON.stringify({ id: i, method, params }));
		});
	}
	async function evaluate(expr) {
		const m = await send('Runtime.evaluate', { expression: expr, returnByValue: true, awaitPromise: true });
		return m.result?.result?.value;
	}
	await send('Runtime.enable');
	return {
		evaluate, send, errors,
		async close() {
			cdp.close();
			chrome.kill('SIGTERM');
			await waitFor(() => chromeExited, 'chromium to exit', 15000);
		},
	};
}
