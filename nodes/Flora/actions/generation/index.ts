import type { INodeProperties } from 'n8n-workflow';

import type { FloraOperations } from '../types';
import * as create from './create.operation';

export const operations: FloraOperations = {
	create,
};

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['generation'] } },
		options: [
			{
				name: 'Create',
				value: 'create',
				// The rule's sentence-case check strips the commas of this (sentence-case) label.
				// eslint-disable-next-line n8n-nodes-base/node-param-operation-option-action-miscased
				action: 'Generate an image, video, audio or text',
				description:
					'Generate from a prompt with a FLORA model, wait for the run and download its outputs',
			},
		],
		default: 'create',
	},
	...create.description,
];
