import type { INodeProperties } from 'n8n-workflow';

import { operationSelector } from '../../helpers/descriptions';
import type { FloraOperations } from '../types';
import * as get from './get.operation';
import * as getAll from './getAll.operation';
import * as run from './run.operation';

export const operations: FloraOperations = {
	get,
	getAll,
	run,
};

export const description: INodeProperties[] = [
	operationSelector('technique', 'run', [
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
			description:
				'Run a saved FLORA technique on URLs, files or text, wait for the run and download its outputs',
		},
	]),
	...get.description,
	...getAll.description,
	...run.description,
];
