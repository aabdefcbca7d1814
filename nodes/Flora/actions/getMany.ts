import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { locatorValue } from '../helpers/descriptions';
import {
	LIMITS,
	optionalText,
	validateChoice,
	validateNumberInRange,
	validateProjectId,
	validateTechniqueRef,
	validateWorkspaceId,
} from '../helpers/validation';
import { floraApiRequest, floraApiRequestAllItems } from '../transport';
import type { FloraOperation } from './types';
import { GENERATION_TYPES } from '../helpers/ids';

// What every Get Many operation shares: Return All / Limit, a Filters collection
// whose values become FLORA's query parameters, and the cursor pagination.

export const RUN_STATUSES = ['pending', 'running', 'completed', 'failed'] as const;

/** Options for an options field whose values are FLORA's words, e.g. `completed` → Completed. */
export function choicesOf(values: readonly string[]): Array<{ name: string; value: string }> {
	return values.map((value) => ({ name: value.charAt(0).toUpperCase() + value.slice(1), value }));
}

/** Where a list comes from: the path, the answer's list key, and the query. */
export interface ListQuery {
	path: string;
	property: string;
	qs: IDataObject;
}

export interface ListRequest extends ListQuery {
	/** Undefined with Return All. */
	limit?: number;
}

export interface GetManySpec {
	resource: string;
	/** Parameters shown before Return All, e.g. a required workspace. */
	fields?: INodeProperties[];
	/** Options of the Filters collection. */
	filters?: INodeProperties[];
	/** Validates the item's parameters and builds the request; sends nothing. */
	request(context: IExecuteFunctions, itemIndex: number, filters: IDataObject): ListQuery;
	/** FLORA answers the whole list at once (no cursor); the limit is applied here. */
	unpaginated?: boolean;
}

const returnAllAndLimit: INodeProperties[] = [
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
];

/**
 * FLORA's query parameters from a Filters collection: each filter checked, the
 * empty ones left out. Filters are resource locators in the editor; expressions
 * and AI agents may give plain IDs.
 */
export function filterQuery(
	context: IExecuteFunctions,
	itemIndex: number,
	filters: IDataObject,
): IDataObject {
	const qs: IDataObject = {};
	const workspace = locatorValue(filters.workspaceId);
	if (workspace !== undefined && workspace !== '') {
		qs.workspace_id = validateWorkspaceId(context, itemIndex, workspace);
	}
	const projectId = validateProjectId(
		context,
		itemIndex,
		'Project',
		locatorValue(filters.projectId),
	);
	if (projectId) qs.project_id = projectId;
	const techniqueId = validateTechniqueRef(
		context,
		itemIndex,
		'Technique',
		locatorValue(filters.techniqueId),
		false,
	);
	if (techniqueId) qs.technique_id = techniqueId;
	const status = validateChoice(context, itemIndex, 'Status', filters.status, RUN_STATUSES);
	if (status) qs.status = status;
	const type = validateChoice(context, itemIndex, 'Type', filters.type, GENERATION_TYPES);
	if (type) qs.type = type;
	const query = optionalText(context, itemIndex, 'Search', filters.query);
	if (query) qs.query = query;
	return qs;
}

/** A Get Many operation: description, prepare and execute. */
export function getManyOperation(spec: GetManySpec): FloraOperation<ListRequest> {
	const properties: INodeProperties[] = [...(spec.fields ?? []), ...returnAllAndLimit];
	if (spec.filters?.length) {
		properties.push({
			displayName: 'Filters',
			name: 'filters',
			type: 'collection',
			placeholder: 'Add Filter',
			default: {},
			options: spec.filters,
		});
	}
	return {
		description: updateDisplayOptions(
			{ show: { resource: [spec.resource], operation: ['getAll'] } },
			properties,
		),

		async prepare(this: IExecuteFunctions, itemIndex: number): Promise<ListRequest> {
			const returnAll = this.getNodeParameter('returnAll', itemIndex, false) as boolean;
			const filters = spec.filters?.length
				? (this.getNodeParameter('filters', itemIndex, {}) as IDataObject)
				: {};
			const query = spec.request(this, itemIndex, filters);
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
			return { ...query, limit };
		},

		async execute(
			this: IExecuteFunctions,
			itemIndex: number,
			request: ListRequest,
		): Promise<INodeExecutionData[]> {
			let entries: IDataObject[];
			if (spec.unpaginated) {
				const answer = await floraApiRequest.call(this, {
					method: 'GET',
					path: request.path,
					qs: request.qs,
					itemIndex,
				});
				const all = (answer[request.property] as IDataObject[] | undefined) ?? [];
				entries = request.limit === undefined ? all : all.slice(0, request.limit);
			} else {
				entries = await floraApiRequestAllItems.call(this, {
					method: 'GET',
					path: request.path,
					qs: request.qs,
					property: request.property,
					limit: request.limit,
					itemIndex,
				});
			}
			return entries.map((json) => ({ json }));
		},
	};
}
