import {
	bytes,
	signedCreateParams,
	imageItem,
	pairedIndexes,
	requestsTo,
	runFlora,
	sha256,
	simulatorForFile,
} from '../harness/flora';

const sim = simulatorForFile();

const COMPLETE = /^\/assets\/[^/]+\/complete$/;
const ONE_ASSET = /^\/assets\/asset_[^/]+$/;

describe('A 50-item batch under mixed faults', () => {
	it('ends with 50 ready assets, no duplicate, in input order and paired', async () => {
		const files = Array.from({ length: 50 }, (_, i) => bytes(2_000 + i * 37, i + 1));
		const items = files.map((file, i) =>
			imageItem(file, `frame-${String(i).padStart(2, '0')}.png`),
		);
		const faults = [
			{
				target: 'api',
				method: 'POST',
				path: '/assets',
				kind: 'status',
				status: 429,
				retryAfter: '1',
				times: 2,
				skip: 3,
			},
			{ target: 'api', method: 'POST', path: '/assets', kind: 'lostResponse', times: 2, skip: 10 },
			{
				target: 'api',
				method: 'POST',
				path: COMPLETE,
				kind: 'status',
				status: 500,
				times: 2,
				skip: 5,
			},
			{ target: 'api', method: 'POST', path: COMPLETE, kind: 'lostResponse', times: 1, skip: 20 },
			{ target: 'api', method: 'GET', path: ONE_ASSET, kind: 'status', status: 503, times: 2 },
			{ target: 'upload', kind: 'reset', afterBytes: 500, times: 2, skip: 7 },
			{
				target: 'upload',
				kind: 'status',
				status: 500,
				message: 'Internal error',
				times: 1,
				skip: 30,
			},
			{ target: 'api', kind: 'expireForm', times: 2, skip: 15 },
		] as const;
		for (const fault of faults) sim.inject({ ...fault } as never);

		const result = await runFlora(sim, {
			parameters: signedCreateParams({ options: { concurrency: 4 } }),
			items,
		});
		expect(result.error).toBeUndefined();

		// Every fault was met (nothing left in the queue means each one fired).
		const faulted = sim.record.requests.filter((r) => r.fault);
		expect(faulted.length).toBe(
			faults.reduce((n, f) => n + f.times, 0) - 2 /* expireForm marks forms, not requests */,
		);

		const assets = sim.assets();
		expect(assets).toHaveLength(50);
		expect(sim.assets({ status: 'ready' })).toHaveLength(50);
		expect(sim.record.creates).toBe(50);
		// Each file arrived exactly once, complete, in its own asset.
		const okUploads = sim.record.uploads.filter((u) => u.ok);
		expect(okUploads).toHaveLength(50);
		expect(new Set(okUploads.map((u) => u.assetId)).size).toBe(50);
		expect(okUploads.map((u) => u.sha256).sort()).toEqual(files.map((f) => sha256(f)).sort());
		expect(sim.record.violations.filter((v) => v.kind !== 'expired-form')).toEqual([]);

		expect(result.items).toHaveLength(50);
		expect(pairedIndexes(result.items)).toEqual(files.map((_, i) => i));
		result.items.forEach((item, i) => {
			expect(item.json).toMatchObject({
				status: 'ready',
				name: `frame-${String(i).padStart(2, '0')}.png`,
			});
		});
		const byId = new Map(assets.map((a) => [a.asset_id, a]));
		result.items.forEach((item, i) => {
			expect(byId.get(String(item.json.asset_id))?.sha256).toBe(sha256(files[i]));
		});
	}, 60_000);
});

