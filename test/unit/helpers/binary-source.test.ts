import type { IExecuteFunctions } from 'n8n-workflow';

import { getItemBinarySource } from '../../../nodes/Flora/helpers/binary';

function contextWithMetadata(metadata: Record<string, unknown>) {
	return {
		getNode: () => ({ name: 'Flora', type: 'n8n-nodes-flora.flora', typeVersion: 1 }),
		getInputData: () => [
			{
				json: {},
				binary: {
					data: { id: 'filesystem-v2:x', mimeType: 'image/png', fileName: 'a.png', data: '' },
				},
			},
		],
		isToolExecution: () => false,
		helpers: {
			assertBinaryData: () => undefined,
			getBinaryMetadata: async () => metadata,
			getBinaryStream: async () => new Uint8Array(0),
		},
	} as unknown as IExecuteFunctions;
}

const overrides = {
	contentTypeField: 'Additional Fields → Content Type',
	fileNameField: 'Additional Fields → File Name',
};

describe('A binary from the binary store', () => {
	it('whose metadata records no size gets its own message, not "empty"', async () => {
		const error = await getItemBinarySource(
			contextWithMetadata({ fileName: 'a.png', mimeType: 'image/png' }),
			0,
			'Input Binary Field',
			'data',
			overrides,
		).catch((e: Error) => e);
		expect((error as Error).message).toBe('The binary field "data" has no recorded size');
		expect((error as { description?: string }).description).toContain('holds no size');
	});

	it('whose size is 0 is empty', async () => {
		const error = await getItemBinarySource(
			contextWithMetadata({ fileSize: 0 }),
			0,
			'Input Binary Field',
			'data',
			overrides,
		).catch((e: Error) => e);
		expect((error as Error).message).toBe('The file in binary field "data" is empty (0 bytes)');
	});

	it('with a size is a source of that size', async () => {
		const source = await getItemBinarySource(
			contextWithMetadata({ fileSize: 1234 }),
			0,
			'Input Binary Field',
			'data',
			overrides,
		);
		expect(source.size).toBe(1234);
	});
});
