// Copies the pinned Workbox builds into static/vendor/workbox-<version>/, so the service
// worker loads them from Reunite itself (never a CDN). Run after `npm ci`:
//   cd tools/workbox && npm ci && npm run vendor
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const modules = ["workbox-core", "workbox-routing", "workbox-strategies"];
const version = JSON.parse(readFileSync(join(here, "node_modules/workbox-core/package.json"))).version;
const target = join(here, "../../static/vendor", `workbox-${version}`);
mkdirSync(target, { recursive: true });
for (const name of modules) {
  copyFileSync(join(here, "node_modules", name, "build", `${name}.prod.js`), join(target, `${name}.prod.js`));
}
copyFileSync(join(here, "node_modules/workbox-core/LICENSE"), join(target, "LICENSE"));
console.log(`copied ${modules.join(", ")} ${version} to ${target}`);
