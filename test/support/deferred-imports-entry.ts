/** An entry for test/unit/local/dev-bundle.test.ts: the libraries whose imports the dev bundle defers, as the local path loads them. */
export { StateMachine } from 'aws-local-stepfunctions';
export * as acme from 'acme-client';
export { z } from 'zod';
