// A production build shaped like spreed's (@nextcloud/webpack-vue-config + spreed's own rules):
// fixed entry file names with a `?v=` cache buster, a fixed public path under /apps/spreed/js/,
// and .wasm files loaded as URL assets.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

export default {
	mode: 'production',
	context: here,
	entry: { main: './src/main.js' },
	output: {
		path: join(here, 'dist'),
		publicPath: '/apps/spreed/js/',
		filename: 'spreed-[name].js?v=[contenthash]',
		chunkFilename: 'spreed-[name].js?v=[contenthash]',
		assetModuleFilename: '[name][ext]?v=[contenthash]',
		clean: true,
	},
	module: {
		rules: [{ test: /\.wasm$/i, type: 'asset/resource' }],
	},
	devtool: false,
	performance: { hints: false },
};
