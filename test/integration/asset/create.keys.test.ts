/**
 * Idempotency keys as users set, share and reuse them, and n8n's reruns: Retry On
 * Fail, "Retry execution" on another process, restored backups, missing
 * execution IDs. Each item must become exactly one asset: never two, never
 * another item's.
 */
import {
	bytes,
	createParams,
	signedCreateParams,
	imageItem,
	pairedIndexes,
	requestsTo,
	runFlora,
	sha256,
	simulatorForFile,
	workspace,
} from '../harness/flora';

const sim = simulatorForFile({}, { configure: { signedReadyAfterPolls: 0 } });

const COMPLETE = /^\/assets\/[^/]+\/complete$/;
const RETRY = /^\/assets\/[^/]+\/retry$/;
const orderKey = { idempotencyKey: '={{ $json.order }}' };

function orderItem(order: string, file: Buffer, name: string, ws = 'ws_demo') {
	const item = imageItem(file, name);
	return { ...item, json: { ...item.json, order, ws } };
}

function posts(path: RegExp) {
	return requestsTo(sim, 'api', path).filter((r) => r.method === 'POST');
}

describe('One Idempotency Key shared by several items', () => {
	const items = () => [
		orderItem('order-1', bytes(400, 1), 'front.png'),
		orderItem('order-1', bytes(400, 2), 'back.png'),
		orderItem('order-1', bytes(400, 3), 'side.png'),
		orderItem('order-2', bytes(400, 4), 'other.png'),
	];

	it('fails before any request when the items make different requests, naming the items', async () => {
		const result = await runFlora(sim, {
			parameters: createParams({ options: orderKey }),
			items: items(),
		});
		expect(result.error?.message).toBe(
			'Items 1, 2 and 3 use the same Idempotency Key "order-1" for different requests',
		);
		expect((result.error as { description?: string }).description).toContain(
			'Item 1 and item 2 would make different assets',
		);
		expect(sim.record.requests).toEqual([]);
	});

	it('under error output, sends all items sharing the key there, and creates the others', async () => {
		const result = await runFlora(sim, {
			parameters: createParams({ options: orderKey }),
			items: items(),
			nodeSettings: { onError: 'continueErrorOutput' },
		});
		const [success, failure] = result.outputs;
		expect(pairedIndexes(failure)).toEqual([0, 1, 2]);
		expect(
			failure.every((i) => /same Idempotency Key "order-1"/.test(String(i.json.message))),
		).toBe(true);
		expect(pairedIndexes(success)).toEqual([3]);
		expect(sim.assets().map((a) => a.name)).toEqual(['other.png']);
		expect(posts(/^\/assets$/)).toHaveLength(1);
	});

	it('gives identical items under one key one asset, output for each', async () => {
		const file = bytes(400, 9);
		const result = await runFlora(sim, {
			parameters: createParams({ options: { ...orderKey, concurrency: 2 } }),
			items: [orderItem('order-1', file, 'same.png'), orderItem('order-1', file, 'same.png')],
		});
		expect(result.error).toBeUndefined();
		expect(sim.assets()).toHaveLength(1);
		expect(posts(/^\/assets$/)).toHaveLength(1);
		expect(result.items.map((i) => i.json.asset_id)).toEqual([
			sim.assets()[0].asset_id,
			sim.assets()[0].asset_id,
		]);
		expect(pairedIndexes(result.items)).toEqual([0, 1]);
	});

	it('keeps one key apart per workspace, in one node', async () => {
		const result = await runFlora(sim, {
			parameters: createParams({ workspace: workspace('={{ $json.ws }}'), options: orderKey }),
			items: [
				orderItem('order-1', bytes(400, 1), 'a.png', 'ws_demo'),
				orderItem('order-1', bytes(400, 2), 'a.png', 'ws_studio'),
			],
		});
		expect(result.error).toBeUndefined();
		expect(result.items.map((i) => i.json.workspace_id)).toEqual(['ws_demo', 'ws_studio']);
		expect(sim.assets()).toHaveLength(2);
	});

	it('keeps one key apart between two Flora nodes writing to two workspaces', async () => {
		const workflowId = 'wf-two-nodes';
		const first = await runFlora(sim, {
			parameters: createParams({ options: { idempotencyKey: 'shared' } }),
			items: [imageItem(bytes(400, 1), 'a.png')],
			nodeSettings: { id: 'node-a', name: 'Flora A' },
			workflowId,
		});
		const second = await runFlora(sim, {
			parameters: createParams({
				workspace: workspace('ws_studio'),
				options: { idempotencyKey: 'shared' },
			}),
			items: [imageItem(bytes(400, 2), 'a.png')],
			nodeSettings: { id: 'node-b', name: 'Flora B' },
			workflowId,
		});
		expect(first.error).toBeUndefined();
		expect(second.error).toBeUndefined();
		expect(second.items[0].json.workspace_id).toBe('ws_studio');
		expect(second.items[0].json.asset_id).not.toBe(first.items[0].json.asset_id);
		expect(sim.assets()).toHaveLength(2);
		expect(sim.record.duplicatesPrevented).toBe(0);
	});

	it('never hands out a remembered asset that does not match the request', async () => {
		const run = async (name: string, seed: number) =>
			await runFlora(sim, {
				parameters: createParams({ options: { idempotencyKey: 'reused' } }),
				items: [imageItem(bytes(400, seed), name)],
				nodeSettings: { id: 'node-reused' },
				workflowId: 'wf-reused',
			});
		const first = await run('a.png', 1);
		expect(first.error).toBeUndefined();
		const second = await run('b.png', 2);
		expect(second.error?.message).toBe(
			'FLORA already accepted this create request, but the asset it made could not be identified',
		);
		expect(second.items).toEqual([]);
		expect(sim.assets().map((a) => a.name)).toEqual(['a.png']);
		expect(sim.record.uploads.filter((u) => u.ok)).toHaveLength(1);
	});
});

