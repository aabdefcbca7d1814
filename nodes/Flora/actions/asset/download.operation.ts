import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { itemError } from '../../helpers/errors';
import { requiredText, validateAssetId } from '../../helpers/validation';
import { FloraApiError, floraApiTryRequest } from '../../transport';
import { downloadToBinary } from '../../transport/download';

const properties: INodeProperties[] = [
	{
		displayName: 'Asset ID',
		name: 'assetId',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'asset_abc123',
		description:
			'ID of the FLORA asset to download, starting with asset_: the asset_id field that Create and Get Many output',
	},
	{
		displayName: 'Put Output File in Field',
		name: 'binaryPropertyName',
		type: 'string',
		default: 'data',
		required: true,
		hint: 'The name of the output binary field to put the file in',
		description:
			"The binary property of the output item that receives the asset's file. Streamed into n8n's binary storage, so large files are fine when n8n stores binary data on disk, in S3 or in the database.",
	},
];

export const description = updateDisplayOptions(
	{ show: { resource: ['asset'], operation: ['download'] } },
	properties,
);

export interface DownloadItem {
	assetId: string;
	binaryPropertyName: string;
}

/** Validates one item; sends nothing. */
export async function prepare(this: IExecuteFunctions, itemIndex: number): Promise<DownloadItem> {
	const assetId = validateAssetId(this, itemIndex, this.getNodeParameter('assetId', itemIndex));
	const binaryPropertyName = requiredText(
		this,
		itemIndex,
		'Put Output File in Field',
		this.getNodeParameter('binaryPropertyName', itemIndex, 'data'),
		'Enter the name of the output binary field for the file, for example data.',
	);
	if (/\s/.test(binaryPropertyName)) {
		throw itemError(
			this,
			itemIndex,
			`Put Output File in Field "${binaryPropertyName}" is not a valid binary field name`,
			'Use a name without spaces, for example data or image.',
		);
	}
	return { assetId, binaryPropertyName };
}

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	{ assetId, binaryPropertyName }: DownloadItem,
): Promise<INodeExecutionData[]> {
	const outcome = await floraApiTryRequest.call(this, {
		method: 'GET',
		path: `/assets/${encodeURIComponent(assetId)}`,
		itemIndex,
	});
	if (!outcome.ok) {
		if (outcome.error.status === 404) {
			throw itemError(
				this,
				itemIndex,
				`Asset ${assetId} was not found or is not accessible`,
				`FLORA answers 404 both for assets that do not exist and for assets outside this API key's workspace. Check the ID and the credential.${outcome.error.requestId ? ` Request ID: ${outcome.error.requestId}.` : ''}`,
			);
		}
		throw new FloraApiError(this, outcome.error, itemIndex);
	}
	const asset = outcome.body;
	const status = typeof asset.status === 'string' ? asset.status : 'unknown';
	if (status !== 'ready') {
		const reason =
			typeof asset.failure_message === 'string' && asset.failure_message
				? ` (${asset.failure_message})`
				: '';
		throw itemError(
			this,
			itemIndex,
			`Asset ${assetId} cannot be downloaded yet: its status is ${status}${reason}`,
			status === 'failed'
				? 'FLORA could not process this asset; create it again.'
				: 'Only ready assets have a file. Wait until the asset is ready (Create with "Wait for Ready" on does this), then download it.',
		);
	}
	const url = typeof asset.url === 'string' ? asset.url.trim() : '';
	if (!/^https?:\/\//i.test(url)) {
		throw itemError(
			this,
			itemIndex,
			`Asset ${assetId} has no file URL to download from`,
			'FLORA reported the asset as ready but without a url. Get the asset again later; if it stays like this, contact FLORA support.',
		);
	}
	const binary = await downloadToBinary.call(this, itemIndex, url, {
		fileName: typeof asset.name === 'string' ? asset.name : undefined,
		mimeType: typeof asset.content_type === 'string' ? asset.content_type : undefined,
	});
	return [{ json: asset as IDataObject, binary: { [binaryPropertyName]: binary } }];
}
