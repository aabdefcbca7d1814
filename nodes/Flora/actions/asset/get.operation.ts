import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { assetIdField } from '../../helpers/descriptions';
import { validateAssetId } from '../../helpers/validation';
import { FloraApiError, floraApiTryRequest } from '../../transport';

const properties: INodeProperties[] = [
	assetIdField(
		'ID of the FLORA asset, starting with asset_: the asset_id field that Create and Get Many output',
	),
];

export const description = updateDisplayOptions(
	{ show: { resource: ['asset'], operation: ['get'] } },
	properties,
);

export async function prepare(this: IExecuteFunctions, itemIndex: number): Promise<string> {
	return validateAssetId(this, itemIndex, this.getNodeParameter('assetId', itemIndex));
}

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	assetId: string,
): Promise<INodeExecutionData[]> {
	const outcome = await floraApiTryRequest.call(this, {
		method: 'GET',
		path: `/assets/${encodeURIComponent(assetId)}`,
		itemIndex,
	});
	if (outcome.ok) return [{ json: outcome.body }];
	if (outcome.error.status === 404) {
		// FLORA's code, status and request ID stay; the message names the asset.
		throw new FloraApiError(
			this,
			{
				...outcome.error,
				message: `Asset ${assetId} was not found or is not accessible`,
			},
			itemIndex,
		);
	}
	throw new FloraApiError(this, outcome.error, itemIndex);
}
