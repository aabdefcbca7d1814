import { createHash } from 'node:crypto';

import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';
import { NodeApiError, NodeConnectionTypes } from 'n8n-workflow';

export const PROBE_TYPE = 'n8n-nodes-flora-test.probe';

/**
 * Test-only node that exercises the harness itself (auth header, binary streams, cancellation)
 * through the same helpers the Flora node uses, without depending on Flora's behaviour.
 */
export class Probe implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Probe',
		name: 'probe',
		group: ['transform'],
		version: 1,
		description: 'Test-only node for the integration harness',
		defaults: { name: 'Probe' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'floraApi', required: false }],
		properties: [
			{
				displayName: 'Action',
				name: 'action',
				type: 'options',
				default: 'request',
				options: [
					{ name: 'Authenticated GET', value: 'request' },
					{ name: 'Read Binary', value: 'readBinary' },
					{ name: 'Wait for Cancel', value: 'waitForCancel' },
				],
			},
			{ displayName: 'Path', name: 'path', type: 'string', default: '/workspaces' },
			{
				displayName: 'Binary Property',
				name: 'binaryPropertyName',
				type: 'string',
				default: 'data',
			},
		],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		const action = this.getNodeParameter('action', 0) as string;
		const output: INodeExecutionData[] = [];

		if (action === 'waitForCancel') {
			const signal = this.getExecutionCancelSignal();
			const startedAt = Date.now();
			await new Promise<void>((resolve) => {
				if (signal?.aborted) return resolve();
				signal?.addEventListener('abort', () => resolve(), { once: true });
			});
			return [[{ json: { aborted: signal?.aborted ?? false, waitedMs: Date.now() - startedAt } }]];
		}

		for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
			try {
				let json: IDataObject;
				if (action === 'request') {
					const { baseUrl } = await this.getCredentials<{ baseUrl: string }>('floraApi', itemIndex);
					const path = this.getNodeParameter('path', itemIndex) as string;
					try {
						json = (await this.helpers.httpRequestWithAuthentication.call(this, 'floraApi', {
							method: 'GET',
							url: `${baseUrl}${path}`,
							json: true,
						})) as IDataObject;
					} catch (error) {
						throw error instanceof NodeApiError
							? error
							: new NodeApiError(this.getNode(), error as never);
					}
				} else {
					json = await readBinary.call(this, itemIndex);
				}
				output.push({ json, binary: items[itemIndex].binary, pairedItem: { item: itemIndex } });
			} catch (error) {
				if (!this.continueOnFail()) throw error;
				output.push({ json: { error: (error as Error).message }, pairedItem: { item: itemIndex } });
			}
		}
		return [output];
	}
}

async function readBinary(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
	const property = this.getNodeParameter('binaryPropertyName', itemIndex) as string;
	const binary = this.helpers.assertBinaryData(itemIndex, property);
	const hash = createHash('sha256');
	if (binary.id) {
		const { fileSize } = await this.helpers.getBinaryMetadata(binary.id);
		let bytes = 0;
		for await (const chunk of await this.helpers.getBinaryStream(binary.id)) {
			bytes += (chunk as Buffer).length;
			hash.update(chunk as Buffer);
		}
		return { streamed: true, id: binary.id, fileSize, bytes, sha256: hash.digest('hex') };
	}
	const buffer = await this.helpers.getBinaryDataBuffer(itemIndex, property);
	return { streamed: false, bytes: buffer.length, sha256: hash.update(buffer).digest('hex') };
}
