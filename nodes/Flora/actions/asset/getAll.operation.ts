import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { locatorValue, projectLocator, workspaceLocator } from '../../helpers/descriptions';
import {
	LIMITS,
	optionalText,
	validateNumberInRange,
	validateProjectId,
	validateWorkspaceId,
} from '../../helpers/validation';
import { floraApiRequestAllItems } from '../../transport';

const properties: INodeProperties[] = [
	{
		displayName: 'Return All',
		name: 'returnAll',
		type: 'boolean',
		default: false,
		description: 'Whether to return all results or only up to a given limit',
	},
	{
		displayName: 'Limit',
		name: 'limit',
		type: 'number',
		default: 50,
		typeOptions: { minValue: LIMITS.getAllLimit.min, maxValue: LIMITS.getAllLimit.max },
		displayOptions: { show: { returnAll: [false] } },
		description: 'Max number of results to return',
	},
	{
		displayName: 'Filters',
		name: 'filters',
		type: 'collection',
		placeholder: 'Add Filter',
		default: {},
		options: [
			{
				...workspaceLocator,
				name: 'workspaceId',
				required: false,
				description: 'Only assets of this workspace (ID starting with ws_)',
			},
			projectLocator({
				name: 'projectId',
				description:
					'Only assets of this project (ID starting with prj_). Set the Workspace filter first to pick from a list.',
			}),
			{
				displayName: 'Search',
				name: 'query',
				type: 'string',
				default: '',
				placeholder: 'hero',
				description: 'Only assets whose name contains this text',
			},
		],
	},
];

export const description = updateDisplayOptions(
	{ show: { resource: ['asset'], operation: ['getAll'] } },
	properties,
);

interface ListRequest {
	qs: IDataObject;
	limit?: number;
}

export async function prepare(this: IExecuteFunctions, itemIndex: number): Promise<ListRequest> {
	const returnAll = this.getNodeParameter('returnAll', itemIndex, false) as boolean;
	const filters = this.getNodeParameter('filters', itemIndex, {}) as IDataObject;
	const qs: IDataObject = {};
	// Both filters are resource locators; expressions and agents may also give plain IDs.
	const workspace = locatorValue(filters.workspaceId);
	if (workspace !== undefined && workspace !== '') {
		qs.workspace_id = validateWorkspaceId(this, itemIndex, workspace);
	}
	const projectId = validateProjectId(this, itemIndex, 'Project', locatorValue(filters.projectId));
	if (projectId) qs.project_id = projectId;
	const query = optionalText(this, itemIndex, 'Search', filters.query);
	if (query) qs.query = query;
	const limit = returnAll
		? undefined
		: Math.floor(
				validateNumberInRange(
					this,
					itemIndex,
					'Limit',
					this.getNodeParameter('limit', itemIndex, 50),
					LIMITS.getAllLimit,
				),
			);
	return { qs, limit };
}

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	request: ListRequest,
): Promise<INodeExecutionData[]> {
	const assets = await floraApiRequestAllItems.call(this, {
		method: 'GET',
		path: '/assets',
		qs: request.qs,
		property: 'assets',
		limit: request.limit,
		itemIndex,
	});
	return assets.map((asset) => ({ json: asset }));
}
