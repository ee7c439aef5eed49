/** `npm run install-pebble`: fetch Pebble 2.10 if missing and print its path (CI calls it before the tests). */
import { ensurePebbleInstalled } from '../local/pebble-install';

try {
  console.log(ensurePebbleInstalled((line) => console.error(line)));
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}
