// The live page in headless Chromium: it connects, and shows a block fed
// after the page loaded (its hash in full behind the short one), and a
// reorg. tests/node/bc_dashboard.mjs tests the rest on a real pipeline.
import { startBroadcaster, FakeChain, assert, waitFor } from './lib.mjs';
import { openPage } from './chromium.mjs';

const b = await startBroadcaster([], { log: process.env.BC_LOG });
const chain = new FakeChain();
b.send(chain.heartbeat());
b.send(chain.next());
const page = await openPage(`${b.http}/`);
const { evaluate } = page;

await waitFor(async () => /^connected/.test(await evaluate("document.getElementById('status').textContent") || ''),
	'the page to connect', 30000);
// Fed after the page loaded and subscribed.
const m = chain.next();
b.send(m);
const row = await waitFor(() => evaluate(
	`(function () { var r = document.querySelector('tr.block[data-height="${m.number}"]'); return r && r.getAttribute('data-hash') + ' ' + r.querySelector('.h').title; })()`),
	`block ${m.number} on the page`, 30000);
assert(row.includes(m.hash), `the row shows ${row}`);
const r = chain.reorg(1);
for (const x of r.msgs) b.send(x);
await waitFor(() => evaluate("document.querySelectorAll('#reorgs tr.reorg').length"), 'the reorg on the page', 30000);
const nb = r.newBlocks[0];
await waitFor(() => evaluate(`document.querySelector('tr.block[data-hash="${nb.hash}"]') !== null`),
	'the new branch on the page', 30000);
assert(page.errors.length === 0, `no script error: ${page.errors.join('; ')}`);
await page.close();
await b.stop();
console.log(`ok: the live page in headless Chromium shows block ${m.number} and the reorg`);
process.exit(0);
