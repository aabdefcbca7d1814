import type { IExecuteFunctions } from 'n8n-workflow';

import {
	idempotencyKey,
	recallCreated,
	rememberCreated,
} from '../../../nodes/Flora/transport/idempotency';

function context(
	executionId: string,
	nodeId = 'node-1',
	runIndex = 0,
	instanceId = 'instance-a',
): IExecuteFunctions {
	return {
		getInstanceId: () => instanceId,
		getExecutionId: () => executionId,
		getWorkflow: () => ({ id: 'wf-1', active: false }),
		getNode: () => ({ id: nodeId }),
		getWorkflowDataProxy: () => ({ $runIndex: runIndex }),
	} as unknown as IExecuteFunctions;
}

describe('Idempotency keys', () => {
	it('are the same for the same call of the same item, so a retry reuses them', () => {
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
			// Execution IDs restart at 1 on every instance: the same workflow imported
			// into staging and production must not share keys.
			idempotencyKey(context('e1', 'node-1', 0, 'instance-b'), 0, 'create'),
		];
		expect(new Set(keys).size).toBe(keys.length);
		for (const key of keys) expect(key).toMatch(/^n8n_[0-9a-f]{48}$/);
	});

	it('use the user key as is for the create call and derive the others from it', () => {
		expect(idempotencyKey(context('e1'), 0, 'create', 'my-key')).toBe('my-key');
		const complete = idempotencyKey(context('e1'), 0, 'complete', 'my-key', 'asset_1');
		expect(complete).toBe(
			idempotencyKey(context('e9', 'n', 3), 5, 'complete', 'my-key', 'asset_1'),
		);
		expect(complete).not.toBe('my-key');
	});

	it('use the user key as is for a project create too, and never for an attach', () => {
		expect(idempotencyKey(context('e1'), 0, 'project-create', 'launch-film')).toBe('launch-film');
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
