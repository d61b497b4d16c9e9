// Ping and pong: a client that answers no ping is dropped after the pong
// timeout; one that answers stays. (Short intervals: the defaults are 30 s
// and 60 s.)
import WebSocket from 'ws';
import { startBroadcaster, assert, sleep } from './lib.mjs';

const b = await startBroadcaster(['--ping-interval', '1s', '--pong-timeout', '3s'], { log: process.env.BC_LOG });
const t0 = Date.now();
const silent = new WebSocket(b.url + '/v1/stream', { autoPong: false });
const normal = new WebSocket(b.url + '/v1/eth');
let pings = 0, npings = 0, closed = null, nclosed = null;
silent.on('ping', () => pings++);
normal.on('ping', () => npings++);
silent.on('close', (c) => { closed = [c, Date.now() - t0]; });
normal.on('close', (c) => { nclosed = [c, Date.now() - t0]; });
await sleep(6000);
assert(pings >= 1, 'the silent client was never pinged');
assert(closed && closed[1] < 5500, `the silent client was not dropped: ${JSON.stringify(closed)}`);
assert(npings >= 3 && !nclosed, `the answering client: ${npings} pings, closed ${JSON.stringify(nclosed)}`);
const st = await b.stop();
assert(st.code === 0, `exit ${JSON.stringify(st)}`);
console.log(`ok: ping/pong (silent client dropped after ${closed[1]} ms; the other pinged ${npings} times)`);
process.exit(0);
