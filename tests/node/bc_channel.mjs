// The channel protocol at /v1/stream with the `ws` package: subscribe and
// unsubscribe, every channel's message shape, a log filter, errors that
// keep the connection open, reorgs, `since` replays (and the error naming
// the oldest height kept), backfill blocks not broadcast, /health /ready
// /metrics, and SIGTERM closing every client with a close frame (1001).
import WebSocket from 'ws';
import { startBroadcaster, FakeChain, EMITTER, collect, assert, waitFor, sleep } from './lib.mjs';

const b = await startBroadcaster(['--replay', '20', '--queue-depth', '16'], { log: process.env.BC_LOG });
const chain = new FakeChain({ txs: 3, logs: 2 });

assert((await fetch(`${b.http}/health`)).status === 200, '/health');
assert((await fetch(`${b.http}/ready`)).status === 503, '/ready before any message');
b.send(chain.heartbeat());
await waitFor(async () => (await fetch(`${b.http}/ready`)).status === 200, '/ready');
assert((await fetch(`${b.http}/nope`)).status === 404, '404');

async function open(path = '/v1/stream', opts) {
	const ws = new WebSocket(b.url + path, opts);
	const msgs = collect(ws);
	ws.closeInfo = null;
	ws.on('close', (code, reason) => { ws.closeInfo = { code, reason: reason.toString() }; });
	await new Promise((res, rej) => { ws.on('open', res); ws.on('error', rej); });
	return { ws, msgs };
}
const of = (msgs, type) => msgs.filter((m) => m.type === type);

// Errors keep the connection open.
const e = await open();
e.ws.send('{not json');
e.ws.send(JSON.stringify({ action: 'dance' }));
e.ws.send(JSON.stringify({ action: 'subscribe', channels: ['newBlocks', 'bogus'] }));
e.ws.send(JSON.stringify({ action: 'subscribe', channels: [] }));
e.ws.send(JSON.stringify({ action: 'subscribe', channels: ['newLogs'], filter: { address: '0x12' } }));
e.ws.send(JSON.stringify({ action: 'ping' }));
await waitFor(() => e.msgs.length >= 6, 'error replies');
const errs = of(e.msgs, 'error').map((m) => m.error);
assert(errs.length === 5, `5 errors, got ${JSON.stringify(e.msgs)}`);
assert(/invalid JSON/.test(errs[0]) && /unknown action 'dance'/.test(errs[1]) &&
	/unknown channel 'bogus'/.test(errs[2]) && /non-empty/.test(errs[3]) && /invalid filter/.test(errs[4]),
	`error texts: ${JSON.stringify(errs)}`);
assert(of(e.msgs, 'pong').length === 1, 'pong');
assert(e.ws.readyState === WebSocket.OPEN, 'connection closed after errors');

// Subscriptions.
const all = await open();
all.ws.send(JSON.stringify({ action: 'subscribe', channels: ['newBlocks', 'newTxs', 'newLogs', 'reorgs'] }));
const blocksOnly = await open();
blocksOnly.ws.send(JSON.stringify({ action: 'subscribe', channels: ['newBlocks'] }));
const filtered = await open();
const t1 = chain.makeBlock(1, '0x00').msg.receipts[1].logs[0].topics[1]; // the 2nd tx's topic
filtered.ws.send(JSON.stringify({ action: 'subscribe', channels: ['newLogs'], filter: { address: [EMITTER], topics: [null, t1] } }));
await waitFor(() => of(all.msgs, 'subscribed').length && of(blocksOnly.msgs, 'subscribed').length &&
	of(filtered.msgs, 'subscribed').length, 'subscribed acks');
assert(of(all.msgs, 'subscribed')[0].channels.join() === 'newBlocks,newTxs,newLogs,reorgs', 'ack channels');

for (let i = 0; i < 10; i++) b.send(chain.next());
b.send(chain.next(false)); // backfill: not broadcast
await waitFor(() => of(all.msgs, 'newBlock').length >= 10 && of(blocksOnly.msgs, 'newBlock').length >= 10,
	'10 blocks on both');
await sleep(300);
let nb = of(all.msgs, 'newBlock');
assert(nb.length === 10, `backfill block broadcast (${nb.length} blocks)`);
assert(nb.map((m) => m.data.height).join() === '1,2,3,4,5,6,7,8,9,10', `heights ${nb.map((m) => m.data.height)}`);
const d = nb[2].data;
assert(d.hash === chain.blocks[2].hash && d.parent_hash === chain.blocks[1].hash && d.tx_count === 3 &&
	d.timestamp === 1700000003 && d.gas_used === 63000 && typeof d.miner === 'string', `newBlock ${JSON.stringify(d)}`);
const txs = of(all.msgs, 'newTxs');
assert(txs.length === 10 && txs[0].data.length === 3, 'newTxs: one batch per block');
assert(txs[0].data[1].value_wei === '2000000000000000000' && txs[0].data[1].block_height === 1 &&
	txs[0].data[1].to_addr === EMITTER && txs[0].data[1].from_addr, `newTx ${JSON.stringify(txs[0].data[1])}`);
