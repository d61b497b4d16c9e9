// Pings and the pong timeout with more clients than the housekeeping tick
// visits at once (2 500): beyond that it visits a slice a tick, from where
// the last one stopped, so that every client is still pinged and a silent
// one still dropped. The oldest clients sit at the end of the server's
// list: a tick that always started at its head would never reach them.
// A silent client is connected first and another one after 2 600; every
// answering client must be pinged within 4 s once all are connected (the
// ping interval is 1 s), none closed, and both silent ones closed 4002.
import WebSocket from 'ws';
import { startBroadcaster, assert, waitFor, sleep } from './lib.mjs';

const N = Number(process.env.CLIENTS || 3000);
const b = await startBroadcaster(['--ping-interval', '1s', '--pong-timeout', '3s',
	'--conn-rate', '0', '--max-connections', String(N + 100)], { log: process.env.BC_LOG });

function open(silent) {
	const ws = new WebSocket(b.url + '/v1/stream', silent ? { autoPong: false } : {});
	const c = { ws, silent, pings: 0, closed: null };
	ws.on('ping', () => c.pings++);
	ws.on('close', (code) => { c.closed = code; });
	return new Promise((res, rej) => {
		ws.on('open', () => res(c));
		ws.on('error', rej);
	});
}
const silent = [await open(true)];
const normal = [];
for (let i = 0; i < N; i += 100) {
	normal.push(...await Promise.all(Array.from({ length: Math.min(100, N - i) }, () => open(false))));
	if (i === 2600)
		silent.push(await open(true));
}
assert(normal.every((c) => c.closed === null), 'an answering client was closed while connecting');
for (const c of normal) c.pings = 0;
await sleep(4000);
const unpinged = normal.filter((c) => c.pings === 0).length;
const closed = normal.filter((c) => c.closed !== null).length;
assert(unpinged === 0, `${unpinged} of ${N} answering clients were not pinged in 4 s`);
assert(closed === 0, `${closed} answering clients were closed`);
await waitFor(() => silent.every((c) => c.closed !== null), 'both silent clients to be dropped', 15000);
assert(silent.every((c) => c.closed === 4002), `silent clients closed with ${silent.map((c) => c.closed)}`);
assert(silent.every((c) => c.pings >= 1), 'a silent client was never pinged');
const met = await (await fetch(`${b.http}/metrics`)).text();
const conns = Number(met.match(/broadcaster_connections (\d+)/)[1]);
assert(conns === N, `broadcaster_connections ${conns}, want ${N}`);
for (const c of normal) c.ws.terminate();
const st = await b.stop();
assert(st.code === 0, `exit ${JSON.stringify(st)}`);
console.log(`ok: ${N} answering clients all pinged within 4 s, none closed; both silent ones closed 4002`);
process.exit(0);
