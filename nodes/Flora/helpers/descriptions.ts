import type { IDataObject, INodeProperties } from 'n8n-workflow';

import { ID_PATTERNS } from './ids';

/** The target workspace, picked from FLORA's list or typed as an ID. */
export const workspaceLocator: INodeProperties = {
	displayName: 'Workspace',
	name: 'workspace',
	type: 'resourceLocator',
	default: { mode: 'list', value: '' },
	required: true,
	description:
		'FLORA workspace the asset goes into. Pick it from the list, or give its ID (starts with ws_, e.g. ws_abc123).',
	modes: [
		{
			displayName: 'From List',
			name: 'list',
			type: 'list',
			placeholder: 'Select a workspace...',
			typeOptions: {
				searchListMethod: 'searchWorkspaces',
				searchable: true,
			},
		},
		{
			displayName: 'ID',
			name: 'id',
			type: 'string',
			placeholder: 'ws_abc123',
			validation: [
				{
					type: 'regex',
					properties: {
						regex: ID_PATTERNS.workspace,
						errorMessage: 'A workspace ID starts with ws_ (for example ws_abc123)',
					},
				},
			],
		},
	],
};

/** A FLORA project, picked from the chosen workspace's list or typed as an ID. */
export function projectLocator(
	overrides: Partial<INodeProperties> & Pick<INodeProperties, 'name'>,
): INodeProperties {
	return {
		displayName: 'Project',
		type: 'resourceLocator',
		default: { mode: 'list', value: '' },
		description:
			'FLORA project (canvas) the asset belongs to; its ID starts with prj_. Choose the workspace first to pick from the list.',
		modes: [
			{
				displayName: 'From List',
				name: 'list',
				type: 'list',
				placeholder: 'Select a project...',
				typeOptions: {
					searchListMethod: 'searchProjects',
					searchable: true,
				},
			},
			{
				displayName: 'ID',
				name: 'id',
				type: 'string',
				placeholder: 'prj_abc123',
				validation: [
					{
						type: 'regex',
						properties: {
							regex: ID_PATTERNS.project,
							errorMessage: 'A project ID starts with prj_ (for example prj_abc123)',
						},
					},
				],
			},
		],
		...overrides,
	};
}

/** The value of a resource locator (`{ mode, value }`), or a plain value as it is. */
export function locatorValue(value: unknown): unknown {
	return value !== null && typeof value === 'object' ? (value as IDataObject).value : value;
}

/** A generation model, picked from FLORA's list for the chosen type or typed as its ID. */
export const modelLocator: INodeProperties = {
	displayName: 'Model',
	name: 'model',
	type: 'resourceLocator',
	default: { mode: 'list', value: '' },
	description:
		"The model that generates. Leave empty to use the workspace's default model for the type. The list shows each model's estimated credits and time.",
	modes: [
		{
			displayName: 'From List',
			name: 'list',
			type: 'list',
			placeholder: 'Select a model...',
			typeOptions: {
				searchListMethod: 'searchModels',
				searchable: true,
			},
		},
		{
			displayName: 'ID',
			name: 'id',
			type: 'string',
			placeholder: 'flux-1.1-pro',
			validation: [
				{
					type: 'regex',
					properties: {
						regex: '^\\S+$',
						errorMessage: 'A model ID has no spaces (for example flux-1.1-pro)',
					},
				},
			],
		},
	],
};

/** A technique (a saved FLORA workflow), picked from the workspace's list or typed as its ID or slug. */
export const techniqueLocator: INodeProperties = {
	displayName: 'Technique',
	name: 'technique',
	type: 'resourceLocator',
	default: { mode: 'list', value: '' },
	required: true,
	description:
		'The FLORA technique to run. Pick it from the list, or give its ID (starts with tech_) or its slug.',
	modes: [
		{
			displayName: 'From List',
			name: 'list',
			type: 'list',
			placeholder: 'Select a technique...',
			typeOptions: {
				searchListMethod: 'searchTechniques',
				searchable: true,
			},
		},
		{
			displayName: 'ID or Slug',
			name: 'id',
			type: 'string',
			placeholder: 'tech_abc123',
			validation: [
				{
					type: 'regex',
					properties: {
						regex: '^\\S+$',
						errorMessage: 'A technique ID or slug has no spaces (for example tech_abc123)',
					},
				},
			],
		},
	],
};
