#!/usr/bin/env node
// The `isobench` command: TypeScript sources run through tsx, no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
const code = await main(process.argv.slice(2));
// Exit explicitly: a stray handle (a browser pipe, a timer) must not keep a finished command alive.
process.exit(code);
