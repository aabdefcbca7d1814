import { GENERATION_TYPES } from '../../helpers/ids';
import { choicesOf, filterQuery, getManyOperation } from '../getMany';

export const { description, prepare, execute } = getManyOperation({
	resource: 'model',
	filters: [
		{
			displayName: 'Type',
			name: 'type',
			type: 'options',
			default: 'image',
			options: choicesOf(GENERATION_TYPES),
			description: 'Only models that generate this kind of output: image, video, audio or text',
		},
	],
	request: (context, itemIndex, filters) => ({
		path: '/models',
		property: 'models',
		qs: filterQuery(context, itemIndex, filters),
	}),
	// FLORA lists every model in one answer.
	unpaginated: true,
});
