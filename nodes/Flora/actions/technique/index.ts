import type { INodeProperties } from 'n8n-workflow';

import type { FloraOperations } from '../types';
import * as run from './run.operation';

export const operations: FloraOperations = {
	run,
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
				description: 'Get one technique, with its inputs and outputs, by its ID or slug',
			},
			{
				name: 'Get Many',
				value: 'getAll',
				action: 'Get many techniques',
				description: 'List the techniques of a workspace, optionally searched by name',
			},
			{
				name: 'Run',
				value: 'run',
				action: 'Run a technique',
				description:
					'Run a saved FLORA technique on URLs, files or text, wait for the run and download its outputs',
			},
		],
		default: 'run',
	},
	...run.description,
];