assert(of(all.msgs, 'newLog').length === 60, `60 logs, got ${of(all.msgs, 'newLog').length}`);
assert(of(blocksOnly.msgs, 'newTxs').length === 0 && of(blocksOnly.msgs, 'newLog').length === 0, 'channel leak');
const fl = of(filtered.msgs, 'newLog');
assert(fl.length === 20 && fl.every((m) => m.data.topics[1] === t1 && !m.data.removed), `filtered logs: ${fl.length}`);

// Unsubscribe.
blocksOnly.ws.send(JSON.stringify({ action: 'unsubscribe', channels: ['newBlocks'] }));
await waitFor(() => of(blocksOnly.msgs, 'unsubscribed').length, 'unsubscribed');

// A reorg of blocks 10 and 11 (11 was a backfill block, never sent): the
// reorg message, block 10's logs removed, then the new branch 10..12.
const before = all.msgs.length;
const r = chain.reorg(2, 3);
for (const m of r.msgs) b.send(m);
await waitFor(() => of(all.msgs, 'newBlock').length >= 13, 'the new branch');
const seq = all.msgs.slice(before);
assert(seq[0].type === 'reorg' && seq[0].data.ancestor.number === 9 && seq[0].data.depth === 2, `reorg first: ${JSON.stringify(seq[0])}`);
const removed = seq.filter((m) => m.type === 'newLog' && m.data.removed);
assert(removed.length === 6, `6 removed logs, got ${removed.length}`);
assert(parseInt(removed[0].data.blockNumber, 16) === 10, 'removed logs newest block first');
const nbAfter = seq.filter((m) => m.type === 'newBlock').map((m) => m.data.height);
assert(nbAfter.join() === '10,11,12', `new branch ${nbAfter}`);
await sleep(200);
assert(of(blocksOnly.msgs, 'newBlock').length === 10, 'unsubscribed client still gets blocks');

// since: replay what was missed, reorgs included, then live.
const s = await open();
s.ws.send(JSON.stringify({ action: 'subscribe', channels: ['newBlocks', 'reorgs'], since: 8 }));
await waitFor(() => of(s.msgs, 'newBlock').length >= 6, 'the replay');
const rs = s.msgs.filter((m) => m.type !== 'subscribed').map((m) => (m.type === 'reorg' ? 'R' : m.data.height));
assert(rs.join() === '8,9,10,R,10,11,12', `replay order ${rs}`);
b.send(chain.next());
await waitFor(() => of(s.msgs, 'newBlock').some((m) => m.data.height === 13), 'live after the replay');

// since_seq: every event after that seq, from the ring (here: from the
// reorg on, as the client that had block 10 of the old branch left).
const last10 = s.msgs.find((m) => m.type === 'newBlock' && m.data.height === 10);
const q = await open();
q.ws.send(JSON.stringify({ action: 'subscribe', channels: ['newBlocks', 'reorgs'], since_seq: last10.seq }));
await waitFor(() => of(q.msgs, 'newBlock').length >= 4, 'the since_seq replay');
const qs = q.msgs.map((m) => (m.type === 'subscribed' ? `S${m.replay_from_seq}` : m.type === 'reorg' ? 'R' : m.data.height));
assert(qs.join() === `S${last10.seq},R,10,11,12,13`, `since_seq replay ${qs}`);
q.ws.close();

// since older than what is kept (--replay 20 events): a clear error.
// (In bursts smaller than --queue-depth: a burst larger than that is an
// overflow for every client.)
for (let k = 1; k <= 3; k++) {
	for (let i = 0; i < 10; i++) b.send(chain.next());
	await waitFor(() => of(all.msgs, 'newBlock').length >= 14 + 10 * k, 'more blocks');
}
const old = await open();
old.ws.send(JSON.stringify({ action: 'subscribe', channels: ['newBlocks'], since: 3 }));
await waitFor(() => of(old.msgs, 'error').length, 'the since error');
const oe = of(old.msgs, 'error')[0].error;
assert(/cannot replay since 3: the oldest height kept is \d+/.test(oe), `since error: ${oe}`);
old.ws.send(JSON.stringify({ action: 'subscribe', channels: ['newBlocks'], since_seq: 1 }));
await waitFor(() => of(old.msgs, 'error').length > 1, 'the since_seq error');
const oe2 = of(old.msgs, 'error')[1].error;
assert(/cannot replay since seq 1: older than the events kept/.test(oe2), `since_seq error: ${oe2}`);

// /metrics says what happened.
const met = await (await fetch(`${b.http}/metrics`)).text();
assert(/broadcaster_messages_sent_total\{type="reorg"\} [1-9]/.test(met), 'metrics: reorg sent');
assert(/broadcaster_delivery_seconds_count [1-9]/.test(met), 'metrics: latency histogram');

// SIGTERM: every client gets a close frame, 1001.
const clients = [e, all, blocksOnly, filtered, s, old];
const st = await b.stop('SIGTERM');
await waitFor(() => clients.every((c) => c.ws.closeInfo), 'every client closed');
for (const c of clients)
	assert(c.ws.closeInfo.code === 1001, `close code ${JSON.stringify(c.ws.closeInfo)}`);
assert(st.code === 0, `exit ${JSON.stringify(st)}`);
console.log(`ok: channel protocol (${all.msgs.length} messages on the full client)`);
process.exit(0);
