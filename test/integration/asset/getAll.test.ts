import type { IDataObject } from 'n8n-workflow';

import { locator } from '../../shared/flora';
import { pairedIndexes, requestsTo, runFlora, simulatorForFile } from '../harness/flora';

const sim = simulatorForFile();

const listRequests = () => requestsTo(sim, 'api', /^\/assets$/);

const getMany = (extra: IDataObject = {}) => ({ operation: 'getAll', ...extra });

/** Seeded assets, newest first: the order FLORA lists them in. */
const newestFirst = <T>(seeded: T[]) => [...seeded].reverse();

describe('Get many assets: pagination', () => {
	it('follows meta.next_cursor through several pages with Return All', async () => {
		const seeded = sim.seedAssets(250);
		const result = await runFlora(sim, { parameters: getMany({ returnAll: true }) });
		expect(result.error).toBeUndefined();
		expect(result.items.map((i) => i.json.asset_id)).toEqual(
			newestFirst(seeded).map((a) => a.asset_id),
		);
		const requests = listRequests();
		expect(requests.map((r) => r.query.limit)).toEqual(['100', '100', '100']);
		expect(requests[0].query.cursor).toBeUndefined();
		expect(requests[1].query.cursor).toEqual(expect.any(String));
		expect(requests[2].query.cursor).toEqual(expect.any(String));
		expect(requests[2].query.cursor).not.toBe(requests[1].query.cursor);
	});

	it('outputs one item per asset, each paired with the input item', async () => {
		sim.seedAssets(3);
		const result = await runFlora(sim, { parameters: getMany({ returnAll: true }) });
		expect(result.items).toHaveLength(3);
		expect(pairedIndexes(result.items)).toEqual([0, 0, 0]);
		expect(result.items[0].json).toMatchObject({
			asset_id: expect.stringMatching(/^asset_/),
			status: 'ready',
			workspace_id: 'ws_demo',
			created_at: expect.any(Number),
		});
	});

	it('asks for no more than the limit when it is smaller than a page', async () => {
		const seeded = sim.seedAssets(30);
		const result = await runFlora(sim, { parameters: getMany({ returnAll: false, limit: 5 }) });
		expect(result.items.map((i) => i.json.asset_id)).toEqual(
			newestFirst(seeded)
				.slice(0, 5)
				.map((a) => a.asset_id),
		);
		expect(listRequests().map((r) => r.query)).toEqual([{ limit: '5' }]);
	});

	it('stops in the middle of a later page when the limit is reached', async () => {
		const seeded = sim.seedAssets(250);
		const result = await runFlora(sim, { parameters: getMany({ returnAll: false, limit: 150 }) });
		expect(result.items.map((i) => i.json.asset_id)).toEqual(
			newestFirst(seeded)
				.slice(0, 150)
				.map((a) => a.asset_id),
		);
		expect(listRequests().map((r) => r.query.limit)).toEqual(['100', '50']);
	});

	it('returns what there is when the limit is larger than the total', async () => {
		sim.seedAssets(10);
		const result = await runFlora(sim, { parameters: getMany({ limit: 50 }) });
		expect(result.items).toHaveLength(10);
		expect(listRequests()).toHaveLength(1);
	});

	it('outputs nothing, without an error, when there are no assets', async () => {
		const result = await runFlora(sim, { parameters: getMany({ returnAll: true }) });
		expect(result.error).toBeUndefined();
		expect(result.items).toEqual([]);
		expect(listRequests()).toHaveLength(1);
	});

	it('keeps following the cursor past an empty page', async () => {
		sim.inject({
			target: 'api',
			method: 'GET',
			path: '/assets',
			kind: 'status',
			status: 200,
			body: { assets: [], meta: { next_cursor: 'cursor_after_empty' } },
		});
		sim.inject({
			target: 'api',
			method: 'GET',
			path: '/assets',
			kind: 'status',
			status: 200,
			body: { assets: [{ asset_id: 'asset_late', status: 'ready' }], meta: { next_cursor: null } },
		});
		const result = await runFlora(sim, { parameters: getMany({ returnAll: true }) });
		expect(result.items.map((i) => i.json.asset_id)).toEqual(['asset_late']);
		expect(listRequests().map((r) => r.query.cursor)).toEqual([undefined, 'cursor_after_empty']);
	});

	it('stops when a page has no meta at all', async () => {
		sim.inject({
			target: 'api',
			method: 'GET',
			path: '/assets',
			kind: 'status',
			status: 200,
			body: { assets: [{ asset_id: 'asset_only' }] },
		});
		const result = await runFlora(sim, { parameters: getMany({ returnAll: true }) });
		expect(result.items.map((i) => i.json.asset_id)).toEqual(['asset_only']);
		expect(listRequests()).toHaveLength(1);
	});

	it('retries a 503 on a later page without losing or repeating assets', async () => {
		const seeded = sim.seedAssets(150);
		sim.inject({
			target: 'api',
			method: 'GET',
			path: '/assets',
			kind: 'status',
			status: 503,
			skip: 1,
		});
		const result = await runFlora(sim, { parameters: getMany({ returnAll: true }) });
		expect(result.items.map((i) => i.json.asset_id)).toEqual(
			newestFirst(seeded).map((a) => a.asset_id),
		);
		expect(listRequests().map((r) => r.status)).toEqual([200, 503, 200]);
	});
});

