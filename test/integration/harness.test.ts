import { createHash } from 'node:crypto';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';

import { NodeApiError } from 'n8n-workflow';

import { sha256 as sha256Of } from '../shared/flora';
import { readBinary, runNode, testCredential } from './harness';
import { PROBE_TYPE } from './harness/probe.node';

const GOOD_KEY = 'sk_live_harness_good';

interface SeenRequest {
	method?: string;
	url?: string;
	authorization?: string;
}

let server: Server;
let baseUrl: string;
const seen: SeenRequest[] = [];
const hanging = new Set<ServerResponse>();

function handle(req: IncomingMessage, res: ServerResponse): void {
	seen.push({ method: req.method, url: req.url, authorization: req.headers.authorization });
	if (req.url === '/api/v1/hang') {
		// Never answers: only a cancelled request ends this one.
		hanging.add(res);
		res.on('close', () => hanging.delete(res));
		return;
	}
	if (req.headers.authorization !== `Bearer ${GOOD_KEY}`) {
		res.writeHead(401, { 'content-type': 'application/json' });
		res.end(JSON.stringify({ error: { code: 'unauthorized', message: 'Invalid API key' } }));
		return;
	}
	res.writeHead(200, { 'content-type': 'application/json' });
	res.end(JSON.stringify({ data: [{ workspace_id: 'ws_harness', name: 'Harness' }] }));
}

beforeAll(async () => {
	server = createServer(handle);
	server.listen(0, '127.0.0.1');
	await once(server, 'listening');
	baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
});

afterAll(async () => {
	for (const res of hanging) res.destroy();
	server.closeAllConnections();
	await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
	seen.length = 0;
});

async function waitFor(condition: () => boolean, timeoutMs = 2000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!condition()) {
		if (Date.now() > deadline) throw new Error('Condition not met in time');
		await new Promise((resolve) => setTimeout(resolve, 10));
	}
}

const floraCredentials = (apiKey = GOOD_KEY) => ({ floraApi: { apiKey, baseUrl } });

