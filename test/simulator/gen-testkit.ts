/** Helpers for tests of the generative side: polling runs, receiving callbacks, downloading. */
import { createHash } from 'node:crypto';
import {
	createServer,
	request as httpRequest,
	type IncomingHttpHeaders,
	type IncomingMessage,
	type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from './testkit';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls a run until it ends (or `maxPolls`), returning every answer in order. Compare states
 * by order, never by time.
 */
export async function pollRun(
	api: Client,
	path: string,
	{ everyMs = 25, maxPolls = 400 } = {},
	// eslint-disable-next-line @typescript-eslint/no-explicit-any
): Promise<any[]> {
	// eslint-disable-next-line @typescript-eslint/no-explicit-any
	const seen: any[] = [];
	for (let i = 0; i < maxPolls; i++) {
		const r = await api.get(path);
		if (r.status !== 200) throw new Error(`GET ${path}: ${r.status} ${r.text}`);
		seen.push(r.json);
		if (r.json.status === 'completed' || r.json.status === 'failed') return seen;
		await sleep(everyMs);
	}
	return seen;
}

/** Distinct consecutive statuses: ['pending', 'running', 'completed']. */
export function statusOrder(answers: Array<{ status: string }>): string[] {
	return answers.map((a) => a.status).filter((s, i, all) => i === 0 || all[i - 1] !== s);
}

export interface Received {
	headers: IncomingHttpHeaders;
	body: string;
	answered: number;
}

/** A loopback HTTP server that records callbacks and answers with `answer(n)` (n from 0). */
export async function startReceiver(answer: (n: number) => number = () => 200) {
	const received: Received[] = [];
	const server = createServer((req: IncomingMessage, res: ServerResponse) => {
		const parts: Buffer[] = [];
		req.on('data', (c: Buffer) => parts.push(c));
		req.on('end', () => {
			const status = answer(received.length);
			received.push({
				headers: req.headers,
				body: Buffer.concat(parts).toString('utf8'),
				answered: status,
			});
			res.writeHead(status, { 'content-type': 'text/plain' });
			res.end('ok');
		});
	});
	await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
	const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/flora/callback`;
	return {
		url,
		received,
		close: () =>
			new Promise<void>((r) => {
				server.close(() => r());
				server.closeAllConnections();
			}),
	};
}

/** Waits until `check()` is true, polling; throws after `tries`. */
export async function until(check: () => boolean, tries = 400, everyMs = 25): Promise<void> {
	for (let i = 0; i < tries; i++) {
		if (check()) return;
		await sleep(everyMs);
	}
	throw new Error('condition not met');
}

export interface Download {
	status: number;
	headers: IncomingHttpHeaders;
	size: number;
	sha256: string;
	/** First bytes of the body. */
	head: Buffer;
	/** Set when the connection broke before the body ended. */
	error?: string;
}

/** Streams a URL, hashing the body without holding it. */
export function download(
	url: string,
	o: { method?: string; headers?: Record<string, string> } = {},
): Promise<Download> {
	return new Promise((resolve, reject) => {
		const r = httpRequest(
			url,
			{ method: o.method ?? 'GET', headers: o.headers, agent: false },
			(res) => {
				const hash = createHash('sha256');
				let size = 0;
				let head = Buffer.alloc(0);
				let settled = false;
				const done = (error?: string) => {
					if (settled) return;
					settled = true;
					resolve({
						status: res.statusCode ?? 0,
						headers: res.headers,
						size,
						sha256: hash.digest('hex'),
						head,
						...(error ? { error } : {}),
					});
				};
				res.on('data', (c: Buffer) => {
					if (head.length < 64) head = Buffer.concat([head, c.subarray(0, 64 - head.length)]);
					size += c.length;
					hash.update(c);
				});
				res.on('end', () => done());
				res.on('aborted', () => done('aborted'));
				res.on('error', (e) => done(e.message));
			},
		);
		r.on('error', reject);
		r.end();
	});
}
