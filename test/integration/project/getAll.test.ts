import { locator, pairedIndexes, simulatorForFile } from '../harness/flora';
import { calls, runResource } from '../harness/resources';

const sim = simulatorForFile({}, { configure: { projectsPerWorkspace: 7 } });

const getMany = (parameters: object, extra = {}) =>
	runResource(
		sim,
		'project',
		{ operation: 'getAll', workspace: locator('ws_demo', 'list'), ...parameters },
		extra,
	);

describe('Get many projects', () => {
	it('follows the cursor through several pages with Return All', async () => {
		sim.configure({ projectsPerWorkspace: 230 });
		const result = await getMany({ returnAll: true });
		expect(result.error).toBeUndefined();
		expect(result.items).toHaveLength(230);
		expect(new Set(result.items.map((i) => i.json.project_id)).size).toBe(230);
		expect(calls(result.requests)).toEqual(['GET /projects', 'GET /projects', 'GET /projects']);
		expect(result.requests.map((r) => r.query.workspace_id)).toEqual([
			'ws_demo',
			'ws_demo',
			'ws_demo',
		]);
		expect(result.requests.map((r) => r.query.limit)).toEqual(['100', '100', '100']);
		expect(result.requests[0].query.cursor).toBeUndefined();
		expect(result.requests[2].query.cursor).not.toBe(result.requests[1].query.cursor);
	});

	it('stops at the limit, mid-page', async () => {
		sim.configure({ projectsPerWorkspace: 230 });
		const result = await getMany({ returnAll: false, limit: 150 });
		expect(result.items).toHaveLength(150);
		expect(result.requests.map((r) => r.query.limit)).toEqual(['100', '50']);
	});

	it('sends the search and outputs the projects FLORA matched', async () => {
		const result = await getMany({ returnAll: true, filters: { query: ' spring ' } });
		expect(result.requests[0].query).toEqual({
			workspace_id: 'ws_demo',
			query: 'spring',
			limit: '100',
		});
		expect(result.items.map((i) => i.json.name)).toEqual(['Spring Campaign']);
	});

	it('lists the workspace of each item, paired', async () => {
		const result = await getMany(
			{ workspace: locator('={{ $json.ws }}'), returnAll: false, limit: 2 },
			{ items: [{ json: { ws: 'ws_studio' } }, { json: { ws: 'ws_archive' } }] },
		);
		expect(result.requests.map((r) => r.query.workspace_id)).toEqual(['ws_studio', 'ws_archive']);
		expect(result.items.map((i) => i.json.workspace_id)).toEqual([
			'ws_studio',
			'ws_studio',
			'ws_archive',
			'ws_archive',
		]);
		expect(pairedIndexes(result.items)).toEqual([0, 0, 1, 1]);
	});

	it("shows FLORA's 404 for a workspace the key cannot see", async () => {
		const result = await getMany({ returnAll: true, workspace: locator('ws_other') });
		expect(result.error?.message).toBe('FLORA: Workspace not found.');
		expect(result.error?.constructor.name).toBe('FloraApiError');
	});

	it('stops with an error when FLORA repeats a page cursor', async () => {
		const body = { projects: [{ project_id: 'prj_x' }], meta: { next_cursor: 'again' } };
		sim.inject({
			target: 'api',
			method: 'GET',
			path: '/projects',
			kind: 'status',
			status: 200,
			body,
			times: 2,
		});
		const result = await getMany({ returnAll: true });
		expect(result.error?.message).toBe(
			'FLORA returned the same page cursor twice; the list was stopped',
		);
		expect(result.requests).toHaveLength(2);
	});
});
