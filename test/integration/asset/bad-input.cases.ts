import type { IDataObject } from 'n8n-workflow';

import type { FixtureItem } from '../harness';

/**
 * Bad input the node refuses before sending anything, with the message the user
 * sees. The README's "Bad input" table lists the same rows.
 */
export interface BadInputCase {
	field: string;
	input: string;
	parameters: IDataObject;
	items?: FixtureItem[];
	message: string;
	/** True when n8n itself refuses the static value before the node runs. */
	n8nCheck?: boolean;
}

const png = (data = Buffer.from('png-bytes')): FixtureItem => ({
	json: {},
	binary: { data: { data, fileName: 'a.png', mimeType: 'image/png' } },
});

/** As an expression: the value then comes from data at run time, past n8n's own parameter checks. */
const expr = (value: unknown) => `={{ ${JSON.stringify(value)} }}`;

const create = (extra: IDataObject): IDataObject => ({
	operation: 'create',
	workspace: { __rl: true, mode: 'id', value: 'ws_demo' },
	source: 'binary',
	binaryPropertyName: 'data',
	...extra,
});
const url = (value: string) => create({ source: 'url', url: value });
const ws = (value: unknown) =>
	create({ workspace: { __rl: true, mode: 'id', value: expr(value) } });

export const badInputCases: BadInputCase[] = [
	{
		field: 'Workspace',
		input: 'empty',
		parameters: ws(''),
		items: [png()],
		message: 'Workspace is empty',
	},
	{
		field: 'Workspace',
		input: '`oops`',
		parameters: ws('oops'),
		items: [png()],
		message: 'Workspace ID "oops" is not a FLORA workspace ID',
	},
	{
		field: 'Workspace',
		input: '`ws_` with a space inside',
		parameters: ws('ws_a b'),
		items: [png()],
		message: 'Workspace ID "ws_a b" is not a FLORA workspace ID',
	},
	{
		field: 'Workspace',
		input: 'only spaces',
		parameters: ws('   '),
		items: [png()],
		message: 'Workspace contains only spaces',
	},
	{ field: 'URL', input: 'empty', parameters: url(expr('')), message: 'URL is empty' },
	{
		field: 'URL',
		input: '`http://…`',
		parameters: url('http://example.com/a.png'),
		message: 'URL must use HTTPS, but it starts with "http:"',
	},
	{
		field: 'URL',
		input: '`data:…`',
		parameters: url('data:image/png;base64,AAAA'),
		message: 'URL must use HTTPS, but it starts with "data:"',
	},
	{
		field: 'URL',
		input: '`file:///…`',
		parameters: url('file:///etc/passwd'),
		message: 'URL must use HTTPS, but it starts with "file:"',
	},
	{
		field: 'URL',
		input: 'relative path',
		parameters: url('/images/a.png'),
		message: 'URL "/images/a.png" is not a valid address',
	},
	{
		field: 'URL',
		input: 'malformed',
		parameters: url('https://'),
		message: 'URL "https://" is not a valid address',
	},
	{
		field: 'URL',
		input: 'with user:password@',
		parameters: url('https://me:secret@example.com/a.png'),
		message: 'URL contains a user name or password',
	},
	{
		field: 'URL',
		input: 'a number from an expression',
		parameters: url('={{ 42 }}'),
		message: 'URL must be text, but it is a number',
	},
	{
		field: 'Input Binary Field',
		input: 'missing on the item',
		parameters: create({ binaryPropertyName: 'image' }),
		items: [png()],
		message: 'This item has no binary field "image"',
	},
	{
		field: 'Input Binary Field',
		input: 'item has no binary at all',
		parameters: create({}),
		items: [{ json: { a: 1 } }],
		message: 'This item has no binary field "data"',
	},
	{
		field: 'Input Binary Field',
		input: 'empty',
		parameters: create({ binaryPropertyName: expr('') }),
		items: [png()],
		message: 'Input Binary Field is empty',
	},
	{
		field: 'Binary file',
		input: '0 bytes',
		parameters: create({}),
		items: [png(Buffer.alloc(0))],
		message: 'The file in binary field "data" is empty (0 bytes)',
	},
	{
		field: 'Content Type',
		input: '`text/html`',
		parameters: create({ additionalFields: { contentType: 'text/html' } }),
		items: [png()],
		message: 'FLORA does not accept files of type "text/html"',
	},
	{
		field: 'Content Type',
		input: '`png`',
		parameters: create({ additionalFields: { contentType: 'png' } }),
		items: [png()],
		message: 'Content Type "png" is not a media type',
	},
	{
		field: 'File Name',
		input: 'only spaces',
		parameters: create({ additionalFields: { fileName: '   ' } }),
		items: [png()],
		message: 'File Name contains only spaces',
	},
	{
		field: 'File Name',
		input: 'an object from an expression',
		parameters: create({ additionalFields: { fileName: '={{ { a: 1 } }}' } }),
		items: [png()],
		message: 'File Name must be text, but it is an object',
	},
	{
		field: 'Folder',
		input: 'only spaces',
		parameters: create({ additionalFields: { folder: ' ' } }),
		items: [png()],
		message: 'Folder contains only spaces',
	},
	{
		field: 'Project',
		input: '`p_1`',
		parameters: create({
			additionalFields: { projectId: { __rl: true, mode: 'id', value: 'p_1' } },
		}),
		items: [png()],
		message: 'Project "p_1" is not a FLORA project ID',
	},
	{
		field: 'Wait Timeout',
		input: '0',
		parameters: create({ options: { waitTimeout: 0 } }),
		items: [png()],
		message: 'Wait Timeout must be a number from 1 to 3600 seconds, but it is 0',
	},
	{
		field: 'Wait Timeout',
		input: '99999',
		parameters: create({ options: { waitTimeout: 99999 } }),
		items: [png()],
		message: 'Wait Timeout must be a number from 1 to 3600 seconds, but it is 99999',
	},
	{
		field: 'Concurrency',
		input: '0',
		parameters: create({ options: { concurrency: 0 } }),
		items: [png()],
		message: 'Concurrency must be a number from 1 to 8, but it is 0',
	},
	{
		field: 'Concurrency',
		input: '50',
		parameters: create({ options: { concurrency: 50 } }),
		items: [png()],
		message: 'Concurrency must be a number from 1 to 8, but it is 50',
	},
	{
		field: 'Idempotency Key',
		input: '300 characters',
		parameters: create({ options: { idempotencyKey: 'k'.repeat(300) } }),
		items: [png()],
		message: 'Idempotency Key is 300 characters long; the most FLORA accepts is 255',
	},
	{
		field: 'Asset ID (Get)',
		input: 'empty',
		parameters: { operation: 'get', assetId: expr('') },
		message: 'Asset ID is empty',
	},
	{
		field: 'Asset ID (Get)',
		input: '`12345`',
		parameters: { operation: 'get', assetId: '12345' },
		message: 'Asset ID "12345" is not a FLORA asset ID',
	},
	{
		field: 'Limit (Get Many)',
		input: '0',
		parameters: { operation: 'getAll', returnAll: false, limit: 0 },
		message: 'Limit must be a number from 1 to 10000, but it is 0',
	},
	{
		field: 'Workspace ID filter (Get Many)',
		input: '`demo`',
		parameters: { operation: 'getAll', filters: { workspaceId: 'demo' } },
		message: 'Workspace ID "demo" is not a FLORA workspace ID',
	},
	// Typed in directly, these never reach the node: n8n refuses to start the run.
	{
		field: 'Workspace',
		input: 'typed `oops` (no expression)',
		parameters: create({ workspace: { __rl: true, mode: 'id', value: 'oops' } }),
		items: [png()],
		message: 'A workspace ID starts with ws_ (for example ws_abc123)',
		n8nCheck: true,
	},
	{
		field: 'URL',
		input: 'typed empty (no expression)',
		parameters: url(''),
		message: 'Parameter "URL" is required.',
		n8nCheck: true,
	},
];
