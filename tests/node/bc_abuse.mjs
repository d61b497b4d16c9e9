// Abuse: a client that never reads, a flooder, invalid UTF-8 (close 1007),
// an oversized message (close 1009), binary frames, a slow header sender
// (closed by the header timeout), a refused origin, an unknown path, too
// many subscriptions; meanwhile well-behaved clients get every message.
import net from 'node:net';
import WebSocket from 'ws';
import { startBroadcaster, FakeChain, collect, assert, waitFor, sleep } from './lib.mjs';

const b = await startBroadcaster([
	'--queue-depth', '32', '--max-message', '65536', '--header-timeout', '2s',
	'--allowed-origins', 'http://good.example', '--max-subscriptions', '3',
	'--write-timeout', '5s',
], { log: process.env.BC_LOG });
const chain = new FakeChain({ txs: 40, logs: 4, dataBytes: 1024 }); // 160 logs, ~400 kB a block
b.send(chain.heartbeat());

function open(path = '/v1/stream', opts) {
	const ws = new WebSocket(b.url + path, opts);
	const msgs = collect(ws);
	const c = { ws, msgs, close: null, error: null };
	ws.on('close', (code, reason) => { c.close = { code, reason: reason.toString() }; });
	ws.on('error', (e) => { c.error = e; });
	return new Promise((res) => {
		ws.on('open', () => res(c));
		ws.on('unexpected-response', (req, resp) => { c.status = resp.statusCode; res(c); });
		ws.on('error', () => res(c));
	});
}
const count = (c, type) => c.msgs.filter((m) => m.type === type).length;

// Good clients: channel (every channel) and eth (newHeads + logs).
const good = await open();
good.ws.send(JSON.stringify({ action: 'subscribe', channels: ['newBlocks', 'newTxs', 'newLogs', 'reorgs'] }));
const eth = await open('/v1/eth');
eth.ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_subscribe', params: ['newHeads'] }));
eth.ws.send(JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'eth_subscribe', params: ['logs', {}] }));

// The one that never reads: its socket is paused after subscribing.
const lazy = await open();
lazy.ws.send(JSON.stringify({ action: 'subscribe', channels: ['newBlocks', 'newTxs', 'newLogs'] }));
await waitFor(() => count(good, 'subscribed') && count(lazy, 'subscribed') && eth.msgs.length >= 2, 'subscriptions');
lazy.ws._socket.pause();

// Too many subscriptions.
for (let i = 0; i < 2; i++)
	eth.ws.send(JSON.stringify({ jsonrpc: '2.0', id: 10 + i, method: 'eth_subscribe', params: ['newHeads'] }));
await waitFor(() => eth.msgs.some((m) => m.id === 11), 'the 4th subscription reply');
assert(eth.msgs.find((m) => m.id === 11).error?.code === -32005, 'a 4th subscription was accepted');
eth.ws.send(JSON.stringify({ jsonrpc: '2.0', id: 12, method: 'eth_unsubscribe', params: [eth.msgs.find((m) => m.id === 10).result] }));
await waitFor(() => eth.msgs.some((m) => m.id === 12), 'unsubscribe');
assert(eth.msgs.find((m) => m.id === 12).result === true, 'eth_unsubscribe');

// Invalid UTF-8 in a text frame: 1007.
const bad8 = await open();
// A raw text frame: FIN + opcode 1, masked (key 0), 4 bytes "{\xff\xfe}".
bad8.ws._socket.write(Buffer.from([0x81, 0x84, 0, 0, 0, 0, 0x7b, 0xff, 0xfe, 0x7d]));
// Oversized: 1009.
const big = await open();
big.ws.send('x'.repeat(100000));
// Binary frame and invalid JSON: an error, the connection stays.
const bin = await open('/');
bin.ws.send(Buffer.from('{"jsonrpc":"2.0"}'), { binary: true });
bin.ws.send('{"jsonrpc":');
bin.ws.send(JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'eth_sendRawTransaction', params: ['0x00'] }));
// Refused origin, unknown path.
const evil = await open('/v1/stream', { origin: 'http://evil.example' });
const okOrigin = await open('/v1/stream', { origin: 'http://good.example' });
const nowhere = await open('/v2/whatever');
// A flooder: thousands of requests, reading nothing.
const flood = await open('/');
if (!flood.ws._socket) console.error('flood', flood.status, flood.error, flood.close);
flood.ws._socket.pause();
for (let i = 0; i < 5000; i++) flood.ws.send(JSON.stringify({ jsonrpc: '2.0', id: i, method: 'eth_blockNumber' }));
// Headers a byte a second.
const slow = net.connect(b.port, '127.0.0.1');
let slowClosedAt = 0;
const slowStart = Date.now();
slow.on('close', () => { slowClosedAt = Date.now(); });
slow.on('error', () => {});
const hdr = 'GET /v1/stream HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n';
let hi = 0;
const slowTimer = setInterval(() => { if (!slowClosedAt && hi < hdr.length) slow.write(hdr[hi++]); }, 1000);

