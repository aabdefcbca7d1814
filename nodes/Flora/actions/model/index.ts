import type { INodeProperties } from 'n8n-workflow';

import { operationSelector } from '../../helpers/descriptions';
import type { FloraOperations } from '../types';
import * as getAll from './getAll.operation';

export const operations: FloraOperations = {
	getAll,
};

export const description: INodeProperties[] = [
	operationSelector('model', 'getAll', [
		{
			name: 'Get Many',
			value: 'getAll',
			action: 'Get many models',
			description:
				'List the models FLORA can generate with, with their estimated credits, time and parameters',
		},
	]),
	...getAll.description,
];
