/**
 * Settings → On Error, as users set it, for every operation: "Stop Workflow",
 * "Continue" and "Continue (using error output)". n8n-core 2.x routes an item to
 * the error output only when its json holds nothing but `error`, `message` and
 * `details`; n8n 1.x only `error`, or `error` and `message`. Failed items hold
 * `error` and `message`, which both lines route; these tests run the real engine
 * to prove where each item ends up.
 */
import type { INode, INodeExecutionData, INodeParameters } from 'n8n-workflow';

import {
	bytes,
	createParams,
	signedCreateParams,
	imageItem,
	pairedIndexes,
	requestsTo,
	runFlora,
	simulatorForFile,
	workspace,
} from '../harness/flora';
import type { FixtureItem } from '../harness';

const sim = simulatorForFile();

type OnError = NonNullable<INode['onError']>;

interface Case {
	operation: string;
	parameters: INodeParameters;
	items: () => FixtureItem[];
	/** Sets up the simulator so the middle item fails at FLORA; the first item fails validation. */
	arrange: () => void;
	/** What the one good item (index 2) outputs. */
	good: (item: INodeExecutionData) => void;
	apiFailure: { code: string; http_code: number; message: RegExp };
}

const cases: Case[] = [
	{
		operation: 'create',
		// One at a time, so the injected fault meets the middle item.
		parameters: createParams({
			workspace: workspace('={{ $json.ws }}'),
			options: { concurrency: 1 },
		}),
		items: () =>
			['oops', 'ws_demo', 'ws_demo'].map((ws, i) => {
				const item = imageItem(bytes(500, i + 1), `item-${i}.png`);
				return { ...item, json: { ...item.json, ws, order: `o-${i}` } };
			}),
		arrange: () =>
			sim.inject({
				target: 'api',
				method: 'POST',
				path: '/assets',
				kind: 'status',
				status: 402,
				code: 'insufficient_credits',
				message: 'Insufficient credits.',
			}),
		good: (item) => expect(item.json).toMatchObject({ status: 'ready', name: 'item-2.png' }),
		apiFailure: { code: 'insufficient_credits', http_code: 402, message: /Insufficient credits/ },
	},
	{
		operation: 'get',
		parameters: { operation: 'get', assetId: '={{ $json.id }}' },
		items: () => [
			{ json: { id: '12345', order: 'o-0' } },
			{ json: { id: 'asset_gone', order: 'o-1' } },
			{ json: { id: 'asset_known', order: 'o-2' } },
		],
		arrange: () => {
			sim.seedAssets(1, { asset_id: 'asset_known', workspace_id: 'ws_demo' });
		},
		good: (item) => expect(item.json.asset_id).toBe('asset_known'),
		apiFailure: { code: 'not_found', http_code: 404, message: /asset_gone was not found/ },
	},
	{
		operation: 'getAll',
		parameters: {
			operation: 'getAll',
			returnAll: true,
			filters: { workspaceId: workspace('={{ $json.ws }}') },
		},
		items: () => [
			{ json: { ws: 'demo', order: 'o-0' } },
			{ json: { ws: 'ws_demo', order: 'o-1' } },
			{ json: { ws: 'ws_studio', order: 'o-2' } },
		],
		arrange: () => {
			sim.seedAssets(2, { workspace_id: 'ws_studio' });
			sim.inject({
				target: 'api',
				method: 'GET',
				path: '/assets',
				kind: 'status',
				status: 403,
				code: 'forbidden',
				message: 'Forbidden.',
			});
		},
		good: (item) => expect(item.json.workspace_id).toBe('ws_studio'),
		apiFailure: { code: 'forbidden', http_code: 403, message: /Forbidden/ },
	},
];

async function run(c: Case, onError: OnError) {
	c.arrange();
	return await runFlora(sim, {
		parameters: c.parameters,
		items: c.items(),
		nodeSettings: { onError },
	});
}

