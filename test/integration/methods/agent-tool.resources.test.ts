import type { INodeParameters } from 'n8n-workflow';

import { requestsTo, simulatorForFile } from '../harness/flora';
import { projectsOf, startGenerations } from '../harness/resources';
import { floraAsTool } from '../harness/contexts';

const sim = simulatorForFile({ runDurationMs: 60_000 });

const credentials = () => ({ apiKey: sim.apiKey, baseUrl: sim.apiBaseUrl });
const fromAI = (key: string, description: string, type = 'string') =>
	`={{ $fromAI('${key}', '${description}', '${type}') }}`;
const tool = (parameters: INodeParameters) => floraAsTool(parameters, credentials());

describe('Flora read operations as AI agent tools', () => {
	it('gets a run by the ID the agent gives, and explains a malformed one', async () => {
		const [runId] = await startGenerations(sim, 1);
		const getRun = tool({
			resource: 'run',
			operation: 'get',
			runId: fromAI('run_id', 'FLORA run ID, starts with run_'),
		});
		expect(getRun.argumentNames).toEqual(['run_id']);
		expect(getRun.description).toBe('Get a run in Flora');
		const before = sim.record.requests.length;
		expect(JSON.parse(await getRun.invoke({ run_id: runId }))).toEqual([
			expect.objectContaining({ run_id: runId, status: expect.any(String) }),
		]);
		const error = await getRun.invoke({ run_id: 'gen_42' }).catch((e: unknown) => e as Error);
		expect((error as Error).message).toMatch(
			/^Run ID "gen_42" is not a FLORA run ID\n\nDetails: A run ID starts with run_/,
		);
		expect(sim.record.requests.slice(before).map((r) => r.path)).toEqual([`/runs/${runId}`]);
	});

	it('tells the agent FLORA answered 404, with the code and request ID', async () => {
		const getRun = tool({
			resource: 'run',
			operation: 'get',
			runId: fromAI('run_id', 'FLORA run ID, starts with run_'),
		});
		const error = await getRun.invoke({ run_id: 'run_nope' }).catch((e: unknown) => e as Error);
		const [request] = requestsTo(sim, 'api');
		expect((error as Error).message).toContain('FLORA: Run not found.');
		expect((error as Error).message).toContain('FLORA answered 404 not_found.');
		expect((error as Error).message).toContain(`Request ID: ${request.requestId}.`);
	});

	it('lists projects of the workspace the agent names, with its search', async () => {
		const listProjects = tool({
			resource: 'project',
			operation: 'getAll',
			workspace: {
				__rl: true,
				mode: 'id',
				value: fromAI('workspace_id', 'FLORA workspace ID, starts with ws_'),
			},
			returnAll: true,
			filters: { query: fromAI('search', 'Text the project name contains') },
		});
		expect(listProjects.argumentNames).toEqual(['search', 'workspace_id']);
		const answer = JSON.parse(
			await listProjects.invoke({ workspace_id: 'ws_studio', search: 'spring' }),
		);
		const expected = (await projectsOf(sim, 'ws_studio')).filter(
			(p) => p.name === 'Spring Campaign',
		);
		expect(answer).toEqual(expected);
		expect(requestsTo(sim, 'api', /^\/projects$/)[0].query).toEqual({
			workspace_id: 'ws_studio',
			query: 'spring',
			limit: '100',
		});
	});

	it('gets a technique by the slug the agent gives', async () => {
		const getTechnique = tool({
			resource: 'technique',
			operation: 'get',
			technique: {
				__rl: true,
				mode: 'id',
				value: fromAI('technique', 'Technique ID (tech_…) or slug'),
			},
		});
		const [technique] = JSON.parse(await getTechnique.invoke({ technique: 'caption-writer' }));
		expect(technique).toMatchObject({
			technique_id: 'tech_caption_writer',
			inputs: expect.any(Array),
		});
	});
});
