import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { floraApiRequest } from '../transport';
import type { FloraOperation } from './types';

export interface GetOneSpec {
	resource: string;
	properties: INodeProperties[];
	/** Validates the item's parameters and gives the path to read; sends nothing. */
	path(context: IExecuteFunctions, itemIndex: number): string;
}

/**
 * A Get operation: one `GET` per item, FLORA's answer as the output. FLORA's
 * errors, 404 included, come out as FLORA API errors with code and request ID.
 */
export function getOneOperation(spec: GetOneSpec): FloraOperation<string> {
	return {
		description: updateDisplayOptions(
			{ show: { resource: [spec.resource], operation: ['get'] } },
			spec.properties,
		),

		async prepare(this: IExecuteFunctions, itemIndex: number): Promise<string> {
			return spec.path(this, itemIndex);
		},

		async execute(
			this: IExecuteFunctions,
			itemIndex: number,
			path: string,
		): Promise<INodeExecutionData[]> {
			return [{ json: await floraApiRequest.call(this, { method: 'GET', path, itemIndex }) }];
		},
	};
}
