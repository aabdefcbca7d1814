import type { INodeParameters } from 'n8n-workflow';

import { locator } from '../../shared/flora';
import { requestsTo, simulatorForFile } from '../harness/flora';
import type { ListSearchCall } from '../harness/contexts';
import { listSearch } from '../harness/contexts';

const sim = simulatorForFile({}, { configure: { projectsPerWorkspace: 7 } });

const credentials = () => ({ apiKey: sim.apiKey, baseUrl: sim.apiBaseUrl });

const workspaces = (filter?: string, extra: Partial<ListSearchCall> = {}) =>
	listSearch({
		method: 'searchWorkspaces',
		parameters: { operation: 'create' },
		filter,
		credentials: credentials(),
		...extra,
	});

const createProjects = (workspace: unknown, filter?: string, paginationToken?: string) =>
	listSearch({
		method: 'searchProjects',
		path: 'parameters.additionalFields.projectId',
		parameters: { operation: 'create', workspace } as INodeParameters,
		filter,
		paginationToken,
		credentials: credentials(),
	});

const getManyProjects = (workspaceId: unknown, filter?: string) =>
	listSearch({
		method: 'searchProjects',
		path: 'parameters.filters.projectId',
		parameters: { operation: 'getAll', filters: { workspaceId } } as INodeParameters,
		filter,
		credentials: credentials(),
	});

const projectRequests = () => requestsTo(sim, 'api', /^\/projects$/);