describe('Get many assets: filters', () => {
	function seedMixed() {
		sim.seedAssets(3, { name: 'demo.png', workspace_id: 'ws_demo' });
		const studio = sim.seedAssets(2, { name: 'studio hero.png', workspace_id: 'ws_studio' });
		const inProject = sim.seedAssets(2, {
			name: 'studio logo.png',
			workspace_id: 'ws_studio',
			project_id: 'prj_launch',
		});
		return { studio, inProject };
	}

	it('sends workspace, project and search to FLORA and outputs what matches', async () => {
		const { inProject } = seedMixed();
		const result = await runFlora(sim, {
			parameters: getMany({
				returnAll: true,
				filters: {
					workspaceId: locator('ws_studio', 'list'),
					projectId: locator('prj_launch'),
					query: ' logo ',
				},
			}),
		});
		expect(result.error).toBeUndefined();
		expect(listRequests()[0].query).toEqual({
			workspace_id: 'ws_studio',
			project_id: 'prj_launch',
			query: 'logo',
			limit: '100',
		});
		expect(result.items.map((i) => i.json.asset_id).sort()).toEqual(
			inProject.map((a) => a.asset_id).sort(),
		);
	});

	it('takes plain IDs too, as expressions and AI agents give them', async () => {
		const { studio, inProject } = seedMixed();
		const result = await runFlora(sim, {
			parameters: getMany({ returnAll: true, filters: { workspaceId: 'ws_studio' } }),
		});
		expect(result.items).toHaveLength(studio.length + inProject.length);
		expect(listRequests()[0].query.workspace_id).toBe('ws_studio');
	});

	it('leaves out filters that were added but left empty', async () => {
		seedMixed();
		const result = await runFlora(sim, {
			parameters: getMany({
				limit: 2,
				filters: { workspaceId: locator('', 'list'), projectId: locator('', 'list'), query: '' },
			}),
		});
		expect(result.items).toHaveLength(2);
		expect(listRequests()[0].query).toEqual({ limit: '2' });
	});

	it('lists per input item, each result paired with its item', async () => {
		seedMixed();
		const result = await runFlora(sim, {
			parameters: getMany({ returnAll: true, filters: { query: '={{ $json.q }}' } }),
			items: [{ json: { q: 'hero' } }, { json: { q: 'demo' } }],
		});
		expect(result.items.map((i) => i.json.name)).toEqual([
			'studio hero.png',
			'studio hero.png',
			'demo.png',
			'demo.png',
			'demo.png',
		]);
		expect(pairedIndexes(result.items)).toEqual([0, 0, 1, 1, 1]);
	});

	it("shows FLORA's 404 for a workspace the key cannot see", async () => {
		const result = await runFlora(sim, {
			parameters: getMany({ returnAll: true, filters: { workspaceId: locator('ws_elsewhere') } }),
		});
		expect(result.error?.message).toBe('FLORA: Workspace not found.');
		expect(result.error?.constructor.name).toBe('FloraApiError');
	});

	it('refuses a project ID that is not one before calling FLORA', async () => {
		const result = await runFlora(sim, {
			parameters: getMany({ filters: { projectId: locator('launch') } }),
		});
		expect(result.error?.message).toBe('Project "launch" is not a FLORA project ID');
		expect(sim.record.requests).toEqual([]);
	});
});
