import { createReadStream } from 'node:fs';
import { basename } from 'node:path';

import type {
	IBinaryKeyData,
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';
import { NodeConnectionTypes, NodeOperationError } from 'n8n-workflow';

export interface FixtureBinary {
	/** A Buffer, or a string taken as UTF-8 text. */
	data?: Buffer | string;
	/** A file streamed from disk, so large files never sit in memory in filesystem mode. */
	path?: string;
	fileName?: string;
	mimeType?: string;
}

export interface FixtureItem {
	json?: IDataObject;
	binary?: Record<string, FixtureBinary>;
}

/** Fixtures stay in memory, keyed per run: Buffers and paths do not belong in node parameters. */
const fixtures = new Map<string, FixtureItem[]>();

export function stageFixtures(key: string, items: FixtureItem[]): void {
	fixtures.set(key, items);
}

export function dropFixtures(key: string): void {
	fixtures.delete(key);
}

export const FIXTURE_SOURCE_TYPE = 'n8n-nodes-flora-test.fixtureSource';

/**
 * Emits the test's items, storing their binary data through n8n's own `prepareBinaryData`, so
 * the node under test receives exactly what an upstream n8n node would hand it in either mode.
 */
export class FixtureSource implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Fixture Source',
		name: 'fixtureSource',
		group: ['input'],
		version: 1,
		description: 'Test-only: emits the items staged by the integration harness',
		defaults: { name: 'Fixture Source' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		properties: [{ displayName: 'Fixture Key', name: 'fixtureKey', type: 'string', default: '' }],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const key = this.getNodeParameter('fixtureKey', 0) as string;
		const items = fixtures.get(key);
		if (!items) throw new NodeOperationError(this.getNode(), `No fixtures staged under "${key}"`);

		const output: INodeExecutionData[] = [];
		for (const [index, item] of items.entries()) {
			const binary: IBinaryKeyData = {};
			for (const [property, fixture] of Object.entries(item.binary ?? {})) {
				if (fixture.path !== undefined) {
					binary[property] = await this.helpers.prepareBinaryData(
						createReadStream(fixture.path),
						fixture.fileName ?? basename(fixture.path),
						fixture.mimeType,
					);
				} else if (fixture.data !== undefined) {
					const buffer = Buffer.isBuffer(fixture.data)
						? fixture.data
						: Buffer.from(fixture.data, 'utf8');
					binary[property] = await this.helpers.prepareBinaryData(
						buffer,
						fixture.fileName,
						fixture.mimeType,
					);
				} else {
					throw new NodeOperationError(this.getNode(), `Binary "${property}" needs data or path`, {
						itemIndex: index,
					});
				}
			}
			output.push({
				json: item.json ?? {},
				...(Object.keys(binary).length > 0 ? { binary } : {}),
				pairedItem: { item: 0 },
			});
		}
		return [output];
	}
}
