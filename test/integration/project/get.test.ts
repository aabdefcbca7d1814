import { locator, pairedIndexes, simulatorForFile } from '../harness/flora';
import {
	calls,
	expectNotFound,
	itemIndexOf,
	itemValue,
	projectsOf,
	runResource,
} from '../harness/resources';

const sim = simulatorForFile();

const get = (project: unknown, extra = {}) =>
	runResource(sim, 'project', { operation: 'get', project: project as string }, extra);

describe('Get a project', () => {
	it('returns the project from one GET /projects/{id}', async () => {
		const [project] = await projectsOf(sim);
		const result = await get(locator(String(project.project_id), 'list'));
		expect(result.error).toBeUndefined();
		expect(result.items[0].json).toEqual(project);
		expect(calls(result.requests)).toEqual([`GET /projects/${String(project.project_id)}`]);
		expect(result.requests[0].hasAuthorization).toBe(true);
	});

	it('gets one project per item, paired; items sharing a project each get it', async () => {
		const [a, b] = await projectsOf(sim);
		const result = await get(locator(itemValue), {
			items: [
				{ json: { v: b.project_id } },
				{ json: { v: a.project_id } },
				{ json: { v: b.project_id } },
			],
		});
		expect(result.items.map((i) => i.json.project_id)).toEqual([
			b.project_id,
			a.project_id,
			b.project_id,
		]);
		expect(pairedIndexes(result.items)).toEqual([0, 1, 2]);
	});

	it("fails with FLORA's 404 as an API error with its code and request ID", async () => {
		const result = await get(locator('prj_doesnotexist'));
		expectNotFound(result, 'FLORA: Project not found.');
	});

	it('refuses an ID FLORA would answer 500 for, before any request', async () => {
		const result = await get(locator(itemValue), {
			items: [{ json: { v: 'prj_fine' } }, { json: { v: 'launch-2024' } }],
		});
		expect(result.error?.message).toBe('Project ID "launch-2024" is not a FLORA project ID');
		expect(itemIndexOf(result.error)).toBe(1);
		expect(result.requests).toEqual([]);
	});

	it('pairs a missing project with its item under Continue On Fail', async () => {
		const [project] = await projectsOf(sim);
		const result = await get(locator(itemValue), {
			items: [{ json: { v: 'prj_gone' } }, { json: { v: project.project_id } }],
			nodeSettings: { continueOnFail: true },
		});
		expect(
			result.items.map((i) => i.json.project_id ?? (i.json.error as { code?: string }).code),
		).toEqual(['not_found', project.project_id]);
		expect(pairedIndexes(result.items)).toEqual([0, 1]);
	});

	it('retries a 503, then returns the project', async () => {
		const [project] = await projectsOf(sim);
		sim.inject({
			target: 'api',
			method: 'GET',
			path: /^\/projects\/prj_/,
			kind: 'status',
			status: 503,
		});
		const result = await get(String(project.project_id));
		expect(result.items[0].json.project_id).toBe(project.project_id);
		expect(result.requests.map((r) => r.status)).toEqual([503, 200]);
	});
});