describe("n8n's Retry On Fail", () => {
	it('gives a rerun fresh upload forms after the first run used up its attempts', async () => {
		sim.inject({ target: 'api', kind: 'expireForm' });
		sim.inject({ target: 'upload', kind: 'status', status: 503, message: 'Busy.', times: 3 });
		const file = bytes(3000, 3);
		const result = await runFlora(sim, {
			parameters: signedCreateParams(),
			items: [imageItem(file, 'attempts.png')],
			nodeSettings: { retryOnFail: true, maxTries: 2, waitBetweenTries: 10 },
		});
		expect(result.error).toBeUndefined();
		const retries = posts(RETRY);
		// Three forms in the first run (the reservation's expired), one in the rerun.
		expect(retries).toHaveLength(4);
		expect(retries.map((r) => r.status)).toEqual([200, 200, 200, 200]);
		expect(new Set(retries.map((r) => r.idempotencyKey)).size).toBe(4);
		expect(sim.record.violations.filter((v) => v.kind === 'bad-idempotency-reuse')).toEqual([]);
		expect(sim.assets()).toHaveLength(1);
		expect(sim.assets()[0]).toMatchObject({ status: 'ready', sha256: sha256(file) });
	});

	it('after a timeout waiting for ready, a rerun only waits: no new form, no second upload', async () => {
		sim.configure({ signedReadyAfterPolls: 6 });
		const result = await runFlora(sim, {
			parameters: signedCreateParams({ options: { waitTimeout: 1 } }),
			items: [imageItem(bytes(3000, 4), 'slow.png')],
			nodeSettings: { retryOnFail: true, maxTries: 5, waitBetweenTries: 0 },
		});
		expect(result.error).toBeUndefined();
		expect(result.items[0].json.status).toBe('ready');
		expect(posts(/^\/assets$/).length).toBeGreaterThanOrEqual(2);
		expect(posts(RETRY)).toEqual([]);
		expect(posts(COMPLETE)).toHaveLength(1);
		expect(sim.record.uploads).toHaveLength(1);
		expect(sim.assets()).toHaveLength(1);
	}, 30_000);

	it('remembers an asset found again after a lost answer, so a later rerun does not search again', async () => {
		sim.inject({ target: 'api', method: 'POST', path: '/assets', kind: 'lostResponse' });
		sim.inject({
			target: 'api',
			method: 'POST',
			path: COMPLETE,
			kind: 'status',
			status: 400,
			code: 'input_validation_error',
			message: 'Upload not verified yet.',
		});
		const result = await runFlora(sim, {
			parameters: signedCreateParams(),
			items: [imageItem(bytes(3000, 5), 'found.png')],
			nodeSettings: { retryOnFail: true, maxTries: 2, waitBetweenTries: 10 },
		});
		expect(result.error).toBeUndefined();
		const searches = requestsTo(sim, 'api', /^\/assets$/).filter((r) => r.method === 'GET');
		expect(searches).toHaveLength(1);
		expect(sim.assets()).toHaveLength(1);
		expect(sim.assets({ status: 'ready' })).toHaveLength(1);
	});
});

