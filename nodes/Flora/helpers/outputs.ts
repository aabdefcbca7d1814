import type { IBinaryKeyData, IDataObject } from 'n8n-workflow';

import type { DownloadContext } from '../transport/download';
import { downloadToBinary } from '../transport/download';

// A finished run's outputs as FLORA lists them:
// `outputs: [{ output_id, type: imageUrl | videoUrl | audioUrl | documentUrl | text, url }]`.
// Text outputs carry the text itself in `url` and stay in the item's json.

const MEDIA_OUTPUT_TYPES = new Set(['imageUrl', 'videoUrl', 'audioUrl', 'documentUrl']);

export interface MediaOutput {
	outputId: string;
	type: string;
	url: string;
}

/** The binary property of the n-th media output: `data`, then `data_1`, `data_2`, … */
export function outputPropertyName(index: number): string {
	return index === 0 ? 'data' : `data_${index}`;
}

/** A run's media outputs, in output order; text outputs and entries without a URL are left out. */
export function mediaOutputsOf(run: IDataObject): MediaOutput[] {
	const outputs = Array.isArray(run.outputs) ? (run.outputs as unknown[]) : [];
	const media: MediaOutput[] = [];
	outputs.forEach((entry, position) => {
		if (!entry || typeof entry !== 'object') return;
		const { output_id: outputId, type, url } = entry as IDataObject;
		if (typeof type !== 'string' || !MEDIA_OUTPUT_TYPES.has(type)) return;
		if (typeof url !== 'string' || !url) return;
		media.push({
			outputId: typeof outputId === 'string' && outputId ? outputId : `output_${position}`,
			type,
			url,
		});
	});
	return media;
}

/**
 * Downloads every media output of a run into binary properties `data`,
 * `data_1`, `data_2`, … in output order, one at a time (each streamed into
 * n8n's binary store). A file the host does not name is called
 * `<output_id>.<ext>`.
 */
export async function runOutputsToBinary(
	this: DownloadContext,
	itemIndex: number,
	run: IDataObject,
): Promise<IBinaryKeyData> {
	const binary: IBinaryKeyData = {};
	const media = mediaOutputsOf(run);
	for (let index = 0; index < media.length; index++) {
		const output = media[index];
		binary[outputPropertyName(index)] = await downloadToBinary.call(this, itemIndex, output.url, {
			fileName: output.outputId,
		});
	}
	return binary;
}
