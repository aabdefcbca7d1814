import type { INodeProperties } from 'n8n-workflow';

import type { FloraOperations } from '../types';
import * as create from './create.operation';
import * as download from './download.operation';
import * as get from './get.operation';
import * as getAll from './getAll.operation';

export const operations: FloraOperations = {
	create,
	download,
	get,
	getAll,
};

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['asset'] } },
		options: [
			{
				name: 'Create',
				value: 'create',
				action: 'Create an asset',
				description: 'Upload a file, or have FLORA fetch a URL, into a workspace',
			},
			{
				name: 'Download',
				value: 'download',
				action: 'Download an asset',
				description: "Download an asset's file into a binary field",
			},
			{
				name: 'Get',
				value: 'get',
				action: 'Get an asset',
				description: 'Get one asset by its ID',
			},
			{
				name: 'Get Many',
				value: 'getAll',
				action: 'Get many assets',
				description: 'List assets, optionally filtered by workspace, project or name',
			},
		],
		default: 'create',
	},
	...create.description,
	...download.description,
	...get.description,
	...getAll.description,
];