describe('A user key after a restart or on another queue worker ("Retry execution")', () => {
	// The built package has its own module state: it stands for another n8n process.
	const settings = { id: 'node-order' };
	const workflowId = 'wf-orders';

	it('picks up the asset an earlier execution finished, creating and uploading nothing', async () => {
		const first = await runFlora(sim, {
			parameters: createParams({ options: orderKey }),
			items: [orderItem('order-5', bytes(2000, 6), 'order-5.png')],
			nodeSettings: settings,
			workflowId,
		});
		expect(first.error).toBeUndefined();
		// Made 30 minutes ago: inside FLORA's 2-hour key window.
		const [asset] = sim.assets();
		asset.created_at_ms -= 30 * 60_000;
		asset.created_at = new Date(asset.created_at_ms).toISOString();

		const again = await runFlora(sim, {
			parameters: createParams({ options: orderKey }),
			items: [orderItem('order-5', bytes(2000, 6), 'order-5.png')],
			nodeSettings: settings,
			workflowId,
			from: 'dist',
		});
		expect(again.error).toBeUndefined();
		expect(again.items[0].json).toMatchObject({ asset_id: asset.asset_id, status: 'ready' });
		expect(sim.assets()).toHaveLength(1);
		expect(sim.record.uploads).toHaveLength(1);
	});

	it('finishes the asset of an execution that timed out after its upload was accepted, without uploading again', async () => {
		// Ready after 8 polls: more than the first execution's 1 s allows.
		sim.configure({ signedReadyAfterPolls: 8 });
		const first = await runFlora(sim, {
			parameters: signedCreateParams({ options: { ...orderKey, waitTimeout: 1 } }),
			items: [orderItem('order-6', bytes(2000, 7), 'order-6.png')],
			nodeSettings: settings,
			workflowId,
		});
		expect(first.error?.message).toMatch(/was not ready after 1 seconds/);

		const again = await runFlora(sim, {
			parameters: signedCreateParams({ options: orderKey }),
			items: [orderItem('order-6', bytes(2000, 7), 'order-6.png')],
			nodeSettings: settings,
			workflowId,
			from: 'dist',
		});
		expect(again.error).toBeUndefined();
		expect(again.items[0].json.status).toBe('ready');
		expect(sim.assets()).toHaveLength(1);
		expect(sim.record.uploads).toHaveLength(1);
		expect(posts(RETRY)).toEqual([]);
	}, 30_000);

	it('uploads and completes an asset whose upload never arrived', async () => {
		sim.inject({ target: 'upload', kind: 'status', status: 503, message: 'Busy.', times: 3 });
		const file = bytes(2000, 8);
		const first = await runFlora(sim, {
			parameters: signedCreateParams({ options: orderKey }),
			items: [orderItem('order-7', file, 'order-7.png')],
			nodeSettings: settings,
			workflowId,
		});
		expect(first.error?.message).toMatch(/failed 3 times/);

		const again = await runFlora(sim, {
			parameters: signedCreateParams({ options: orderKey }),
			items: [orderItem('order-7', file, 'order-7.png')],
			nodeSettings: settings,
			workflowId,
			from: 'dist',
		});
		expect(again.error).toBeUndefined();
		expect(sim.assets()).toHaveLength(1);
		expect(sim.assets()[0]).toMatchObject({ status: 'ready', sha256: sha256(file) });
		// The completion that told "no upload yet" was refused; the one after the upload applied.
		expect(posts(COMPLETE).map((r) => r.status)).toEqual([400, 200]);
	});
});

describe('Derived keys', () => {
	it('differ between two n8n instances restored from one backup (same instance, workflow, node IDs and execution number)', async () => {
		const run = async (seed: number) =>
			await runFlora(sim, {
				parameters: createParams(),
				items: [imageItem(bytes(500, seed), 'restored.png')],
				nodeSettings: { id: 'node-restored' },
				executionId: '17',
				workflowId: 'wf-restored',
			});
		const first = await run(1);
		const second = await run(2);
		expect(first.error).toBeUndefined();
		expect(second.error).toBeUndefined();
		const creates = posts(/^\/assets$/);
		expect(creates).toHaveLength(2);
		expect(creates[0].idempotencyKey).not.toBe(creates[1].idempotencyKey);
		expect(sim.record.duplicatesPrevented).toBe(0);
		expect(second.items[0].json.asset_id).not.toBe(first.items[0].json.asset_id);
		expect(sim.assets().map((a) => a.sha256)).toEqual([
			sha256(bytes(500, 1)),
			sha256(bytes(500, 2)),
		]);
	});

	it('are never shared between runs when the execution ID is missing', async () => {
		for (const seed of [1, 2]) {
			const result = await runFlora(sim, {
				parameters: createParams(),
				items: [imageItem(bytes(500, seed), 'no-id.png')],
				nodeSettings: { id: 'node-no-id' },
				executionId: '',
				workflowId: 'wf-no-id',
			});
			expect(result.error).toBeUndefined();
		}
		const creates = posts(/^\/assets$/);
		expect(new Set(creates.map((r) => r.idempotencyKey)).size).toBe(2);
		expect(sim.assets()).toHaveLength(2);
	});
});