describe.each(cases.map((c) => [c.operation, c] as [string, Case]))('%s', (_name, c) => {
	it('On Error → Stop Workflow: a bad item stops the node before any request', async () => {
		const result = await run(c, 'stopWorkflow');
		expect(result.error).toBeDefined();
		expect((result.error as { context?: { itemIndex?: number } }).context?.itemIndex).toBe(0);
		expect(result.items).toEqual([]);
		expect(requestsTo(sim, 'api')).toEqual([]);
	});

	it('On Error → Stop Workflow: a FLORA error stops the node with that error', async () => {
		c.arrange();
		const items = c.items().slice(1);
		const result = await runFlora(sim, {
			parameters: c.parameters,
			items,
			nodeSettings: { onError: 'stopWorkflow' },
		});
		expect(result.error?.message).toMatch(c.apiFailure.message);
		expect((result.error as { httpCode?: string }).httpCode).toBe(String(c.apiFailure.http_code));
	});

	it('On Error → Continue: every item stays on the one output, in order and paired', async () => {
		const result = await run(c, 'continueRegularOutput');
		expect(result.error).toBeUndefined();
		expect(result.outputs).toHaveLength(1);
		const byInput = new Map<number, INodeExecutionData[]>();
		result.items.forEach((item, i) => {
			const index = pairedIndexes(result.items)[i];
			byInput.set(index, [...(byInput.get(index) ?? []), item]);
		});
		expect([...byInput.keys()]).toEqual([0, 1, 2]);
		const [invalid] = byInput.get(0)!;
		expect(Object.keys(invalid.json).sort()).toEqual(['error', 'message']);
		expect(invalid.json.message).toMatch(/FLORA workspace ID|FLORA asset ID/);
		const [failed] = byInput.get(1)!;
		expect(failed.json.message).toMatch(c.apiFailure.message);
		expect(failed.json.error).toMatchObject({
			code: c.apiFailure.code,
			http_code: c.apiFailure.http_code,
			request_id: expect.stringMatching(/^req_/),
		});
		byInput.get(2)!.forEach(c.good);
	});

	it('On Error → Continue (using error output): failures leave on output 2, paired, with their details', async () => {
		const result = await run(c, 'continueErrorOutput');
		expect(result.error).toBeUndefined();
		expect(result.outputs).toHaveLength(2);
		const [success, failure] = result.outputs;

		expect(success.length).toBeGreaterThan(0);
		expect(pairedIndexes(success).every((i) => i === 2)).toBe(true);
		success.forEach(c.good);
		expect(success.some((item) => 'error' in item.json)).toBe(false);

		expect(failure).toHaveLength(2);
		expect(pairedIndexes(failure)).toEqual([0, 1]);
		// n8n merges the input item's fields in, so the branch still knows the order.
		expect(failure.map((item) => item.json.order)).toEqual(['o-0', 'o-1']);
		expect(failure[0].json.message).toMatch(/FLORA workspace ID|FLORA asset ID/);
		expect(String((failure[0].json.error as { description?: string }).description)).not.toBe('');
		expect(failure[1].json.message).toMatch(c.apiFailure.message);
		expect(failure[1].json.error).toMatchObject({
			code: c.apiFailure.code,
			http_code: c.apiFailure.http_code,
			request_id: requestsTo(sim, 'api').find((r) => r.status === c.apiFailure.http_code)
				?.requestId,
		});
	});
});

describe('create under error output', () => {
	it('carries the asset ID of an item that failed after its asset was made', async () => {
		sim.inject({
			target: 'api',
			method: 'POST',
			path: /\/complete$/,
			kind: 'status',
			status: 400,
			code: 'input_validation_error',
			message: 'Upload not verified.',
		});
		const result = await runFlora(sim, {
			parameters: signedCreateParams(),
			items: [imageItem(bytes(300, 1), 'a.png'), imageItem(bytes(300, 2), 'b.png')],
			nodeSettings: { onError: 'continueErrorOutput' },
		});
		const [success, failure] = result.outputs;
		expect(pairedIndexes(success)).toEqual([1]);
		expect(pairedIndexes(failure)).toEqual([0]);
		const made = sim.assets().find((a) => a.name === 'a.png');
		expect(failure[0].json).toMatchObject({
			name: 'a.png',
			message: 'FLORA: Upload not verified.',
			error: {
				message: 'FLORA: Upload not verified.',
				code: 'input_validation_error',
				http_code: 400,
				asset_id: made?.asset_id,
			},
		});
	});
});
