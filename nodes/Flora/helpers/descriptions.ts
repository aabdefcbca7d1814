import type { IDataObject, INodeProperties, INodePropertyOptions } from 'n8n-workflow';

import { ID_PATTERNS, TECHNIQUE_REF_PATTERN } from './ids';

/** A resource locator with a searchable list and a validated ID mode. */
function locator(spec: {
	displayName: string;
	name: string;
	description: string;
	searchListMethod: string;
	listPlaceholder: string;
	idPlaceholder: string;
	idRegex: string;
	idError: string;
}): INodeProperties {
	return {
		displayName: spec.displayName,
		name: spec.name,
		type: 'resourceLocator',
		default: { mode: 'list', value: '' },
		description: spec.description,
		modes: [
			{
				displayName: 'From List',
				name: 'list',
				type: 'list',
				placeholder: spec.listPlaceholder,
				typeOptions: {
					searchListMethod: spec.searchListMethod,
					searchable: true,
				},
			},
			{
				displayName: 'ID',
				name: 'id',
				type: 'string',
				placeholder: spec.idPlaceholder,
				validation: [
					{
						type: 'regex',
						properties: { regex: spec.idRegex, errorMessage: spec.idError },
					},
				],
			},
		],
	};
}

/** The target workspace, picked from FLORA's list or typed as an ID. */
export const workspaceLocator: INodeProperties = {
	...locator({
		displayName: 'Workspace',
		name: 'workspace',
		description:
			'FLORA workspace the asset goes into. Pick it from the list, or give its ID (starts with ws_, e.g. ws_abc123).',
		searchListMethod: 'searchWorkspaces',
		listPlaceholder: 'Select a workspace...',
		idPlaceholder: 'ws_abc123',
		idRegex: ID_PATTERNS.workspace,
		idError: 'A workspace ID starts with ws_ (for example ws_abc123)',
	}),
	required: true,
};

/** An optional Workspace filter of a Get Many operation. */
export function workspaceFilter(description: string): INodeProperties {
	return { ...workspaceLocator, name: 'workspaceId', required: false, description };
}

/** A FLORA project, picked from the chosen workspace's list or typed as an ID. */
export function projectLocator(
	overrides: Partial<INodeProperties> & Pick<INodeProperties, 'name'>,
): INodeProperties {
	return {
		...locator({
			displayName: 'Project',
			name: overrides.name,
			description:
				'FLORA project (canvas) the asset belongs to; its ID starts with prj_. Choose the workspace first to pick from the list.',
			searchListMethod: 'searchProjects',
			listPlaceholder: 'Select a project...',
			idPlaceholder: 'prj_abc123',
			idRegex: ID_PATTERNS.project,
			idError: 'A project ID starts with prj_ (for example prj_abc123)',
		}),
		...overrides,
	};
}

/** A FLORA technique, picked from the list or typed as its ID or slug. */
export function techniqueLocator(
	overrides: Partial<INodeProperties> & Pick<INodeProperties, 'name'>,
): INodeProperties {
	return {
		...locator({
			displayName: 'Technique',
			name: overrides.name,
			description:
				'FLORA technique (a saved, reusable FLORA workflow). Pick it from the list, or give its ID (starts with tech_, e.g. tech_abc123) or its slug (e.g. product-photo-variants).',
			searchListMethod: 'searchTechniques',
			listPlaceholder: 'Select a technique...',
			idPlaceholder: 'tech_abc123 or product-photo-variants',
			idRegex: TECHNIQUE_REF_PATTERN,
			idError:
				'A technique ID starts with tech_ (for example tech_abc123); a slug has only letters, digits, dots, hyphens and underscores',
		}),
		...overrides,
	};
}

/** The Search filter of a Get Many operation. */
export function searchFilter(description: string): INodeProperties {
	return {
		displayName: 'Search',
		name: 'query',
		type: 'string',
		default: '',
		placeholder: 'hero',
		description,
	};
}

/** The Idempotency Key option of an operation that creates something in FLORA. */
export function idempotencyKeyOption(thing: string): INodeProperties {
	return {
		displayName: 'Idempotency Key',
		name: 'idempotencyKey',
		type: 'string',
		default: '',
		description: `Sent with the create request so FLORA never makes the same ${thing} twice. Leave empty to derive one from the execution, node and item. Set an expression that stays the same across executions (for example a checksum or an upstream request ID) to also be safe under "Retry execution". At most 255 characters.`,
	};
}

/** The value of a resource locator (`{ mode, value }`), or a plain value as it is. */
export function locatorValue(value: unknown): unknown {
	return value !== null && typeof value === 'object' ? (value as IDataObject).value : value;
}

/** A resource's Operation selector; each option has its action label. */
export function operationSelector(
	resource: string,
	defaultOperation: string,
	options: Array<INodePropertyOptions & { action: string; description: string }>,
): INodeProperties {
	return {
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: [resource] } },
		options,
		default: defaultOperation,
	};
}

/** The Asset ID field of an operation that acts on one asset. */
export function assetIdField(description: string): INodeProperties {
	return {
		displayName: 'Asset ID',
		name: 'assetId',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'asset_abc123',
		description,
	};
}

/** A generation model, picked from FLORA's list for the chosen type or typed as its ID. */
export const modelLocator: INodeProperties = locator({
	displayName: 'Model',
	name: 'model',
	description:
		"The model that generates. Leave empty to use the workspace's default model for the type. The list shows each model's estimated credits and time.",
	searchListMethod: 'searchModels',
	listPlaceholder: 'Select a model...',
	idPlaceholder: 'flux-1.1-pro',
	idRegex: '^\\S+$',
	idError: 'A model ID has no spaces (for example flux-1.1-pro)',
});
