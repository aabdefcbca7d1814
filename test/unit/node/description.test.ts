/**
 * What n8n's editor and AI agents read from the node's description: pickers, hints, icons,
 * codex categories and documentation links.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import type {
	INodeProperties,
	INodePropertyCollection,
	INodePropertyModeTypeOptions,
} from 'n8n-workflow';
import { NodeHelpers, Workflow } from 'n8n-workflow';

import { FloraApi } from '../../../credentials/FloraApi.credentials';
import { Flora } from '../../../nodes/Flora/Flora.node';

const root = resolve(__dirname, '../../..');
const node = new Flora();
const { description } = node;

// The categories n8n's nodes panel knows (docs.n8n.io, "Node codex files").
const CODEX_CATEGORIES = [
	'Analytics',
	'Communication',
	'Data & Storage',
	'Development',
	'Finance & Accounting',
	'Marketing & Content',
	'Miscellaneous',
	'Productivity',
	'Sales',
	'Utility',
];

/** Every parameter, with the collection options inside it, and its path for messages. */
function allParameters(
	properties: INodeProperties[],
	prefix = '',
): Array<[string, INodeProperties]> {
	return properties.flatMap((p) => {
		const path = `${prefix}${p.name}`;
		const nested = (p.options ?? []).filter(
			(o): o is INodeProperties => typeof o === 'object' && 'type' in o && 'displayName' in o,
		);
		const groups = (p.options ?? []).filter(
			(o): o is INodePropertyCollection => typeof o === 'object' && 'values' in o,
		);
		return [
			[path, p] as [string, INodeProperties],
			...allParameters(nested, `${path}.`),
			...groups.flatMap((g) => allParameters(g.values, `${path}.${g.name}.`)),
		];
	});
}

const parameters = allParameters(description.properties);
const byPath = (path: string) => {
	const found = parameters.filter(([p]) => p === path).map(([, property]) => property);
	if (found.length === 0) throw new Error(`no parameter ${path}`);
	return found;
};

/** `resource.operation` of a parameter from its display options, e.g. `asset.create`. */
function shownFor(property: INodeProperties): string {
	const owner = parameters.find(
		([, top]) => top === property || (top.options ?? []).includes(property as never),
	)?.[1];
	const show = (owner ?? property).displayOptions?.show ?? {};
	return `${(show.resource as string[])?.join('|')}.${(show.operation as string[])?.join('|')}`;
}

function idRegex(property: INodeProperties): RegExp {
	const mode = property.modes?.find((m) => m.name === 'id');
	const rule = mode?.validation?.find((v) => typeof v === 'object' && v.type === 'regex') as
		| { properties: { regex: string } }
		| undefined;
	if (!rule) throw new Error(`${property.name} has no validated ID mode`);
	return new RegExp(rule.properties.regex);
}