describe('Retries', () => {
	it('honours Retry-After on a 429 and pauses every item in flight, not just one', async () => {
		sim.inject({
			target: 'api',
			method: 'POST',
			path: '/assets',
			kind: 'status',
			status: 429,
			retryAfter: '2',
			skip: 1,
		});
		const result = await runFlora(sim, {
			parameters: signedCreateParams({ options: { concurrency: 3 } }),
			items: [1, 2, 3, 4].map((i) => imageItem(bytes(1000, i), `f${i}.png`)),
		});
		expect(result.error).toBeUndefined();
		const limited = sim.record.requests.find((r) => r.status === 429)!;
		const startedDuringPause = sim.record.requests.filter(
			(r) =>
				r.origin === 'api' &&
				r.startedAt > limited.endedAt! + 50 &&
				r.startedAt < limited.endedAt! + 1900,
		);
		expect(startedDuringPause).toEqual([]);
		expect(sim.assets({ status: 'ready' })).toHaveLength(4);
	}, 20_000);

	it('retries 503 and resets with the same Idempotency-Key', async () => {
		sim.inject({ target: 'api', method: 'POST', path: '/assets', kind: 'status', status: 503 });
		sim.inject({ target: 'api', method: 'POST', path: '/assets', kind: 'reset' });
		const result = await runFlora(sim, {
			parameters: signedCreateParams(),
			items: [imageItem(bytes(100))],
		});
		expect(result.error).toBeUndefined();
		const creates = requestsTo(sim, 'api', /^\/assets$/).filter((r) => r.method === 'POST');
		expect(creates.map((r) => r.status)).toEqual([503, 'reset', 201]);
		expect(new Set(creates.map((r) => r.idempotencyKey)).size).toBe(1);
		expect(creates[0].idempotencyKey).toMatch(/^n8n_[0-9a-f]{48}$/);
		expect(sim.assets()).toHaveLength(1);
	});

	it('does not retry other 4xx answers', async () => {
		sim.inject({
			target: 'api',
			method: 'POST',
			path: '/assets',
			kind: 'status',
			status: 402,
			code: 'insufficient_credits',
			message: 'Insufficient credits.',
		});
		const result = await runFlora(sim, {
			parameters: signedCreateParams(),
			items: [imageItem(bytes(100))],
		});
		expect(result.error?.message).toBe('FLORA: Insufficient credits.');
		expect(requestsTo(sim, 'api')).toHaveLength(1);
	});

	it('gives every mutating call an Idempotency-Key and no two items the same one', async () => {
		await runFlora(sim, {
			parameters: signedCreateParams(),
			items: [imageItem(bytes(10, 1), 'a.png'), imageItem(bytes(10, 2), 'b.png')],
		});
		const mutations = requestsTo(sim, 'api').filter((r) => r.method === 'POST');
		expect(mutations).toHaveLength(4);
		expect(mutations.every((r) => r.idempotencyKey)).toBe(true);
		expect(new Set(mutations.map((r) => r.idempotencyKey)).size).toBe(4);
	});

	it('derives the create key from the Idempotency Key option, the same in every execution', async () => {
		const run = async () => {
			sim.reset();
			await runFlora(sim, {
				parameters: signedCreateParams({
					options: { idempotencyKey: '={{ "upload-" + $json.name }}' },
				}),
				items: [imageItem(bytes(10, 1), 'a.png')],
				nodeSettings: { id: 'node-user-key' },
				workflowId: 'wf-user-key',
				executionId: `exec-${Math.random()}`,
			});
			return requestsTo(sim, 'api', /^\/assets$/)[0].idempotencyKey;
		};
		const first = await run();
		expect(first).toMatch(/^n8n_[0-9a-f]{48}$/);
		expect(await run()).toBe(first);
	});
});

describe('Lost answers and 409 idempotency_duplicate', () => {
	it('recovers the asset after the create answer was lost', async () => {
		sim.inject({ target: 'api', method: 'POST', path: '/assets', kind: 'lostResponse' });
		const file = bytes(5000, 9);
		const result = await runFlora(sim, {
			parameters: signedCreateParams(),
			items: [imageItem(file, 'lost.png')],
		});
		expect(result.error).toBeUndefined();
		expect(sim.assets()).toHaveLength(1);
		expect(sim.record.duplicatesPrevented).toBe(1);
		expect(sim.assets()[0]).toMatchObject({ status: 'ready', sha256: sha256(file) });
		expect(result.items[0].json.asset_id).toBe(sim.assets()[0].asset_id);
	});

	it('fails clearly, creating nothing new, when the earlier asset cannot be identified', async () => {
		// Two pending assets with the same name: recovery would be a guess.
		sim.seedAssets(1, {
			name: 'twin.png',
			status: 'pending_upload',
			uploaded_via: 'signed_url',
			workspace_id: 'ws_demo',
		});
		sim.inject({ target: 'api', method: 'POST', path: '/assets', kind: 'lostResponse' });
		const result = await runFlora(sim, {
			parameters: signedCreateParams(),
			items: [imageItem(bytes(100), 'twin.png')],
		});
		expect(result.error?.message).toBe(
			'FLORA already accepted this create request, but the asset it made could not be identified',
		);
		expect((result.error as { description?: string }).description).toMatch(
			/idempotency_duplicate.*twin\.png/s,
		);
		expect(sim.assets()).toHaveLength(2);
		expect(requestsTo(sim, 'upload')).toHaveLength(0);
	});

	it("under n8n's Retry On Fail, a rerun picks up the assets the first run made", async () => {
		// The third item's complete fails with a non-retryable 400 once: the node
		// fails, n8n runs it again, and items 1 and 2 must not be created twice.
		sim.inject({
			target: 'api',
			method: 'POST',
			path: COMPLETE,
			kind: 'status',
			status: 400,
			code: 'input_validation_error',
			message: 'Upload not verified yet.',
			skip: 2,
		});
		const files = [1, 2, 3].map((i) => bytes(3000, i));
		const result = await runFlora(sim, {
			parameters: signedCreateParams({ options: { concurrency: 1 } }),
			items: files.map((f, i) => imageItem(f, `r${i}.png`)),
			nodeSettings: { retryOnFail: true, maxTries: 2, waitBetweenTries: 1 },
		});
		expect(result.error).toBeUndefined();
		expect(sim.assets()).toHaveLength(3);
		expect(sim.assets({ status: 'ready' })).toHaveLength(3);
		expect(sim.record.duplicatesPrevented).toBe(3);
		expect(result.items.map((i) => i.json.name)).toEqual(['r0.png', 'r1.png', 'r2.png']);
		expect(
			result.items.map((i) => sim.assets().find((a) => a.asset_id === i.json.asset_id)?.sha256),
		).toEqual(files.map((f) => sha256(f)));
	});
});

