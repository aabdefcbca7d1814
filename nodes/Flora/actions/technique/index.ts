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
	operationSelector('technique', 'get', [
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
	]),
	...get.description,
	...getAll.description,
];
