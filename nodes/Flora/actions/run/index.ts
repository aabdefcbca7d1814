import type { INodeProperties } from 'n8n-workflow';

import { operationSelector } from '../../helpers/descriptions';
import type { FloraOperations } from '../types';
import * as get from './get.operation';
import * as getAll from './getAll.operation';

export const operations: FloraOperations = {
	get,
	getAll,
};

export const description: INodeProperties[] = [
	operationSelector('run', 'get', [
		{
			name: 'Get',
			value: 'get',
			action: 'Get a run',
			description:
				'Get one generation or technique run by its ID: status, progress, cost and outputs',
		},
		{
			name: 'Get Many',
			value: 'getAll',
			action: 'Get many runs',
			description: 'List generations or technique runs, newest first, optionally filtered',
		},
	]),
	...get.description,
	...getAll.description,
];
