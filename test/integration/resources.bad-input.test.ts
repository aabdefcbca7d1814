/**
 * Bad input to the project, run, technique and model operations, refused before any
 * request. The first item is fine and the second is not, so each message must name the
 * second item, and nothing may reach FLORA, not even the first item's request.
 */
import type { IDataObject } from 'n8n-workflow';

import { descriptionOf, itemIndexOf, itemValue, runResource } from './harness/resources';
import { locator, simulatorForFile } from './harness/flora';

const sim = simulatorForFile();

interface Case {
	resource: string;
	field: string;
	/** Parameters reading `$json.v` where the bad value goes. */
	parameters: IDataObject;
	good: unknown;
	bad: unknown;
	message: string;
}

const byId = locator(itemValue);
const technique = (extra: IDataObject = {}) => ({ operation: 'get', technique: byId, ...extra });
const runGet = (extra: IDataObject) => ({ operation: 'get', runId: 'run_abc', ...extra });
const runs = (filters: IDataObject, extra: IDataObject = {}) => ({
	operation: 'getAll',
	runKind: 'technique',
	filters,
	...extra,
});
const projectCreate = (extra: IDataObject) => ({
	operation: 'create',
	workspace: locator('ws_demo'),
	name: 'Launch',
	...extra,
});
const attach = (extra: IDataObject) => ({
	operation: 'attachAsset',
	project: locator('prj_abc'),
	assetId: 'asset_abc',
	...extra,
});

const cases: Case[] = [
	{
		resource: 'technique',
		field: 'Technique',
		parameters: technique(),
		good: 'caption-writer',
		bad: '',
		message: 'Technique is empty',
	},
	{
		resource: 'technique',
		field: 'Technique',
		parameters: technique(),
		good: 'caption-writer',
		bad: 'caption writer',
		message: 'Technique "caption writer" is neither a FLORA technique ID nor a technique slug',
	},
	{
		resource: 'technique',
		field: 'Technique',
		parameters: technique(),
		good: 'tech_caption_writer',
		bad: '../runs',
		message: 'Technique "../runs" is neither a FLORA technique ID nor a technique slug',
	},
	{
		resource: 'technique',
		field: 'Workspace filter',
		parameters: { operation: 'getAll', filters: { workspaceId: byId } },
		good: 'ws_demo',
		bad: 'demo',
		message: 'Workspace ID "demo" is not a FLORA workspace ID',
	},
	{
		resource: 'technique',
		field: 'Limit',
		parameters: { operation: 'getAll', returnAll: false, limit: itemValue },
		good: 5,
		bad: 0,
		message: 'Limit must be a number from 1 to 10000, but it is 0',
	},
	{
		resource: 'run',
		field: 'Run ID',
		parameters: runGet({ runId: itemValue }),
		good: 'run_abc',
		bad: '',
		message: 'Run ID is empty',
	},
	{
		resource: 'run',
		field: 'Run ID',
		parameters: runGet({ runId: itemValue }),
		good: 'run_abc',
		bad: 'gen_123',
		message: 'Run ID "gen_123" is not a FLORA run ID',
	},
	{
		resource: 'run',
		field: 'Technique ID',
		parameters: runGet({ techniqueId: itemValue }),
		good: 'caption-writer',
		bad: 'caption/writer',
		message: 'Technique ID "caption/writer" is neither a FLORA technique ID nor a technique slug',
	},
	{
		resource: 'run',
		field: 'Run Kind',
		parameters: runs({}, { runKind: itemValue }),
		good: 'generation',
		bad: 'video',
		message: 'Run Kind "video" is not one of generation, technique',
	},
	{
		resource: 'run',
		field: 'Status filter',
		parameters: runs({ status: itemValue }),
		good: 'failed',
		bad: 'done',
		message: 'Status "done" is not one of pending, running, completed, failed',
	},
	{
		resource: 'run',
		field: 'Project filter',
		parameters: runs({ projectId: byId }),
		good: 'prj_abc',
		bad: 'Launch',
		message: 'Project "Launch" is not a FLORA project ID',
	},
	{
		resource: 'run',
		field: 'Technique filter',
		parameters: runs({ techniqueId: byId }),
		good: 'caption-writer',
		bad: 'caption writer',
		message: 'Technique "caption writer" is neither a FLORA technique ID nor a technique slug',
	},
	{
		resource: 'model',
		field: 'Type filter',
		parameters: { operation: 'getAll', filters: { type: itemValue } },
		good: 'image',
		bad: 'picture',
		message: 'Type "picture" is not one of image, video, audio, text',
	},
	{
		resource: 'project',
		field: 'Workspace',
		parameters: projectCreate({ workspace: byId }),
		good: 'ws_demo',
		bad: '',
		message: 'Workspace is empty',
	},
	{
		resource: 'project',
		field: 'Name',
		parameters: projectCreate({ name: itemValue }),
		good: 'Launch',
		bad: '',
		message: 'Name is empty',
	},
	{
		resource: 'project',
		field: 'Name',
		parameters: projectCreate({ name: itemValue }),
		good: 'Launch',
		bad: '   ',
		message: 'Name contains only spaces',
	},
	{
		resource: 'project',
		field: 'Idempotency Key',
		parameters: projectCreate({ options: { idempotencyKey: itemValue } }),
		good: 'k'.repeat(255),
		bad: 'k'.repeat(256),
		message: 'Idempotency Key is 256 characters long; the most FLORA accepts is 255',
	},
	{
		resource: 'project',
		field: 'Project (Get)',
		parameters: { operation: 'get', project: byId },
		good: 'prj_abc',
		bad: '',
		message: 'Project is empty',
	},
	{
		resource: 'project',
		field: 'Project (Get)',
		parameters: { operation: 'get', project: byId },
		good: 'prj_abc',
		bad: 'prj_a b',
		message: 'Project ID "prj_a b" is not a FLORA project ID',
	},
	{
		resource: 'project',
		field: 'Workspace (Get Many)',
		parameters: { operation: 'getAll', workspace: byId },
		good: 'ws_demo',
		bad: 'workspace-1',
		message: 'Workspace ID "workspace-1" is not a FLORA workspace ID',
	},
	{
		resource: 'project',
		field: 'Search (Get Many)',
		parameters: {
			operation: 'getAll',
			workspace: locator('ws_demo', 'list'),
			filters: { query: itemValue },
		},
		good: 'spring',
		bad: '  ',
		message: 'Search contains only spaces',
	},
	{
		resource: 'project',
		field: 'Project (Attach Asset)',
		parameters: attach({ project: byId }),
		good: 'prj_abc',
		bad: 'asset_abc',
		message: 'Project ID "asset_abc" is not a FLORA project ID',
	},
	{
		resource: 'project',
		field: 'Asset ID (Attach Asset)',
		parameters: attach({ assetId: itemValue }),
		good: 'asset_abc',
		bad: '',
		message: 'Asset ID is empty',
	},
];

describe('Bad input to the project, run, technique and model operations', () => {
	it.each(cases.map((c) => [`${c.resource}: ${c.field} = ${JSON.stringify(c.bad)}`, c] as const))(
		'%s',
		async (_name, c) => {
			const result = await runResource(sim, c.resource, c.parameters, {
				items: [{ json: { v: c.good } as IDataObject }, { json: { v: c.bad } as IDataObject }],
			});
			expect(result.error?.message).toBe(c.message);
			expect(result.error?.constructor.name).toBe('NodeOperationError');
			expect(itemIndexOf(result.error)).toBe(1);
			expect(descriptionOf(result.error).length).toBeGreaterThan(20);
			expect(result.requests).toEqual([]);
		},
	);
});