describe('Flora node description', () => {
	it('can be used as an AI agent tool', () => {
		expect(description.usableAsTool).toBe(true);
	});

	it('shows operation and resource in its subtitle', () => {
		const workflowNode = {
			id: 'n1',
			name: 'Flora',
			type: 'n8n-nodes-flora.flora',
			typeVersion: 1,
			position: [0, 0] as [number, number],
			parameters: NodeHelpers.getNodeParameters(
				description.properties,
				{ operation: 'getAll' },
				true,
				false,
				null,
				description,
			)!,
		};
		const workflow = new Workflow({
			nodes: [workflowNode],
			connections: {},
			active: false,
			nodeTypes: {
				getByName: () => node,
				getByNameAndVersion: () => node,
				getKnownTypes: () => ({}),
			},
		});
		const subtitle = workflow.expression.getSimpleParameterValue(
			workflowNode,
			description.subtitle!,
			'internal',
			{},
		);
		expect(subtitle).toBe('getAll: asset');
	});

	it('has light and dark icons that exist and differ, for the node and the credential', () => {
		for (const [folder, icon] of [
			['nodes/Flora', description.icon],
			['credentials', new FloraApi().icon],
		] as const) {
			const { light, dark } = icon as { light: string; dark: string };
			const read = (ref: string) =>
				readFileSync(join(root, folder, ref.replace(/^file:/, '')), 'utf8');
			expect(read(light)).toMatch(/^<svg[^>]+viewBox="0 0 64 64"/);
			expect(read(dark)).toMatch(/^<svg[^>]+viewBox="0 0 64 64"/);
			expect(read(light)).not.toBe(read(dark));
		}
	});

	it('has a codex with valid categories and documentation links', () => {
		const codex = JSON.parse(readFileSync(join(root, 'nodes/Flora/Flora.node.json'), 'utf8'));
		expect(codex.node).toBe(`n8n-nodes-flora.${description.name}`);
		expect(codex.nodeVersion).toBe(`${description.version}.0`);
		expect(codex.categories.length).toBeGreaterThan(0);
		for (const category of codex.categories) expect(CODEX_CATEGORIES).toContain(category);
		const links = [
			...codex.resources.primaryDocumentation,
			...codex.resources.credentialDocumentation,
		];
		expect(links.length).toBeGreaterThanOrEqual(2);
		for (const { url } of links) expect(url).toMatch(/^https:\/\//);
	});

	it('describes every parameter, so that users and agents know what FLORA expects', () => {
		const undescribed = parameters
			// Collections are headings for their options, which carry the descriptions.
			.filter(([, p]) => !['notice', 'collection', 'fixedCollection'].includes(p.type))
			.filter(([, p]) => !['resource', 'operation'].includes(p.name))
			.filter(([, p]) => !p.description || p.description.trim().length < 10)
			.map(([path]) => path);
		expect(undescribed).toEqual([]);
	});

	it('says which sizes and types FLORA accepts where the file comes in', () => {
		const [binaryField] = byPath('binaryPropertyName');
		expect(binaryField.description).toMatch(/150 MP/);
		expect(binaryField.description).toMatch(/video, audio and PDF/);
		const [url] = byPath('url');
		expect(url.description).toMatch(/HTTPS/);
		expect(url.description).toMatch(/50 MB/);
	});

	it('has a hint on Wait for Ready', () => {
		const [wait] = byPath('options.waitForReady');
		expect(wait.hint).toMatch(/pending_upload/);
	});

	it('lets users pick workspaces, projects, models and techniques from lists backed by existing methods', () => {
		const locators = parameters.filter(([, p]) => p.type === 'resourceLocator');
		expect(locators.map(([path, p]) => `${shownFor(p)}:${path}`).sort()).toEqual([
			'asset.create:additionalFields.projectId',
			'asset.create:workspace',
			'asset.getAll:filters.projectId',
			'asset.getAll:filters.workspaceId',
			'generation.create:model',
			'generation.create:project',
			'generation.create:workspace',
			'project.attachAsset:project',
			'project.create:workspace',
			'project.get:project',
			'project.getAll:workspace',
			'run.getAll:filters.projectId',
			'run.getAll:filters.techniqueId',
			'run.getAll:filters.workspaceId',
			'technique.get:technique',
			'technique.getAll:filters.workspaceId',
			'technique.run:project',
			'technique.run:technique',
			'technique.run:workspace',
		]);
		for (const [path, locator] of locators) {
			const list = locator.modes?.find((m) => m.name === 'list');
			const options = list?.typeOptions as INodePropertyModeTypeOptions | undefined;
			expect({ path, searchable: options?.searchable }).toEqual({ path, searchable: true });
			expect(node.methods.listSearch).toHaveProperty(options!.searchListMethod!);
		}
	});

	it("shows a model's params and a technique's inputs as typed fields from resource-mapper methods", () => {
		const [modelParameters] = byPath('modelParameters');
		const [inputs] = byPath('inputs');
		expect(modelParameters.type).toBe('resourceMapper');
		expect(modelParameters.typeOptions).toMatchObject({
			loadOptionsDependsOn: ['type', 'model.value'],
			resourceMapper: {
				resourceMapperMethod: 'getModelParameters',
				mode: 'add',
				fieldWords: { singular: 'parameter', plural: 'parameters' },
				supportAutoMap: false,
			},
		});
		expect(inputs.typeOptions).toMatchObject({
			loadOptionsDependsOn: ['technique.value'],
			resourceMapper: {
				resourceMapperMethod: 'getTechniqueInputs',
				mode: 'add',
				supportAutoMap: false,
			},
		});
		expect(node.methods.resourceMapping).toHaveProperty('getModelParameters');
		expect(node.methods.resourceMapping).toHaveProperty('getTechniqueInputs');
	});

	it('offers Poll (the default) and Webhook as the Wait Mode', () => {
		for (const waitMode of byPath('options.waitMode')) {
			expect(waitMode.options).toEqual([
				expect.objectContaining({ value: 'poll' }),
				expect.objectContaining({ value: 'webhook' }),
			]);
			expect(waitMode.default).toBe('poll');
		}
	});

	it("declares one restart webhook at the node's ID, as n8n's send-and-wait nodes do", () => {
		expect(new Flora().description.webhooks).toEqual([
			{
				name: 'default',
				httpMethod: 'POST',
				responseMode: 'onReceived',
				path: '={{ $nodeId }}',
				restartWebhook: true,
				isFullPath: true,
			},
		]);
	});

	it('offers a model picker method for the generation form', () => {
		expect(typeof node.methods.listSearch.searchModels).toBe('function');
	});

	it('lists the resources alphabetically, each with its operations and action labels', () => {
		const [resource] = byPath('resource');
		const names = (resource.options as Array<{ name: string; value: string }>).map((o) => o.name);
		expect(names).toEqual([...names].sort());
		const actions = Object.fromEntries(
			parameters
				.filter(([path]) => path === 'operation')
				.map(([, p]) => [
					(p.displayOptions?.show?.resource as string[])[0],
					(p.options as Array<{ value: string; action: string }>).map(
						(o) => `${o.value}: ${o.action}`,
					),
				]),
		);
		expect(actions).toMatchObject({
			generation: ['create: Generate an image, video, audio or text'],
			model: ['getAll: Get many models'],
			project: [
				'attachAsset: Attach an asset to a project',
				'create: Create a project',
				'get: Get a project',
				'getAll: Get many projects',
			],
			run: ['get: Get a run', 'getAll: Get many runs'],
			technique: ['get: Get a technique', 'getAll: Get many techniques', 'run: Run a technique'],
		});
	});

	it('gives every Get Many Return All and a Limit of 1 to 10,000', () => {
		const getMany = parameters.filter(([, p]) =>
			(p.displayOptions?.show?.operation as string[] | undefined)?.includes('getAll'),
		);
		const owners = (name: string) =>
			getMany
				.filter(([path]) => path === name)
				.map(([, p]) => shownFor(p))
				.sort();
		const all = [
			'asset.getAll',
			'model.getAll',
			'project.getAll',
			'run.getAll',
			'technique.getAll',
		];
		expect(owners('returnAll')).toEqual(all);
		expect(owners('limit')).toEqual(all);
		for (const [path, p] of getMany.filter(([name]) => name === 'limit')) {
			expect({ path, ...p.typeOptions }).toEqual({ path, minValue: 1, maxValue: 10_000 });
		}
	});

	it('says what each FLORA ID looks like wherever one is asked for', () => {
		const idFields: Array<[string, string]> = [
			['assetId', 'asset_'],
			['runId', 'run_'],
			['techniqueId', 'tech_'],
			['project', 'prj_'],
			['technique', 'tech_'],
			['workspace', 'ws_'],
		];
		for (const [name, prefix] of idFields) {
			for (const p of byPath(name)) {
				expect({ name, description: p.description }).toEqual({
					name,
					description: expect.stringContaining(prefix),
				});
			}
		}
	});

	it('validates typed workspace and project IDs in the ID mode', () => {
		for (const workspace of [...byPath('workspace'), ...byPath('filters.workspaceId')]) {
			const regex = idRegex(workspace);
			expect(regex.test('ws_abc123')).toBe(true);
			for (const bad of ['abc123', 'prj_abc', 'ws_', 'ws_ab c'])
				expect(regex.test(bad)).toBe(false);
		}
		for (const project of [
			...byPath('additionalFields.projectId'),
			...byPath('filters.projectId'),
		]) {
			const regex = idRegex(project);
			expect(regex.test('prj_abc123')).toBe(true);
			for (const bad of ['abc123', 'ws_abc', 'prj_']) expect(regex.test(bad)).toBe(false);
		}
	});

	it('takes a technique ID or slug in the ID mode, nothing that would change the path', () => {
		for (const technique of [...byPath('technique'), ...byPath('filters.techniqueId')]) {
			const regex = idRegex(technique);
			for (const good of ['tech_abc123', 'product-photo-variants', 'video-upscale-8k'])
				expect(regex.test(good)).toBe(true);
			for (const bad of ['', 'two words', 'a/b', '../runs', '-x'])
				expect(regex.test(bad)).toBe(false);
		}
	});

	it('only requires the workspace where an asset is created', () => {
		expect(byPath('workspace')[0].required).toBe(true);
		expect(byPath('filters.workspaceId')[0].required).toBe(false);
	});
});
