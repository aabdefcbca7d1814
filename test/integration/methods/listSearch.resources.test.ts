import type { INodeParameters } from 'n8n-workflow';

import { locator, requestsTo, simulatorForFile } from '../harness/flora';
import { page } from '../harness/resources';
import type { ListSearchCall } from '../harness/contexts';
import { listSearch } from '../harness/contexts';

const sim = simulatorForFile({}, { configure: { projectsPerWorkspace: 7 } });

const credentials = () => ({ apiKey: sim.apiKey, baseUrl: sim.apiBaseUrl });

const search = (
	method: ListSearchCall['method'],
	path: string,
	parameters: INodeParameters,
	filter?: string,
	paginationToken?: string,
	rawParameters?: INodeParameters,
) =>
	listSearch({
		method,
		path,
		parameters,
		filter,
		paginationToken,
		rawParameters,
		credentials: credentials(),
	});

/** The model picker reads the generation form's Type. */
const models = (type: string | undefined, filter?: string) =>
	search('searchModels', 'parameters.model', {}, filter, undefined, type ? { type } : {});

const techniqueGet = (filter?: string, token?: string) =>
	search(
		'searchTechniques',
		'parameters.technique',
		{ resource: 'technique', operation: 'get' },
		filter,
		token,
	);

describe('Technique picker (searchTechniques)', () => {
	it('lists techniques with their description and cost, from GET /techniques', async () => {
		const { results, paginationToken } = await techniqueGet();
		expect(results.map((r) => r.value)).toEqual([
			'tech_product_photo_variants',
			'tech_caption_writer',
			'tech_video_upscale',
			'tech_moodboard_teaser',
			'tech_studio_headshots',
		]);
		expect(results[1]).toEqual({
			name: 'Caption Writer',
			value: 'tech_caption_writer',
			description: 'A social caption from a brief. · $0.01 a run · inputs: Brief, Tone',
		});
		expect(paginationToken).toBeUndefined();
		const requests = requestsTo(sim, 'api');
		expect(requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /techniques']);
		// Technique → Get has no workspace: every technique the key can see.
		expect(requests[0].query).toEqual({ limit: '50' });
	});

	it('hands the search text to FLORA', async () => {
		const { results } = await techniqueGet('  teaser ');
		expect(results.map((r) => r.value)).toEqual(['tech_moodboard_teaser']);
		expect(requestsTo(sim, 'api')[0].query).toEqual({ query: 'teaser', limit: '50' });
	});

	it("pages with FLORA's cursor as n8n's pagination token", async () => {
		const body = (id: string, next: string | null) => ({
			techniques: [{ technique_id: id, name: id }],
			meta: { next_cursor: next },
		});
		page(sim, '/techniques', body('tech_1', 'c2'));
		page(sim, '/techniques', body('tech_2', null));
		const first = await techniqueGet();
		expect(first).toEqual({
			results: [{ name: 'tech_1', value: 'tech_1' }],
			paginationToken: 'c2',
		});
		const second = await techniqueGet(undefined, first.paginationToken);
		expect(second.paginationToken).toBeUndefined();
		expect(requestsTo(sim, 'api').map((r) => r.query.cursor)).toEqual([undefined, 'c2']);
	});

	it("lists for the Get Many runs' Workspace filter when one is set", async () => {
		const { results } = await search('searchTechniques', 'parameters.filters.techniqueId', {
			resource: 'run',
			operation: 'getAll',
			runKind: 'technique',
			filters: { workspaceId: locator('ws_studio', 'list') },
		} as INodeParameters);
		expect(requestsTo(sim, 'api')[0].query).toEqual({ workspace_id: 'ws_studio', limit: '50' });
		expect(results.map((r) => r.value)).toContain('tech_studio_headshots');
	});

	it('refuses a workspace filter that is not a workspace ID', async () => {
		await expect(
			search('searchTechniques', 'parameters.filters.techniqueId', {
				resource: 'run',
				operation: 'getAll',
				runKind: 'technique',
				filters: { workspaceId: locator('studio') },
			} as INodeParameters),
		).rejects.toMatchObject({ message: '"studio" is not a FLORA workspace ID' });
		expect(sim.record.requests).toEqual([]);
	});
});

describe('Model picker (searchModels)', () => {
	it("lists the models of the node's Type with credits, time and provider", async () => {
		const { results } = await models('video');
		expect(results).toEqual([
			{ name: 'Veo 3', value: 'veo-3', description: '≈ 120 credits · ≈ 90 s · google' },
			{ name: 'Kling 2.1', value: 'kling-2.1', description: '≈ 80 credits · ≈ 120 s · kling' },
		]);
		expect(requestsTo(sim, 'api').map((r) => [r.path, r.query])).toEqual([
			['/models', { type: 'video' }],
		]);
	});

	it('searches name, ID and provider on our side (FLORA lists models whole)', async () => {
		const { results } = await models('image', 'OPENAI');
		expect(results).toEqual([
			{
				name: 'GPT Image 1 (beta)',
				value: 'gpt-image-1',
				description: '≈ 10 credits · ≈ 30 s · openai',
			},
		]);
		expect(requestsTo(sim, 'api')[0].query).toEqual({ type: 'image' });
	});

	it('lists every model without a Type', async () => {
		const { results } = await models(undefined);
		expect(results.map((r) => r.value)).toEqual(
			expect.arrayContaining(['flora-image-1', 'veo-3', 'eleven-multilingual-v2', 'gpt-4o']),
		);
		expect(requestsTo(sim, 'api')[0].query).toEqual({});
		// One credit, not "1 credits".
		expect(results.find((r) => r.value === 'gpt-4o')?.description).toBe(
			'≈ 1 credit · ≈ 4 s · openai',
		);
	});
});

describe('Project picker where the operation has no workspace (Project → Get, Attach Asset)', () => {
	const projectGet = (filter?: string, token?: string) =>
		search(
			'searchProjects',
			'parameters.project',
			{ resource: 'project', operation: 'get' },
			filter,
			token,
		);

	it('lists the projects of every workspace of the key, one workspace after the other', async () => {
		const pages = [];
		let token: string | undefined;
		do {
			const page = await projectGet(undefined, token);
			pages.push(page.results);
			token = page.paginationToken;
		} while (token && pages.length < 10);
		expect(pages.map((p) => p.length)).toEqual([7, 7, 7]);
		expect(pages.map((p) => p[0].description)).toEqual([
			'Workspace: Demo Workspace',
			'Workspace: Studio',
			'Workspace: Archive',
		]);
		const projectCalls = requestsTo(sim, 'api', /^\/projects$/).map((r) => r.query.workspace_id);
		expect(projectCalls).toEqual(['ws_demo', 'ws_studio', 'ws_archive']);
	});

	it("follows a workspace's own cursor before moving on to the next workspace", async () => {
		sim.configure({ projectsPerWorkspace: 60 });
		const first = await projectGet();
		expect(first.results).toHaveLength(50);
		const second = await projectGet(undefined, first.paginationToken);
		expect(second.results).toHaveLength(10);
		const third = await projectGet(undefined, second.paginationToken);
		expect(third.results[0].description).toBe('Workspace: Studio');
		const queries = requestsTo(sim, 'api', /^\/projects$/).map((r) => [
			r.query.workspace_id,
			r.query.cursor,
		]);
		expect(queries).toEqual([
			['ws_demo', undefined],
			['ws_demo', expect.any(String)],
			['ws_studio', undefined],
		]);
	});

	it('hands the search text to FLORA for each workspace', async () => {
		const { results } = await search(
			'searchProjects',
			'parameters.project',
			{ resource: 'project', operation: 'attachAsset' },
			'spring',
		);
		expect(results.map((r) => r.name)).toEqual(['Spring Campaign']);
		expect(requestsTo(sim, 'api', /^\/projects$/)[0].query).toMatchObject({ query: 'spring' });
	});
});