// Meanwhile: 60 blocks, in bursts smaller than the queue depth.
const N = 60;
for (let i = 0; i < N; i++) {
	b.send(chain.next());
	if (i % 10 === 9) await waitFor(() => count(good, 'newBlock') >= i + 1, `block ${i + 1} on the good client`);
}
await waitFor(() => count(good, 'newBlock') === N, 'every block on the good client');
await waitFor(() => count(good, 'newLog') === N * 160, `every log on the good client (${count(good, 'newLog')})`);
const heads = () => eth.msgs.filter((m) => m.method === 'eth_subscription' && m.params.result.parentHash).length;
const logs = () => eth.msgs.filter((m) => m.method === 'eth_subscription' && m.params.result.logIndex).length;
// Two newHeads subscriptions, the first 0..N, the second from its start.
await waitFor(() => logs() === N * 160, `every log on the eth client (${logs()})`);
assert(heads() >= N, `every head on the eth client (${heads()})`);

await waitFor(() => bad8.close, 'the invalid UTF-8 client closed');
assert(bad8.close.code === 1007, `invalid UTF-8: close ${JSON.stringify(bad8.close)}`);
await waitFor(() => big.close, 'the oversized client closed');
assert(big.close.code === 1009, `oversized: close ${JSON.stringify(big.close)}`);
await waitFor(() => bin.msgs.length >= 3, 'binary/invalid replies');
assert(bin.msgs[0].error?.code === -32600 && bin.msgs[1].error?.code === -32700 && bin.msgs[2].error?.code === -32601,
	`binary/invalid JSON/unknown method replies: ${JSON.stringify(bin.msgs)}`);
assert(bin.ws.readyState === WebSocket.OPEN, 'closed after a binary frame');
assert(evil.status === 403 || evil.close || evil.error, 'a refused origin was accepted');
assert(okOrigin.ws.readyState === WebSocket.OPEN, 'the allowed origin was refused');
assert(nowhere.status || nowhere.close || nowhere.error, 'an unknown path was accepted');
await waitFor(() => slowClosedAt, 'the slow header sender to be closed', 15000);
assert(slowClosedAt - slowStart < 10000, `slow header sender lasted ${slowClosedAt - slowStart} ms`);
clearInterval(slowTimer);

// The lazy client: disconnected (queue overflow) once its socket filled.
const met = await (await fetch(`${b.http}/metrics`)).text();
const overflow = Number(met.match(/broadcaster_disconnects_total\{reason="overflow"\} (\d+)/)[1]);
const flooded = Number(met.match(/broadcaster_disconnects_total\{reason="flood"\} (\d+)/)[1]);
const wto = Number(met.match(/broadcaster_disconnects_total\{reason="write_timeout"\} (\d+)/)[1]);
assert(overflow + wto >= 1, `the client that never reads was not disconnected:\n${met}`);
console.log(`flooder: ${flooded ? 'closed (1008)' : 'throttled (reads paused)'}; never-reader: ` +
	`${overflow ? 'overflow' : 'write timeout'}`);
assert(good.ws.readyState === WebSocket.OPEN && eth.ws.readyState === WebSocket.OPEN, 'a good client was closed');

for (const c of [good, eth, bin, okOrigin]) c.ws.close();
slow.destroy();
lazy.ws.terminate();
flood.ws.terminate();
const st = await b.stop();
assert(st.code === 0, `exit ${JSON.stringify(st)}`);
console.log('ok: abuse');
process.exit(0);
