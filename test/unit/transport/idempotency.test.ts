import type { IExecuteFunctions } from 'n8n-workflow';

import {
	assetMatchesRequest,
	idempotencyKey,
	recallCreated,
	rememberCreated,
} from '../../../nodes/Flora/transport/idempotency';

/** One node run: n8n hands every try of it (Retry On Fail) the same execute data. */
function nodeRun() {
	return {};
}

function context(
	executionId: string | undefined,
	nodeId = 'node-1',
	runIndex = 0,
	instanceId = 'instance-a',
	run: object = sharedRun,
	workflowId = 'wf-1',
): IExecuteFunctions {
	return {
		getInstanceId: () => instanceId,
		getExecutionId: () => executionId,
		getWorkflow: () => ({ id: workflowId, active: false }),
		getNode: () => ({ id: nodeId }),
		getWorkflowDataProxy: () => ({ $runIndex: runIndex }),
		getExecuteData: () => run,
	} as unknown as IExecuteFunctions;
}
const sharedRun = nodeRun();

describe('Idempotency keys', () => {
	it('are the same for the same call of the same item in one node run, so a retry reuses them', () => {
		expect(idempotencyKey(context('e1'), 0, 'create')).toBe(
			idempotencyKey(context('e1'), 0, 'create'),
		);
	});

	it('differ per item, call kind, asset, node, loop run, execution and n8n instance', () => {
		const keys = [
			idempotencyKey(context('e1'), 0, 'create'),
			idempotencyKey(context('e1'), 1, 'create'),
			idempotencyKey(context('e1'), 0, 'complete', undefined, 'asset_1'),
			idempotencyKey(context('e1'), 0, 'complete', undefined, 'asset_2'),
			idempotencyKey(context('e1'), 0, 'retry-1', undefined, 'asset_1'),
			idempotencyKey(context('e1'), 0, 'retry-2', undefined, 'asset_1'),
			idempotencyKey(context('e1', 'node-2'), 0, 'create'),
			idempotencyKey(context('e1', 'node-1', 1), 0, 'create'),
			idempotencyKey(context('e2'), 0, 'create'),
			idempotencyKey(context('e1', 'node-1', 0, 'instance-b'), 0, 'create'),
			// Kinds other operations use.
			idempotencyKey(context('e1'), 0, 'generate'),
			idempotencyKey(context('e1'), 0, 'technique-run'),
		];
		expect(new Set(keys).size).toBe(keys.length);
		for (const key of keys) expect(key).toMatch(/^n8n_[0-9a-f]{48}$/);
	});

	it('never repeat between two n8n instances restored from one backup (same instance, workflow, node and execution IDs)', () => {
		const instanceA = context('42', 'node-1', 0, 'instance-a', nodeRun());
		const instanceB = context('42', 'node-1', 0, 'instance-a', nodeRun());
		expect(idempotencyKey(instanceA, 0, 'create')).not.toBe(idempotencyKey(instanceB, 0, 'create'));
	});

	it('never repeat between runs when n8n gives no execution ID', () => {
		const first = context(undefined, 'node-1', 0, 'instance-a', nodeRun());
		const second = context(undefined, 'node-1', 0, 'instance-a', nodeRun());
		expect(idempotencyKey(first, 0, 'create')).not.toBe(idempotencyKey(second, 0, 'create'));
		expect(idempotencyKey(first, 0, 'create')).toBe(idempotencyKey(first, 0, 'create'));
	});

	it('scope a user key to the workflow, the node and the workspace, and keep it across executions', () => {
		const create = (ctx: IExecuteFunctions, scope: string) =>
			idempotencyKey(ctx, 0, 'create', 'order-7', undefined, scope);
		const key = create(context('e1'), 'ws_a');
		expect(key).toMatch(/^n8n_[0-9a-f]{48}$/);
		// Another execution, item, loop run, node run (restart, queue worker): the same key.
		expect(create(context('e9', 'node-1', 3, 'instance-a', nodeRun()), 'ws_a')).toBe(key);
		expect(idempotencyKey(context('e9'), 5, 'create', 'order-7', undefined, 'ws_a')).toBe(key);
		// Another workspace, node or workflow: another key.
		const others = [
			create(context('e1'), 'ws_b'),
			create(context('e1', 'node-2'), 'ws_a'),
			create(context('e1', 'node-1', 0, 'instance-a', sharedRun, 'wf-2'), 'ws_a'),
			idempotencyKey(context('e1'), 0, 'complete', 'order-7', 'asset_1', 'ws_a'),
		];
		expect(new Set([key, ...others]).size).toBe(others.length + 1);
	});

	it('keep a user key stable across executions for a project create, and apart from an attach', () => {
		expect(idempotencyKey(context('e1'), 0, 'project-create', 'launch-film')).toBe(
			idempotencyKey(context('e2'), 2, 'project-create', 'launch-film'),
		);
		expect(idempotencyKey(context('e1'), 0, 'project-create', 'launch-film')).not.toBe(
			idempotencyKey(context('e1'), 0, 'attach', 'launch-film', 'asset_1'),
		);
		const attach = idempotencyKey(context('e1'), 0, 'attach', 'launch-film', 'asset_1');
		expect(attach).toMatch(/^n8n_[0-9a-f]{48}$/);
		expect(attach).not.toBe(idempotencyKey(context('e1'), 0, 'attach', 'launch-film', 'asset_2'));
	});

	it('differ between a project create and an asset create of the same item', () => {
		expect(idempotencyKey(context('e1'), 0, 'project-create')).not.toBe(
			idempotencyKey(context('e1'), 0, 'create'),
		);
	});

	it('remember which asset a key created', () => {
		rememberCreated('k-1', 'asset_1');
		expect(recallCreated('k-1')).toBe('asset_1');
		expect(recallCreated('k-unknown')).toBeUndefined();
	});
});

describe('A recalled or recovered asset', () => {
	const request = {
		source: 'binary' as const,
		body: {
			workspace_id: 'ws_a',
			file_name: 'a.png',
			content_type: 'image/png',
			project_id: 'prj_1',
		},
	};
	const asset = {
		asset_id: 'asset_1',
		workspace_id: 'ws_a',
		name: 'a.png',
		content_type: 'image/png',
		project_id: 'prj_1',
	};

	it('is used when workspace, name, type and project match', () => {
		expect(assetMatchesRequest(asset, request)).toBe(true);
		// A field FLORA leaves out is not held against it.
		expect(assetMatchesRequest({ ...asset, project_id: undefined }, request)).toBe(true);
	});

	it.each([
		['workspace', { workspace_id: 'ws_b' }],
		['name', { name: 'b.png' }],
		['type', { content_type: 'image/jpeg' }],
		['project', { project_id: 'prj_2' }],
	])('is refused when its %s differs', (_field, change) => {
		expect(assetMatchesRequest({ ...asset, ...change }, request)).toBe(false);
	});

	it('is refused when it has a project the request did not ask for', () => {
		const { project_id: _omitted, ...body } = request.body;
		expect(assetMatchesRequest(asset, { ...request, body })).toBe(false);
	});
});
