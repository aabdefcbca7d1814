import type { IBinaryKeyData, IDataObject, IExecuteFunctions } from 'n8n-workflow';

const MEDIA_TYPES = new Set(['imageUrl', 'videoUrl', 'audioUrl', 'documentUrl']);

/** The binary property of the n-th media output: data, data_1, data_2, … */
export function outputPropertyName(index: number): string {
	return index === 0 ? 'data' : `data_${index}`;
}

/**
 * A finished run's media outputs as binary properties, in output order,
 * streamed from the file host into n8n's binary store (never FLORA's key there).
 */
export async function runOutputsToBinary(
	this: IExecuteFunctions,
	itemIndex: number,
	run: IDataObject,
): Promise<IBinaryKeyData> {
	const outputs = Array.isArray(run.outputs) ? (run.outputs as IDataObject[]) : [];
	const binary: IBinaryKeyData = {};
	let index = 0;
	for (const output of outputs) {
		if (!MEDIA_TYPES.has(String(output.type)) || typeof output.url !== 'string') continue;
		const response = (await this.helpers.httpRequest({
			method: 'GET',
			url: output.url,
			encoding: 'stream',
			returnFullResponse: true,
		})) as { body: AsyncIterable<Uint8Array>; headers: Record<string, string | undefined> };
		const fileName = decodeURIComponent(new URL(output.url).pathname.split('/').pop() || 'output');
		const mimeType = response.headers['content-type']?.split(';')[0].trim();
		binary[outputPropertyName(index++)] = await this.helpers.prepareBinaryData(
			response.body as unknown as Buffer,
			fileName,
			mimeType,
		);
	}
	void itemIndex;
	return binary;
}
