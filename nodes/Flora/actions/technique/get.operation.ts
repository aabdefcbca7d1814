import { locatorValue, techniqueLocator } from '../../helpers/descriptions';
import { validateTechniqueRef } from '../../helpers/validation';
import { getOneOperation } from '../getOne';

export const { description, prepare, execute } = getOneOperation({
	resource: 'technique',
	properties: [
		techniqueLocator({
			name: 'technique',
			required: true,
			description:
				'The technique to get: pick it from the list, or give its ID (starts with tech_, e.g. tech_abc123) or its slug (e.g. product-photo-variants). The output lists its inputs and outputs, which Run a technique expects.',
		}),
	],
	path: (context, itemIndex) => {
		const technique = validateTechniqueRef(
			context,
			itemIndex,
			'Technique',
			locatorValue(context.getNodeParameter('technique', itemIndex)),
			true,
		) as string;
		return `/techniques/${encodeURIComponent(technique)}`;
	},
});