describe('Workspace picker (searchWorkspaces)', () => {
	it("lists the key's workspaces by name, in FLORA's order, from one GET /workspaces", async () => {
		const { results, paginationToken } = await workspaces();
		expect(results).toEqual([
			{ name: 'Demo Workspace', value: 'ws_demo' },
			{ name: 'Studio', value: 'ws_studio' },
			{ name: 'Archive', value: 'ws_archive' },
		]);
		// FLORA's workspaces have no web address, so no entry links anywhere.
		expect(results.every((r) => r.url === undefined)).toBe(true);
		expect(paginationToken).toBeUndefined();
		const requests = requestsTo(sim, 'api');
		expect(requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /workspaces']);
		expect(requests[0].hasAuthorization).toBe(true);
	});

	it('searches names case-insensitively, on our side (FLORA has no workspace search)', async () => {
		expect((await workspaces('STUD')).results).toEqual([{ name: 'Studio', value: 'ws_studio' }]);
		expect((await workspaces('  work ')).results.map((r) => r.value)).toEqual(['ws_demo']);
		expect(requestsTo(sim, 'api').every((r) => Object.keys(r.query).length === 0)).toBe(true);
	});

	it('also finds a workspace by its ID', async () => {
		expect((await workspaces('ws_arch')).results).toEqual([
			{ name: 'Archive', value: 'ws_archive' },
		]);
	});

	it('gives an empty list when nothing matches', async () => {
		expect(await workspaces('no such workspace')).toEqual({ results: [] });
	});

	it('shows the ID for a workspace without a name', async () => {
		sim.configure({ workspaces: [{ workspace_id: 'ws_nameless', name: '' }] });
		try {
			expect((await workspaces()).results).toEqual([{ name: 'ws_nameless', value: 'ws_nameless' }]);
		} finally {
			sim.configure({
				workspaces: [
					{ workspace_id: 'ws_demo', name: 'Demo Workspace' },
					{ workspace_id: 'ws_studio', name: 'Studio' },
					{ workspace_id: 'ws_archive', name: 'Archive' },
				],
			});
		}
	});

	it("fails with FLORA's message and a hint when the API key is wrong", async () => {
		const error = (await workspaces(undefined, {
			credentials: { apiKey: 'sk_live_wrong_key', baseUrl: sim.apiBaseUrl },
		}).catch((e: unknown) => e)) as Error & { description?: string };
		expect(error).toMatchObject({
			message: expect.stringMatching(/^FLORA: /),
			description: expect.stringContaining('Check the API key'),
			httpCode: '401',
		});
		expect(`${error.message} ${error.description}`).not.toContain('sk_live_wrong_key');
	});
});

describe('Project picker (searchProjects)', () => {
	it("lists the projects of Create's workspace", async () => {
		const { results, paginationToken } = await createProjects(locator('ws_demo', 'list'));
		expect(results).toHaveLength(7);
		expect(results[0]).toEqual({
			name: 'Spring Campaign',
			value: expect.stringMatching(/^prj_\S+$/),
		});
		expect(results.every((r) => r.url === undefined)).toBe(true);
		expect(paginationToken).toBeUndefined();
		expect(projectRequests().map((r) => r.query)).toEqual([
			{ workspace_id: 'ws_demo', limit: '50' },
		]);
	});

	it('takes the workspace from ID mode as well', async () => {
		await createProjects(locator('ws_studio'));
		expect(projectRequests()[0].query.workspace_id).toBe('ws_studio');
	});

	it("pages through FLORA's cursor with n8n's pagination token", async () => {
		sim.configure({ projectsPerWorkspace: 120 });
		const pages = [];
		let token: string | undefined;
		do {
			const page = await createProjects(locator('ws_demo', 'list'), undefined, token);
			pages.push(page.results);
			token = page.paginationToken;
		} while (token && pages.length < 10);

		expect(pages.map((p) => p.length)).toEqual([50, 50, 20]);
		const ids = pages.flat().map((r) => r.value);
		expect(new Set(ids).size).toBe(120);
		const requests = projectRequests();
		expect(requests[0].query.cursor).toBeUndefined();
		expect(requests[1].query.cursor).toEqual(expect.any(String));
		expect(requests[2].query.cursor).not.toBe(requests[1].query.cursor);
	});

	it('hands the search text to FLORA and keeps paginating within the search', async () => {
		sim.configure({ projectsPerWorkspace: 600 });
		const first = await createProjects(locator('ws_demo', 'list'), '  lookbook ');
		expect(projectRequests()[0].query).toEqual({
			workspace_id: 'ws_demo',
			limit: '50',
			query: 'lookbook',
		});
		expect(first.results).toHaveLength(50);
		expect(first.results.every((r) => String(r.name).startsWith('Lookbook'))).toBe(true);
		const second = await createProjects(
			locator('ws_demo', 'list'),
			'lookbook',
			first.paginationToken,
		);
		expect(second.results).toHaveLength(10);
		expect(second.paginationToken).toBeUndefined();
		expect(projectRequests()[1].query).toMatchObject({
			query: 'lookbook',
			cursor: first.paginationToken,
		});
	});

	it('gives an empty list for a workspace without projects', async () => {
		sim.configure({ projectsPerWorkspace: 0 });
		expect(await createProjects(locator('ws_demo', 'list'))).toEqual({
			results: [],
			paginationToken: undefined,
		});
	});

	it("uses Get Many's Workspace filter, picked from the list or typed as an ID", async () => {
		const picked = await getManyProjects(locator('ws_studio', 'list'));
		expect(picked.results).toHaveLength(7);
		await getManyProjects('ws_archive');
		expect(projectRequests().map((r) => r.query.workspace_id)).toEqual(['ws_studio', 'ws_archive']);
	});

	it('asks for a workspace first instead of calling FLORA without one', async () => {
		await expect(createProjects(locator('', 'list'))).rejects.toMatchObject({
			message: 'Choose a workspace first',
			description: expect.stringContaining('Set Workspace'),
		});
		await expect(getManyProjects(undefined)).rejects.toMatchObject({
			message: 'Choose a workspace first',
			description: expect.stringContaining('Filters → Workspace'),
		});
		expect(sim.record.requests).toEqual([]);
	});

	it('refuses a workspace ID that is not one', async () => {
		await expect(createProjects(locator('demo'))).rejects.toMatchObject({
			message: '"demo" is not a FLORA workspace ID',
		});
		expect(sim.record.requests).toEqual([]);
	});

	it("shows FLORA's 404 for a workspace the key cannot see", async () => {
		await expect(createProjects(locator('ws_elsewhere'))).rejects.toMatchObject({
			message: 'FLORA: Workspace not found.',
			httpCode: '404',
		});
	});
});