describe('Uploads that fail or expire', () => {
	it('never reuses a form: a reset upload gets a fresh form from /retry and the bytes again', async () => {
		sim.inject({ target: 'upload', kind: 'reset', afterBytes: 2000 });
		const file = bytes(100_000, 4);
		const result = await runFlora(sim, {
			parameters: signedCreateParams(),
			items: [imageItem(file)],
		});
		expect(result.error).toBeUndefined();
		expect(requestsTo(sim, 'api', /\/retry$/)).toHaveLength(1);
		const tokens = sim.record.uploads.map((u) => u.token);
		expect(new Set(tokens).size).toBe(tokens.length);
		expect(sim.record.violations.filter((v) => v.kind === 'token-reused')).toEqual([]);
		expect(sim.record.uploads.filter((u) => u.ok)).toEqual([
			expect.objectContaining({ size: file.length, sha256: sha256(file) }),
		]);
	});

	it("renews an expired form before uploading, and reports the host's error when it keeps failing", async () => {
		sim.inject({ target: 'api', kind: 'expireForm' });
		await runFlora(sim, { parameters: signedCreateParams(), items: [imageItem(bytes(100))] });
		// The expired form was never sent to the host.
		expect(sim.record.violations.filter((v) => v.kind === 'expired-form')).toEqual([]);
		expect(requestsTo(sim, 'api', /\/retry$/)).toHaveLength(1);
		expect(sim.assets({ status: 'ready' })).toHaveLength(1);

		sim.reset();
		sim.inject({
			target: 'upload',
			kind: 'status',
			status: 503,
			message: 'Service unavailable.',
			times: 3,
		});
		const result = await runFlora(sim, {
			parameters: signedCreateParams(),
			items: [imageItem(bytes(100))],
		});
		const assetId = sim.assets()[0].asset_id;
		expect(result.error?.message).toBe(`The upload of asset ${assetId} failed 3 times`);
		expect((result.error as { description?: string }).description).toContain(
			'answered 503: Service unavailable.',
		);
		expect(sim.assets()).toHaveLength(1);
	});
});

describe('Secrets', () => {
	it('never puts the API key into an error, even when FLORA echoes the Authorization header', async () => {
		sim.inject({ target: 'api', method: 'POST', path: '/assets', kind: 'echoAuth', status: 400 });
		const failed = await runFlora(sim, {
			parameters: signedCreateParams(),
			items: [imageItem(bytes(10))],
		});
		expect(failed.error).toBeDefined();
		const thrown = JSON.stringify({
			message: failed.error?.message,
			description: (failed.error as { description?: string }).description,
			error: failed.error,
			run: failed.run.data.resultData,
		});
		expect(thrown).not.toContain(sim.apiKey);

		sim.reset();
		sim.inject({ target: 'api', method: 'POST', path: '/assets', kind: 'echoAuth', status: 400 });
		const continued = await runFlora(sim, {
			parameters: signedCreateParams(),
			items: [imageItem(bytes(10))],
			nodeSettings: { onError: 'continueRegularOutput' },
		});
		const output = JSON.stringify(continued.items);
		expect(output).toContain('[redacted]');
		expect(output).not.toContain(sim.apiKey);
		expect(output).not.toMatch(/authorization/i);
	});
});

describe('Redirects from the API', () => {
	it('are not followed, so the key never reaches another origin', async () => {
		sim.inject({ target: 'api', method: 'POST', path: '/assets', kind: 'redirect', status: 307 });
		const result = await runFlora(sim, {
			parameters: signedCreateParams(),
			items: [imageItem(bytes(10))],
		});
		expect(result.error?.message).toMatch(
			/^FLORA: FLORA answered a redirect to http:\/\/127\.0\.0\.1:\d+\/api\/v1\/assets, which is not followed/,
		);
		expect(requestsTo(sim, 'redirect')).toEqual([]);
		expect(sim.assets()).toHaveLength(0);
	});
});

describe('Cancellation', () => {
	it('ends a long Retry-After wait promptly when the execution is cancelled', async () => {
		sim.inject({
			target: 'api',
			method: 'POST',
			path: '/assets',
			kind: 'status',
			status: 429,
			retryAfter: '30',
		});
		const result = await runFlora(sim, {
			parameters: signedCreateParams(),
			items: [imageItem(bytes(10))],
			abortAfterMs: 300,
		});
		// Cancelled first, ended after (within the harness's grace), and the 30 s wait never ended
		// in a second attempt.
		expect(result.cancelled).toBe(true);
		expect(requestsTo(sim, 'api', /^\/assets$/)).toHaveLength(1);
		expect(sim.assets()).toHaveLength(0);
	});
});
