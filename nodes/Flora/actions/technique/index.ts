import type { INodeProperties } from 'n8n-workflow';

import type { FloraOperations } from '../types';
import * as get from './get.operation';
import * as getAll from './getAll.operation';

export const operations: FloraOperations = {
	get,
	getAll,
};

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['technique'] } },
		options: [
			{
				name: 'Get',
				value: 'get',
				action: 'Get a technique',
				description: 'Get one technique by its ID or slug, with the inputs it takes',
			},
			{
				name: 'Get Many',
				value: 'getAll',
				action: 'Get many techniques',
				description: 'List the techniques the API key can run, optionally searched by name',
			},
			{
				name: 'Run',
				value: 'run',
				action: 'Run a technique',
				description: 'Start a technique with its inputs and wait for its outputs',
			},
		],
		default: 'get',
	},
	...get.description,
	...getAll.description,
];