describe('runNode', () => {
	it('runs the workflow and sends the credential as a bearer token over a real socket', async () => {
		const result = await runNode({
			nodeType: PROBE_TYPE,
			parameters: { action: 'request', path: '/workspaces' },
			items: [{ json: { n: 1 } }],
			credentials: floraCredentials(),
		});

		expect(result.error).toBeUndefined();
		expect(result.run.status).toBe('success');
		expect(result.run.finished).toBe(true);
		expect(Object.keys(result.run.data.resultData.runData)).toEqual(['Fixture Source', 'Probe']);
		expect(result.items).toHaveLength(1);
		expect(result.items[0].json).toEqual({
			data: [{ workspace_id: 'ws_harness', name: 'Harness' }],
		});
		expect(result.items[0].pairedItem).toEqual({ item: 0 });
		expect(seen).toEqual([
			{ method: 'GET', url: '/api/v1/workspaces', authorization: `Bearer ${GOOD_KEY}` },
		]);
	});

	it('fails the execution with the NodeApiError the node threw', async () => {
		const result = await runNode({
			nodeType: PROBE_TYPE,
			parameters: { action: 'request' },
			items: [{ json: {} }],
			credentials: floraCredentials('sk_live_wrong'),
		});

		expect(result.run.status).toBe('error');
		expect(result.error).toBeInstanceOf(NodeApiError);
		expect((result.error as NodeApiError).httpCode).toBe('401');
		expect(result.error?.message).toMatch(/Authorization failed/);
		expect(result.items).toEqual([]);
		// n8n-core re-sends a request once after a 401 (its token-refresh path), even for API keys.
		expect(seen).toHaveLength(2);
	});

	it('passes node settings through (onError: continueRegularOutput)', async () => {
		const result = await runNode({
			nodeType: PROBE_TYPE,
			parameters: { action: 'request' },
			items: [{ json: {} }, { json: {} }],
			credentials: floraCredentials('sk_live_wrong'),
			nodeSettings: { onError: 'continueRegularOutput' },
		});

		expect(result.run.status).toBe('success');
		expect(result.error).toBeUndefined();
		expect(result.items.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
		expect(result.items[0].json.error).toMatch(/Authorization failed/);
	});

	it('passes node settings through (retryOnFail reruns the whole node)', async () => {
		const result = await runNode({
			nodeType: PROBE_TYPE,
			parameters: { action: 'request' },
			items: [{ json: {} }],
			credentials: floraCredentials('sk_live_wrong'),
			// n8n reads waitBetweenTries 0 as "unset" and waits 1000 ms; 1 keeps the test fast.
			nodeSettings: { retryOnFail: true, maxTries: 3, waitBetweenTries: 1 },
		});

		expect(result.error).toBeInstanceOf(NodeApiError);
		expect(seen).toHaveLength(3 * 2);
	});
});

describe('binary data', () => {
	const content = Buffer.from('%PDF-1.4 harness bytes\n');
	const sha256 = sha256Of(content);

	it('keeps binary inline in default mode (no id)', async () => {
		const result = await runNode({
			nodeType: PROBE_TYPE,
			parameters: { action: 'readBinary' },
			items: [
				{ binary: { data: { data: content, fileName: 'doc.pdf', mimeType: 'application/pdf' } } },
			],
		});

		expect(result.error).toBeUndefined();
		const binary = result.items[0].binary!.data;
		expect(binary.id).toBeUndefined();
		expect(binary).toMatchObject({
			fileName: 'doc.pdf',
			mimeType: 'application/pdf',
			bytes: content.length,
		});
		expect(result.items[0].json).toEqual({ streamed: false, bytes: content.length, sha256 });
		expect(await readBinary(result.items[0])).toEqual(content);
	});

	it('stores binary on disk in filesystem mode and streams it back by id', async () => {
		const result = await runNode({
			nodeType: PROBE_TYPE,
			parameters: { action: 'readBinary' },
			items: [
				{ binary: { data: { data: content, fileName: 'doc.pdf', mimeType: 'application/pdf' } } },
			],
			binaryMode: 'filesystem',
			executionId: 'exec-fs-1',
		});

		expect(result.error).toBeUndefined();
		const binary = result.items[0].binary!.data;
		expect(binary.id).toMatch(/^filesystem/);
		expect(binary.id).toContain('/executions/exec-fs-1/');
		expect(result.items[0].json).toMatchObject({
			streamed: true,
			id: binary.id,
			fileSize: content.length,
			bytes: content.length,
			sha256,
		});
		expect(await readBinary(result.items[0])).toEqual(content);
	});

	it('streams a 64 MiB file from disk into filesystem storage', async () => {
		const dir = mkdtempSync(join(tmpdir(), 'flora-harness-big-'));
		try {
			const size = 64 * 1024 * 1024;
			const path = join(dir, 'big.mp4');
			const chunk = Buffer.alloc(1024 * 1024);
			const hash = createHash('sha256');
			const out = createWriteStream(path);
			for (let i = 0; i < size / chunk.length; i++) {
				chunk.fill(i % 251);
				hash.update(chunk);
				if (!out.write(chunk)) await once(out, 'drain');
			}
			out.end();
			await once(out, 'finish');

			global.gc?.();
			const rssBefore = process.memoryUsage().rss;
			const result = await runNode({
				nodeType: PROBE_TYPE,
				parameters: { action: 'readBinary' },
				items: [{ binary: { data: { path, mimeType: 'video/mp4' } } }],
				binaryMode: 'filesystem',
			});
			const rssGrowthMiB = (process.memoryUsage().rss - rssBefore) / 1024 / 1024;
			console.log(
				`64 MiB fixture in filesystem mode: RSS grew ${rssGrowthMiB.toFixed(1)} MiB, run took ${result.durationMs} ms`,
			);

			expect(result.error).toBeUndefined();
			// Buffered (default mode) the same file grows RSS by ~250 MiB; streamed, growth stays flat
			// (a one-off ~26 MiB of allocator pools, unchanged for 256 MiB files).
			expect(rssGrowthMiB).toBeLessThan(64);
			expect(result.items[0].binary!.data).toMatchObject({ fileName: 'big.mp4', bytes: size });
			expect(result.items[0].json).toMatchObject({
				streamed: true,
				bytes: size,
				sha256: hash.digest('hex'),
			});
		} finally {
			rmSync(dir, { recursive: true, force: true });
		}
	});
});

describe('testCredential', () => {
	it('reports OK when the test request succeeds', async () => {
		await expect(testCredential('floraApi', { apiKey: GOOD_KEY, baseUrl })).resolves.toEqual({
			status: 'OK',
			message: 'Connection successful!',
		});
		expect(seen).toEqual([
			{ method: 'GET', url: '/api/v1/workspaces', authorization: `Bearer ${GOOD_KEY}` },
		]);
	});

	it('resolves the baseURL expression (trailing slash trimmed)', async () => {
		await expect(
			testCredential('floraApi', { apiKey: GOOD_KEY, baseUrl: `${baseUrl}/` }),
		).resolves.toMatchObject({
			status: 'OK',
		});
		expect(seen[0].url).toBe('/api/v1/workspaces');
	});

	it('reports the message n8n shows for a 401', async () => {
		await expect(testCredential('floraApi', { apiKey: 'sk_live_wrong', baseUrl })).resolves.toEqual(
			{
				status: 'Error',
				message: 'Unauthorized',
			},
		);
	});

	it('reports the error code when nothing listens', async () => {
		await expect(
			testCredential('floraApi', { apiKey: GOOD_KEY, baseUrl: 'http://127.0.0.1:1/api/v1' }),
		).resolves.toEqual({ status: 'Error', message: 'ECONNREFUSED' });
	});
});

describe('cancellation', () => {
	it('aborts an in-flight request when the execution is cancelled', async () => {
		const result = await runNode({
			nodeType: PROBE_TYPE,
			parameters: { action: 'request', path: '/hang' },
			items: [{ json: {} }],
			credentials: floraCredentials(),
			abortAfterMs: 200,
		});

		// Cancelled first, then ended: within the harness's grace, or runNode would have thrown.
		expect(result.cancelled).toBe(true);
		expect(result.run.status).toBe('canceled');
		// The server sees the socket close once the client has torn the request down.
		await waitFor(() => hanging.size === 0);
	});

	it('fires the execution cancel signal a node waits on', async () => {
		const result = await runNode({
			nodeType: PROBE_TYPE,
			parameters: { action: 'waitForCancel' },
			items: [{ json: {} }],
			abortAfterMs: 200,
		});

		// Cancelled first, then ended: within the harness's grace, or runNode would have thrown.
		expect(result.cancelled).toBe(true);
		expect(result.run.status).toBe('canceled');
	});
});
