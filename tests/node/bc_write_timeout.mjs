// A client that never reads is closed after --write-timeout even at an
// ordinary block rate, while its queue is far from full and the kernel's
// buffers still take every frame: one block a second, small blocks, a
// 3 s write timeout. The reading clients get every block and stay; then,
// at ten blocks a second, their probes ride in front of block frames (one
// send for both) and the clients see every ping the server counts.
import { startBroadcaster, FakeChain, openSubscribed, assert, waitFor, sleep } from './lib.mjs';

const WT = 3000;
const b = await startBroadcaster(['--write-timeout', `${WT / 1000}s`], { log: process.env.BC_LOG });
const chain = new FakeChain({ txs: 2, logs: 1 });
b.send(chain.heartbeat());

const open = (path, sub) => openSubscribed(b, path, sub);
const metric = async (re) => {
	const m = (await (await fetch(`${b.http}/metrics`)).text()).match(re);
	return m ? Number(m[1]) : NaN;
};
const wto = () => metric(/broadcaster_disconnects_total\{reason="write_timeout"\} (\d+)/);

const good = await open('/v1/stream', { action: 'subscribe', channels: ['newBlocks', 'newTxs', 'newLogs'] });
const eth = await open('/v1/eth', { jsonrpc: '2.0', id: 1, method: 'eth_subscribe', params: ['newHeads'] });
const pings = { good: 0, eth: 0 };
good.ws.on('ping', () => pings.good++);
eth.ws.on('ping', () => pings.eth++);
const lazy = await open('/v1/stream', { action: 'subscribe', channels: ['newBlocks', 'newTxs', 'newLogs'] });
await waitFor(() => good.msgs.length && eth.msgs.length && lazy.msgs.length, 'the subscriptions');
const pingsSent = async () => ({
	alone: await metric(/broadcaster_pings_total\{sent="alone"\} (\d+)/),
	withFrame: await metric(/broadcaster_pings_total\{sent="with_frame"\} (\d+)/),
});
const subscribedAt = Date.now();
lazy.ws._socket.pause(); // never reads again

let sent = 0, closedAt = 0;
const feed = setInterval(() => { b.send(chain.next()); sent++; }, 1000);
await waitFor(async () => {
	if ((await wto()) >= 1) closedAt = Date.now();
	return closedAt;
}, 'the client that never reads to be closed', 20000);
const after = closedAt - subscribedAt;
console.log(`never-reader closed ${after} ms after its last read, ${sent} blocks (1/s) sent meanwhile`);
// subscribedAt comes after the client's last read (by the poll above,
// up to a few hundred ms on a loaded machine): "after" may fall short of
// the timeout by that much (2991 ms was seen), never by a second
assert(after >= WT - 500, `closed before the write timeout (${after} ms)`);
assert(after < WT + 3000, `closed ${after} ms after its last read, write timeout ${WT} ms`);
assert(sent < 32, `${sent} blocks: the queue (256) was not what closed it`);
assert(await metric(/broadcaster_disconnects_total\{reason="overflow"\} (\d+)/) === 0, 'closed by overflow, not the write timeout');
assert(b.lines.some((l) => l.msg === 'client has not read for the write timeout: closing'), 'no log line for the close');
// Its connection is gone (the close frame cannot be written: dropped).
await waitFor(async () => (await metric(/broadcaster_connections (\d+)/)) === 2, 'the connection to be dropped', 10000);

// The readers, pinged for proof meanwhile, stay and have every block.
// At ten blocks a second a block is written inside every probe's last
// sixteenth of the timeout before it falls due (187 ms), so the probes
// ride in front of frames; one sent alone needs the feed to stall.
clearInterval(feed);
const before = await pingsSent();
const fast = setInterval(() => { b.send(chain.next()); sent++; }, 100);
await sleep(2 * WT);
clearInterval(fast);
const during = await pingsSent();
const rode = during.withFrame - before.withFrame, alone = during.alone - before.alone;
console.log(`readers' probes at 10 blocks/s: ${rode} in front of a frame, ${alone} alone`);
assert(rode >= 4 && rode > 2 * alone, `probes at 10 blocks/s: ${rode} in front of a frame, ${alone} alone`);
const last = chain.tip().n;
await waitFor(() => good.msgs.some((m) => m.type === 'newBlock' && m.data.height === last) &&
	eth.msgs.some((m) => m.params && Number(m.params.result.number) === last), 'the readers to get the last block');
const heads = eth.msgs.filter((m) => m.params).length;
const blocks = good.msgs.filter((m) => m.type === 'newBlock').length;
assert(heads === sent && blocks === sent, `readers: ${heads} heads, ${blocks} blocks of ${sent}`);
assert(!good.close && !eth.close, `a reader was closed: ${good.close} ${eth.close}`);
assert(await wto() === 1, 'a reader was closed by the write timeout');
// Every ping the server counts reached a client as a ping: the readers'
// and the one probe of the never-reader (no pong, so no second one).
await sleep(WT / 2); // the probes of the readers' last blocks
let all;
for (const end = Date.now() + 5000; ; await sleep(50)) {
	all = await pingsSent();
	if (pings.good + pings.eth + 1 === all.alone + all.withFrame) break;
	assert(Date.now() < end, `pings: the clients saw ${pings.good} + ${pings.eth} ` +
		`(+1 to the never-reader), the server counts ${JSON.stringify(all)}`);
}

good.ws.close();
eth.ws.close();
lazy.ws.terminate();
const st = await b.stop();
assert(st.code === 0, `exit ${JSON.stringify(st)}`);
console.log('ok: write timeout');
process.exit(0);
