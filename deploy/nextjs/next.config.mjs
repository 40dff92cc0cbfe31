// Next.js config for the route handlers in app/: they import the reference server from the
// repository's src/ (outside this folder), written as ESM TypeScript with `.js` import suffixes.
/** @type {import('next').NextConfig} */
const nextConfig = {
  experimental: { externalDir: true },
  webpack(config) {
    // `import './app.js'` in src/ names a TypeScript file `app.ts`.
    config.resolve.extensionAlias = { '.js': ['.ts', '.js'] };
    return config;
  },
};

export default nextConfig;
