import {
	bodyRecorder,
	bytes,
	imageItem,
	pairedIndexes,
	readBinaryOf,
	requestsTo,
	runFlora,
	sha256,
	simProject,
	techniqueParams,
	locator,
	simulatorForFile,
} from '../harness/flora';

jest.setTimeout(30_000);

const sim = simulatorForFile({ runDurationMs: 300 });

const PHOTO_URL = 'https://cdn.example.com/products/vase.png';
const runPosts = () =>
	requestsTo(sim, 'api', /^\/techniques\/[^/]+\/runs$/).filter((r) => r.method === 'POST');
const description = (error: unknown) => String((error as { description?: string }).description);

describe('Technique → Run', () => {
	it('runs with a URL input and downloads the three outputs in order', async () => {
		const recorder = await bodyRecorder(sim);
		try {
			const result = await runFlora(sim, {
				baseUrl: recorder.baseUrl,
				parameters: techniqueParams(
					'product-photo-variants',
					{ product_image: PHOTO_URL, style: '={{ $json.style }}' },
					{ project: locator(simProject()) },
				),
				items: [{ json: { style: 'warm studio light' } }],
			});
			expect(result.error).toBeUndefined();
			const [run] = sim.gen.runs();
			expect(sim.gen.runs()).toHaveLength(1);
			const post = recorder.seen.find((r) => r.method === 'POST')!;
			expect(post.path).toBe('/api/v1/techniques/tech_product_photo_variants/runs');
			expect(post.body).toEqual({
				workspace_id: 'ws_demo',
				project_id: simProject(),
				inputs: [
					{ id: 'product_image', type: 'imageUrl', value: PHOTO_URL },
					{ id: 'style', type: 'text', value: 'warm studio light' },
				],
				mode: 'async',
				idempotency_key: post.headers['idempotency-key'],
			});
			expect(run.body_idempotency_key).toBe(run.idempotency_key);

			const [item] = result.items;
			expect(item.json).toMatchObject({
				run_id: run.run_id,
				status: 'completed',
				charged_cost: 0.12,
				technique_id: 'tech_product_photo_variants',
			});
			expect(Object.keys(item.binary ?? {})).toEqual(['data', 'data_1', 'data_2']);
			for (const [i, property] of ['data', 'data_1', 'data_2'].entries()) {
				const file = await sim.gen.file(run.outputs[i].url);
				expect(sha256(await readBinaryOf(item, property))).toBe(file.sha256);
			}
			// Polled on the technique's own run path.
			expect(requestsTo(sim, 'api', /^\/techniques\/[^/]+\/runs\/run_/).length).toBeGreaterThan(0);
		} finally {
			await recorder.close();
		}
	});

	it.each(['default', 'filesystem'] as const)(
		'uploads a binary input as an asset first (%s binary mode) and passes its URL',
		async (binaryMode) => {
			const photo = bytes(40_000, 5);
			const recorder = await bodyRecorder(sim);
			try {
				const result = await runFlora(sim, {
					baseUrl: recorder.baseUrl,
					binaryMode,
					parameters: techniqueParams(
						'tech_product_photo_variants',
						{ product_image: 'data' },
						{ options: { downloadOutputs: false } },
					),
					items: [imageItem(photo, 'vase.png')],
				});
				expect(result.error).toBeUndefined();
				// The bytes reached FLORA once, intact, in one request (40 KB: the direct
				// form), and the asset is ready.
				const uploads = sim.record.uploads.filter((u) => u.ok);
				expect(uploads).toEqual([
					expect.objectContaining({ origin: 'api', sha256: sha256(photo) }),
				]);
				expect(requestsTo(sim, 'upload')).toEqual([]);
				const [asset] = sim.assets();
				expect(sim.assets()).toHaveLength(1);
				expect(asset).toMatchObject({ status: 'ready', name: 'vase.png', sha256: sha256(photo) });
				// The run was started after the asset was ready, with the asset's URL as the input.
				const start = recorder.seen.find((r) => /\/runs$/.test(r.path))!;
				expect((start.body as { inputs: unknown }).inputs).toEqual([
					{ id: 'product_image', type: 'imageUrl', value: asset.url },
				]);
				const order = recorder.seen.map((r) => `${r.method} ${r.path.replace(/\?.*/, '')}`);
				expect(order.slice(0, 3)).toEqual([
					'GET /api/v1/techniques/tech_product_photo_variants',
					'POST /api/v1/assets',
					'POST /api/v1/techniques/tech_product_photo_variants/runs',
				]);
				// Its own key scope: the asset's create key is not the run's.
				const assetKey = requestsTo(sim, 'api', /^\/assets$/)[0].idempotencyKey;
				expect(assetKey).not.toBe(runPosts()[0].idempotencyKey);
				expect(result.items[0].json).toMatchObject({
					input_assets: { product_image: asset.asset_id },
					status: 'completed',
				});
			} finally {
				await recorder.close();
			}
		},
	);

	it('a technique run that fails reports its code and a fix', async () => {
		sim.gen.injectRunFault({
			kind: 'fail',
			code: 'GENERATION_PROMPT_MODERATED',
			runType: 'technique',
		});
		const result = await runFlora(sim, {
			parameters: techniqueParams('caption-writer', { brief: 'A vase' }),
		});
		const [run] = sim.gen.runs();
		expect(result.error?.message).toBe(
			`FLORA run ${run.run_id} failed: GENERATION_PROMPT_MODERATED (The prompt was flagged by content moderation.)`,
		);
		expect(description(result.error)).toMatch(/Change the prompt or the input/);
	});

	it('keeps text outputs in the json', async () => {
		const result = await runFlora(sim, {
			parameters: techniqueParams('caption-writer', { brief: 'A vase', tone: 'dry' }),
		});
		expect(result.error).toBeUndefined();
		expect(result.items[0].json.outputs).toEqual([
			expect.objectContaining({ type: 'text', url: 'Caption from Caption Writer' }),
		]);
		expect(result.items[0].binary).toBeUndefined();
	});

	it('a lost answer to the run start continues with the run FLORA started: one run, one asset', async () => {
		sim.inject({ target: 'api', method: 'POST', path: /\/runs$/, kind: 'lostResponse' });
		const photo = bytes(5_000, 8);
		const result = await runFlora(sim, {
			parameters: techniqueParams('product-photo-variants', { product_image: 'data' }),
			items: [imageItem(photo, 'p.png')],
		});
		expect(result.error).toBeUndefined();
		expect(sim.gen.runs()).toHaveLength(1);
		expect(sim.assets()).toHaveLength(1);
		expect(runPosts().map((r) => r.status)).toEqual(['lost', 409]);
		expect(result.items[0].json.run_id).toBe(sim.gen.runs()[0].run_id);
	});

	it('uploads a binary input through the signed upload when FLORA refuses the direct form', async () => {
		sim.configure({ directRefusal: 415 });
		try {
			const photo = bytes(20_000, 6);
			const recorder = await bodyRecorder(sim);
			try {
				const result = await runFlora(sim, {
					baseUrl: recorder.baseUrl,
					parameters: techniqueParams(
						'tech_product_photo_variants',
						{ product_image: 'data' },
						{ options: { downloadOutputs: false } },
					),
					items: [imageItem(photo, 'vase.png')],
				});
				expect(result.error).toBeUndefined();
				const [asset] = sim.assets();
				expect(sim.assets()).toHaveLength(1);
				expect(asset).toMatchObject({ uploaded_via: 'signed_url', sha256: sha256(photo) });
				expect(requestsTo(sim, 'upload')).toHaveLength(1);
				const order = recorder.seen.map((r) => `${r.method} ${r.path.replace(/\?.*/, '')}`);
				expect(order.slice(0, 5)).toEqual([
					'GET /api/v1/techniques/tech_product_photo_variants',
					'POST /api/v1/assets',
					'POST /api/v1/assets',
					`POST /api/v1/assets/${asset.asset_id}/complete`,
					'POST /api/v1/techniques/tech_product_photo_variants/runs',
				]);
				expect(result.items[0].json.status).toBe('completed');
			} finally {
				await recorder.close();
			}
		} finally {
			sim.configure({ directRefusal: null });
		}
	});

	it('under Retry On Fail, the rerun reuses the uploaded asset and the started run', async () => {
		sim.inject({
			target: 'api',
			method: 'GET',
			path: /^\/techniques\/[^/]+\/runs\/run_/,
			kind: 'status',
			status: 400,
			code: 'input_validation_error',
			message: 'Try later.',
		});
		const result = await runFlora(sim, {
			parameters: techniqueParams(
				'product-photo-variants',
				{ product_image: 'data' },
				{ options: { downloadOutputs: false } },
			),
			items: [imageItem(bytes(3_000, 2), 'p.png')],
			nodeSettings: { retryOnFail: true, maxTries: 2, waitBetweenTries: 1 },
		});
		expect(result.error).toBeUndefined();
		expect(sim.gen.runs()).toHaveLength(1);
		expect(sim.assets()).toHaveLength(1);
		expect(sim.record.uploads.filter((u) => u.ok)).toHaveLength(1);
		expect(runPosts().map((r) => r.status)).toEqual([201, 409]);
	});

	it('an item naming a missing binary field goes on as an error, paired, and the others run', async () => {
		const result = await runFlora(sim, {
			parameters: techniqueParams(
				'product-photo-variants',
				{ product_image: '={{ $json.image }}' },
				{ options: { downloadOutputs: false, concurrency: 1 } },
			),
			items: [
				{ json: { image: PHOTO_URL } },
				{ json: { image: 'missing' } },
				{ json: { image: PHOTO_URL } },
			],
			nodeSettings: { onError: 'continueRegularOutput' },
		});
		expect(result.error).toBeUndefined();
		expect(pairedIndexes(result.items)).toEqual([0, 1, 2]);
		expect(result.items[1].json.message).toBe('This item has no binary field "missing"');
		expect(sim.gen.runs()).toHaveLength(2);
		expect(result.items.map((i) => i.json.status)).toEqual(['completed', undefined, 'completed']);
	});

	it('uploads several binaries of one input as separate assets, each with its own key', async () => {
		const [a, b] = [bytes(2_000, 1), bytes(3_000, 2)];
		const recorder = await bodyRecorder(sim);
		try {
			const result = await runFlora(sim, {
				baseUrl: recorder.baseUrl,
				parameters: techniqueParams(
					'moodboard-teaser',
					{ moodboard: '["data", "data_1"]', script: 'Summer is here' },
					{ options: { downloadOutputs: false } },
				),
				items: [
					{
						json: {},
						binary: {
							data: { data: a, fileName: 'a.png', mimeType: 'image/png' },
							data_1: { data: b, fileName: 'b.png', mimeType: 'image/png' },
						},
					},
				],
			});
			expect(result.error).toBeUndefined();
			const creates = requestsTo(sim, 'api', /^\/assets$/).filter((r) => r.method === 'POST');
			expect(creates).toHaveLength(2);
			expect(new Set(creates.map((r) => r.idempotencyKey)).size).toBe(2);
			const byName = new Map(sim.assets().map((x) => [x.name, x]));
			expect(byName.get('a.png')?.sha256).toBe(sha256(a));
			expect(byName.get('b.png')?.sha256).toBe(sha256(b));
			const start = recorder.seen.find((r) => /\/runs$/.test(r.path))!;
			expect((start.body as { inputs: unknown }).inputs).toEqual([
				{ id: 'moodboard', type: 'imageUrl', value: byName.get('a.png')?.url },
				{ id: 'moodboard', type: 'imageUrl', value: byName.get('b.png')?.url },
				{ id: 'script', type: 'text', value: 'Summer is here' },
			]);
			expect(sim.gen.runs()).toHaveLength(1);
		} finally {
			await recorder.close();
		}
	});

	it('stops waiting for a run when the execution is cancelled', async () => {
		sim.gen.injectRunFault({ kind: 'hang' });
		const result = await runFlora(sim, {
			parameters: techniqueParams('caption-writer', { brief: 'A vase' }),
			abortAfterMs: 500,
		});
		expect(result.cancelled).toBe(true);
		expect(sim.gen.runs()).toHaveLength(1);
		expect(sim.gen.runs()[0].status).toBe('running');
	});
});
