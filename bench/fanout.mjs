// bench/fanout: delivery latency and throughput of the broadcaster for
// many WebSocket clients. See bench/fanout (the wrapper) for usage.
//
// The parent starts bin/broadcaster fed on stdin, forks WORKERS client
// processes that open CLIENTS connections between them (half channel
// protocol newBlocks, half eth_subscribe newHeads), then feeds BLOCKS
// blocks at RATE a second, each stamped emitted_at = now. A client's
// latency is its receive time minus emitted_at (same host clock): it
// includes the broadcaster's queueing and the load generator's own delay
// in reading its sockets, which is why the generator's CPU time is shown.
import { fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(ROOT, 'tests/node/package.json'));
const WebSocket = require('ws');

if (process.argv[2] === 'worker') {
	// A worker: open n clients to url, collect latencies, report on request.
	const [, , , url, n0] = process.argv;
	const n = Number(n0);
	const lat = [];
	let msgs = 0, errors = 0, lastErr = '';
	const socks = [];
	const open = (i) => new Promise((res) => {
		const chan = i % 2 === 0;
		const ws = new WebSocket(url + (chan ? '/v1/stream' : '/'), { perMessageDeflate: false });
		ws.on('open', () => {
			ws.send(chan ? '{"action":"subscribe","channels":["newBlocks"]}'
				: '{"jsonrpc":"2.0","id":1,"method":"eth_subscribe","params":["newHeads"]}');
			res();
		});
		ws.on('message', (d) => {
			const now = Date.now();
			msgs++;
			const s = d.toString();
			// Only the timestamp is needed: the block number (eth) or
			// height (channel) indexes the emit time the parent sends.
			const m = chan ? /"height":(\d+)/.exec(s) : /"number":"0x([0-9a-f]+)"/.exec(s);
			if (m) lat.push([chan ? Number(m[1]) : parseInt(m[1], 16), now]);
		});
		ws.on('error', (e) => { errors++; lastErr = e.message; res(); });
		ws.on('close', () => res());
		socks.push(ws);
	});
	for (let i = 0; i < n; i += 200)
		await Promise.all(Array.from({ length: Math.min(200, n - i) }, (_, k) => open(i + k)));
	if (errors) console.error(`fanout worker: ${errors} connections failed (${lastErr})`);
	process.send({ type: 'ready', open: socks.filter((s) => s.readyState === 1).length });
	process.on('message', (m) => {
		if (m.type === 'report') {
			for (const s of socks) s.terminate();
			// A large report: exit only once it is written to the channel.
			process.send({ type: 'report', lat, msgs, cpu: process.cpuUsage() }, () => process.exit(0));
		}
	});
} else {
	const { startBroadcaster, FakeChain, sleep, waitFor } = await import('../tests/node/lib.mjs');
	const CLIENTS = Number(process.env.CLIENTS || 1000);
	const BLOCKS = Number(process.env.BLOCKS || 30);
	const RATE = Number(process.env.RATE || 2);
	const WORKERS = Number(process.env.WORKERS || 2);
	const b = await startBroadcaster(['--conn-rate', '0', '--max-connections', String(CLIENTS + 100)]);
	console.error(`fanout: broadcaster on port ${b.port}, forking ${WORKERS} workers`);
	const chain = new FakeChain({ txs: 10, logs: 1 });
	b.send(chain.heartbeat());
	const workers = [];
	const t0 = Date.now();
	for (let w = 0; w < WORKERS; w++) {
		const n = Math.floor(CLIENTS / WORKERS) + (w < CLIENTS % WORKERS ? 1 : 0);
		const p = fork(fileURLToPath(import.meta.url), ['worker', b.url, String(n)], { stdio: 'inherit' });
		p.on('exit', (code, sig) => {
			if (code || sig) console.error(`fanout: worker ${p.pid} exited (${code ?? sig})`);
		});
		workers.push(new Promise((res) => p.on('message', (m) => { if (m.type === 'ready') res({ p, open: m.open }); })));
	}
	const ws = await Promise.all(workers);
	const open = ws.reduce((a, w) => a + w.open, 0);
	const connectMs = Date.now() - t0;
	await sleep(500);
	const cpuOf = (pid) => {
		const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
		return (Number(f[11]) + Number(f[12])) * 10; // ms (USER_HZ 100)
	};
	const bcCpu0 = cpuOf(b.proc.pid);
	const emitted = new Map();
	const start = Date.now();
	for (let i = 0; i < BLOCKS; i++) {
		const m = chain.next();
		m.emitted_at = Date.now();
		emitted.set(m.number, m.emitted_at);
		b.send(m);
		const due = start + ((i + 1) * 1000) / RATE;
		if (due > Date.now()) await sleep(due - Date.now());
	}
	// Let the broadcaster finish (its delivery counter reaches every
	// client and block), at most 30 s.
	const want = open * BLOCKS;
	const delivered = async () => {
		const t = await (await fetch(`${b.http}/metrics`)).text();
		return Number((t.match(/^broadcaster_delivery_seconds_count (\d+)/m) || [])[1] || 0);
	};
	const endBy = Date.now() + 30000;
	while (Date.now() < endBy && (await delivered()) < want) await sleep(100);
	await sleep(500);
	const feedMs = Date.now() - start;
	const bcCpu = cpuOf(b.proc.pid) - bcCpu0;
	const reports = await Promise.all(ws.map(({ p }) => new Promise((res) => {
		p.on('message', (m) => { if (m.type === 'report') res(m); });
		p.send({ type: 'report' });
	})));
	const lats = [];
	let msgs = 0, genCpu = 0, last = 0;
	for (const r of reports) {
		msgs += r.msgs;
		genCpu += (r.cpu.user + r.cpu.system) / 1000;
		for (const [h, t] of r.lat) {
			if (emitted.has(h)) lats.push(t - emitted.get(h));
			if (t > last) last = t;
		}
	}
	lats.sort((a, b) => a - b);
	const q = (p) => lats.length ? lats[Math.min(lats.length - 1, Math.floor(p * lats.length))] : NaN;
	const met = await (await fetch(`${b.http}/metrics`)).text();
	const hq = (name) => {
		const m = met.match(new RegExp(`^${name} (.*)$`, 'm'));
		return m ? Number(m[1]) : NaN;
	};
	await b.stop();
	const expected = open * BLOCKS;
	const span = (last - start) / 1000;
	console.log(`clients ${CLIENTS} (open ${open}, connected in ${connectMs} ms), blocks ${BLOCKS} at ${RATE}/s, ` +
		`workers ${WORKERS}`);
	console.log(`  delivered ${lats.length}/${expected} block messages (${msgs} frames in all)`);
	console.log(`  latency emitted_at -> client receive: p50 ${q(0.5)} ms  p99 ${q(0.99)} ms  max ${lats[lats.length - 1]} ms`);
	console.log(`  throughput: ${(lats.length / span).toFixed(0)} msgs/s over ${span.toFixed(1)} s ` +
		`(${(expected / BLOCKS).toFixed(0)} msgs per block)`);
	console.log(`  cpu: broadcaster ${(bcCpu / feedMs * 100).toFixed(0)}% of a core; load generator ` +
		`${(genCpu / (Date.now() - t0) * 100).toFixed(0)}% of a core (incl. connecting), on ${
			(await import('node:os')).cpus().length} cores`);
	console.log(`  broadcaster_delivery_seconds (emitted_at -> write, server side): count ${hq('broadcaster_delivery_seconds_count')} ` +
		`mean ${(hq('broadcaster_delivery_seconds_sum') / hq('broadcaster_delivery_seconds_count') * 1000).toFixed(1)} ms`);
	process.exit(lats.length === expected ? 0 : 1);
}
