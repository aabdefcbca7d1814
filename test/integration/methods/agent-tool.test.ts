import type { INodeParameters } from 'n8n-workflow';

import { locator } from '../../shared/flora';
import { requestsTo, simulatorForFile } from '../harness/flora';
import { floraAsTool } from '../harness/contexts';

const sim = simulatorForFile({ urlReadyAfterPolls: 1 });

const credentials = () => ({ apiKey: sim.apiKey, baseUrl: sim.apiBaseUrl });
const fromAI = (key: string, description: string, type = 'string') =>
	`={{ $fromAI('${key}', '${description}', '${type}') }}`;
const agentWorkspace = locator(fromAI('workspace_id', 'FLORA workspace ID, starts with ws_'));
const tool = (parameters: INodeParameters) => floraAsTool(parameters, credentials());

describe('Flora as an AI agent tool', () => {
	it('asks the agent for exactly the $fromAI() arguments', () => {
		const create = tool({
			operation: 'create',
			workspace: agentWorkspace,
			source: 'url',
			url: fromAI('url', 'Public HTTPS URL of the file'),
		});
		expect(create.argumentNames).toEqual(['url', 'workspace_id']);
		expect(create.description).toBe('Create an asset in Flora');
	});

	it('creates an asset from a URL the agent gives and answers with the ready asset', async () => {
		const create = tool({
			operation: 'create',
			workspace: agentWorkspace,
			source: 'url',
			url: fromAI('url', 'Public HTTPS URL of the file'),
		});
		const answer = JSON.parse(
			await create.invoke({ workspace_id: 'ws_studio', url: 'https://cdn.example.com/agent.png' }),
		);
		const [asset] = sim.assets();
		expect(asset).toMatchObject({
			workspace_id: 'ws_studio',
			source: 'https://cdn.example.com/agent.png',
		});
		expect(answer).toEqual([
			expect.objectContaining({ asset_id: asset.asset_id, status: 'ready', url: asset.url }),
		]);
	});

	it('reserves an upload and hands the agent the one-time form', async () => {
		const reserve = tool({
			operation: 'create',
			workspace: agentWorkspace,
			source: 'signedUrl',
			additionalFields: { fileName: fromAI('file_name', 'File name with extension') },
		});
		const [reservation] = JSON.parse(
			await reserve.invoke({ workspace_id: 'ws_demo', file_name: 'clip.mp4' }),
		);
		expect(reservation).toMatchObject({
			asset_id: sim.assets()[0].asset_id,
			status: 'pending_upload',
			upload_url: sim.uploadUrl,
		});
		expect(requestsTo(sim, 'upload')).toHaveLength(0);
	});

	it('tells the agent that binary files cannot cross to a tool, and what to use instead', async () => {
		const create = tool({ operation: 'create', workspace: agentWorkspace, source: 'binary' });
		const error = await create
			.invoke({ workspace_id: 'ws_demo' })
			.catch((e: unknown) => e as Error);
		expect(error).toBeInstanceOf(Error);
		// n8n appends the description to what the agent reads.
		expect((error as Error).message).toBe(
			'Binary files cannot be passed to this tool by an AI agent\n\n' +
				'Details: An agent cannot hand binary data to a tool. Give the agent the URL source instead ' +
				'(a public HTTPS link), or use this node in a normal workflow step after the node that makes the file.',
		);
		expect(sim.record.requests).toEqual([]);
	});

	it('explains a bad URL from the agent so that it can correct itself', async () => {
		const create = tool({
			operation: 'create',
			workspace: agentWorkspace,
			source: 'url',
			url: fromAI('url', 'Public HTTPS URL of the file'),
		});
		const error = await create
			.invoke({ workspace_id: 'ws_demo', url: 'http://cdn.example.com/a.png' })
			.catch((e: unknown) => e as Error);
		expect((error as Error).message).toMatch(
			/^URL must use HTTPS, but it starts with "http:"\n\nDetails: /,
		);
		expect(sim.record.requests).toEqual([]);
	});

	it('gets an asset by the ID the agent gives, and says so clearly when there is none', async () => {
		const [asset] = sim.seedAssets(1, { name: 'logo.png' });
		const get = tool({
			operation: 'get',
			assetId: fromAI('asset_id', 'FLORA asset ID, starts with asset_'),
		});
		expect(JSON.parse(await get.invoke({ asset_id: asset.asset_id }))).toEqual([
			expect.objectContaining({ asset_id: asset.asset_id, name: 'logo.png' }),
		]);
		const error = await get.invoke({ asset_id: 'asset_missing' }).catch((e: unknown) => e as Error);
		expect((error as Error).message).toMatch(
			/^FLORA: Asset asset_missing was not found or is not accessible\n\nDetails: FLORA answered 404 not_found\./,
		);
	});

	it('lists assets with the search and limit the agent chooses', async () => {
		sim.seedAssets(4, { name: 'banner.png' });
		sim.seedAssets(2, { name: 'other.png' });
		const getAll = tool({
			operation: 'getAll',
			returnAll: false,
			limit: fromAI('limit', 'How many assets at most', 'number'),
			filters: { query: fromAI('search', 'Text the asset name contains') },
		});
		const answer = JSON.parse(await getAll.invoke({ search: 'banner', limit: 3 }));
		expect(answer).toHaveLength(3);
		expect(answer.every((a: { name: string }) => a.name === 'banner.png')).toBe(true);
		expect(requestsTo(sim, 'api', /^\/assets$/)[0].query).toEqual({ query: 'banner', limit: '3' });
	});
});
