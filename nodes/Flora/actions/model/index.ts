import type { INodeProperties } from 'n8n-workflow';

import type { FloraOperations } from '../types';
import * as getAll from './getAll.operation';

export const operations: FloraOperations = {
	getAll,
};

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['model'] } },
		options: [
			{
				name: 'Get Many',
				value: 'getAll',
				action: 'Get many models',
				description:
					'List the models FLORA can generate with, with their estimated credits, time and parameters',
			},
		],
		default: 'getAll',
	},
	...getAll.description,
];
